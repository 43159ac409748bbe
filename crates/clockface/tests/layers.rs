//! The layering check: which crate may use which, and that the web crate's two faces (the JSON
//! API in `web/src/api`, the admin pages in `web/src/admin`) do not use each other beyond the
//! imports listed in [`ALLOWED`], each of which a later step moves into `crates/app`.
//!
//! It reads the crates' Cargo.toml files and the Rust sources; nothing is compiled or run. It fails
//! when (a) `app` depends on an HTTP or template crate, (b) a module of `web/api` uses one of
//! `web/admin` or the reverse and the use is not listed, or a listed use is gone (so the list only
//! shrinks, and honestly), (c) a crate depends on one of its layer or above.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The crates from the bottom up: each may depend only on crates of a lower layer.
const LAYERS: &[(&str, u8)] =
    &[("clockface-domain", 0), ("clockface-face", 0), ("clockface-store", 1), ("clockface-app", 2), ("clockface-web", 3), ("clockface", 4)];

/// What `app` must never depend on: it knows nothing of HTTP or pages.
const NOT_IN_APP: &[&str] = &["axum", "askama", "http", "hyper", "tower", "tower-http", "utoipa-axum", "clockface-web", "clockface"];

/// Uses between the API and the admin pages that remain today, as `file -> path used`. Each is a
/// use case still living in the API (or a helper in the pages) that a later step moves to `app`;
/// remove its line when it goes.
const ALLOWED: &[&str] = &[
    "admin/review.rs -> crate::api::faces::decide_review",
    "admin/timecards.rs -> crate::api::corrections::CorrectionBody",
    "admin/timecards.rs -> crate::api::corrections::make_correction",
    "admin/timecards.rs -> crate::api::timecards::CardPunch",
    "admin/timecards.rs -> crate::api::timecards::time_card",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// The package's name and every crate it depends on (normal, dev and build dependencies), from
/// its Cargo.toml.
fn manifest(crate_dir: &str) -> (String, BTreeSet<String>) {
    let text = read(&root().join(crate_dir).join("Cargo.toml"));
    let (mut name, mut deps, mut section) = (String::new(), BTreeSet::new(), String::new());
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').to_owned();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let key = key.trim();
        if section == "package" && key == "name" {
            name = value.trim().trim_matches('"').to_owned();
        } else if section.ends_with("dependencies") && !key.starts_with('#') {
            deps.insert(key.split('.').next().unwrap_or(key).trim().to_owned());
        }
    }
    (name, deps)
}

fn crate_dirs() -> Vec<String> {
    let mut dirs: Vec<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .map(|entry| format!("crates/{}", entry.file_name().to_string_lossy()))
        .collect();
    dirs.sort();
    dirs
}

fn layer(name: &str) -> Option<u8> {
    LAYERS.iter().find(|(crate_name, _)| *crate_name == name).map(|(_, layer)| *layer)
}

/// A source without its comments and string literals (so that a path in a doc comment or a
/// message does not count as a use).
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        let after_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && at(i + 1) == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && !after_word && (at(i + 1) == '"' || (at(i + 1) == '#' && matches!(at(i + 2), '"' | '#'))) {
            // A raw string: r"...", r#"..."#, r##"..."##.
            let mut hashes = 0;
            i += 1;
            while at(i) == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            loop {
                if i >= chars.len() {
                    break;
                }
                if chars[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && at(i + 1) == '\\' {
            // A character literal with an escape: '\n', '\'', '\u{..}'.
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c == '\'' && at(i + 2) == '\'' {
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Expands a `use` tree (`crate::api::{auth::{a, b as c}, d}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        // `b as c` is `b`.
        return tree.split_whitespace().next().map(str::to_owned).into_iter().collect();
    };
    let prefix: String = tree[..open].chars().filter(|c| !c.is_whitespace()).collect();
    let close = tree.rfind('}').unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .flat_map(|part| {
            expand(part).into_iter().map(|p| if p == "self" { prefix.trim_end_matches("::").to_owned() } else { format!("{prefix}{p}") })
        })
        .collect()
}

/// Every path a source uses: its `use` items, expanded, and the `crate::...` paths written inline.
fn paths_used(source: &str) -> BTreeSet<String> {
    let code = code_only(source);
    let mut paths = BTreeSet::new();
    // The code left once the `use` items are taken out, for the inline paths.
    let mut inline = String::with_capacity(code.len());
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before = &rest[..at];
        let starts_item = before.is_empty() || before.ends_with(|c: char| c.is_whitespace() || c == ';' || c == '{' || c == '}');
        let after = &rest[at + 4..];
        if starts_item {
            let end = after.find(';').unwrap_or(after.len());
            paths.extend(expand(&after[..end]).into_iter().map(|p| p.replace("r#", "")));
            inline.push_str(before);
            rest = &after[end..];
        } else {
            inline.push_str(&rest[..at + 4]);
            rest = after;
        }
    }
    inline.push_str(rest);
    let mut rest = inline.as_str();
    while let Some(at) = rest.find("crate::") {
        let path: String = rest[at..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        paths.insert(path.trim_end_matches(':').to_owned());
        rest = &rest[at + 7..];
    }
    paths
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display())).flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// `web/src/api` and `web/src/admin` uses of each other, as `file -> path`.
fn uses_between_faces() -> BTreeSet<String> {
    let src = root().join("crates/web/src");
    let mut found = BTreeSet::new();
    for (face, other) in [("api", "admin"), ("admin", "api")] {
        for file in rust_files(&src.join(face)) {
            let name = file.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            for path in paths_used(&read(&file)) {
                let crosses = path == format!("crate::{other}")
                    || path.starts_with(&format!("crate::{other}::"))
                    || path.starts_with(&format!("super::super::{other}"));
                if crosses {
                    // The item used (its module and name), not the rest of an inline call's path.
                    let item: Vec<&str> = path.split("::").take(4).collect();
                    found.insert(format!("{name} -> {}", item.join("::")));
                }
            }
        }
    }
    found
}

#[test]
fn every_crate_depends_only_on_the_layers_below_it() {
    let mut wrong = Vec::new();
    let dirs = crate_dirs();
    assert!(dirs.len() >= LAYERS.len(), "found only {dirs:?}");
    for dir in dirs {
        let (name, deps) = manifest(&dir);
        let Some(own) = layer(&name) else {
            wrong.push(format!("{name} ({dir}) has no layer: add it to LAYERS"));
            continue;
        };
        for dep in deps.iter().filter(|d| d.starts_with("clockface")) {
            match layer(dep) {
                Some(theirs) if theirs < own => {}
                _ => wrong.push(format!("{name} depends on {dep}, which is not a layer below it")),
            }
        }
        // The sources agree with the manifest: no path into a crate of this layer or above.
        for file in rust_files(&root().join(&dir)) {
            let code = code_only(&read(&file));
            for (other, theirs) in LAYERS {
                let path = format!("{}::", other.replace('-', "_"));
                if *theirs >= own
                    && *other != name
                    && code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).any(|w| w.starts_with(&path))
                {
                    wrong.push(format!("{} uses {other}", file.strip_prefix(root()).unwrap_or(&file).display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "imports across the layers:\n{}", wrong.join("\n"));
}

#[test]
fn the_application_layer_knows_nothing_of_http() {
    let (name, deps) = manifest("crates/app");
    assert_eq!(name, "clockface-app");
    let http: Vec<&String> = deps.iter().filter(|d| NOT_IN_APP.contains(&d.as_str())).collect();
    assert!(http.is_empty(), "crates/app depends on {http:?}");
    for file in rust_files(&root().join("crates/app/src")) {
        let used = paths_used(&read(&file));
        let http: Vec<&String> =
            used.iter().filter(|p| NOT_IN_APP.iter().any(|c| p.starts_with(&format!("{}::", c.replace('-', "_"))))).collect();
        assert!(http.is_empty(), "{} uses {http:?}", file.display());
    }
}

#[test]
fn the_api_and_the_admin_pages_use_each_other_only_as_listed() {
    let found = uses_between_faces();
    let allowed: BTreeSet<String> = ALLOWED.iter().map(|s| (*s).to_owned()).collect();
    let new: Vec<&String> = found.difference(&allowed).collect();
    let gone: Vec<&String> = allowed.difference(&found).collect();
    println!("{} uses between web/api and web/admin remain (the allowlist)", allowed.len());
    assert!(
        new.is_empty(),
        "new uses between web/api and web/admin; put what both need in crates/app instead:\n{}",
        new.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
    assert!(
        gone.is_empty(),
        "these listed uses are gone: remove them from ALLOWED in {}:\n{}",
        file!(),
        gone.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_check_reads_use_trees_and_inline_paths() {
    let source = "use crate::api::{auth::{a, b as c}, d};\n// use crate::api::comment;\nfn f() { let q = '\"'; crate::api::x::y(\"crate::api::z\", r#\"\"crate::api::w\"#); }\n";
    let used = paths_used(source);
    for path in ["crate::api::auth::a", "crate::api::auth::b", "crate::api::d", "crate::api::x::y"] {
        assert!(used.contains(path), "{path} in {used:?}");
    }
    assert!(!used.iter().any(|p| p.contains("comment") || p.ends_with("::z") || p.ends_with("::w") || p.ends_with("::c")), "{used:?}");
}
