//! Stand-alone front end for the future `clockface face` subcommands:
//!
//! ```text
//! cargo run --release --example facecli -- detect IMAGE
//! cargo run --release --example facecli -- compare A B
//! ```
//!
//! Prints JSON on stdout. On failure prints `{"error":{"code","message"}}` on
//! stderr and exits with 2 for bad input (e.g. a file that is not an image), 1 otherwise.

use std::io::Write;
use std::process::ExitCode;

use clockface_face::{cli, FaceEngine, FaceError};

const USAGE: &str = "usage: facecli detect IMAGE | facecli compare A B";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["detect", image] => run(|engine| {
            let bytes = read(image)?;
            to_json(&cli::detect(engine, image, &bytes).map_err(Failure::Face)?)
        }),
        ["compare", a, b] => run(|engine| {
            let (x, y) = (read(a)?, read(b)?);
            to_json(&cli::compare(engine, (a, &x), (b, &y)).map_err(Failure::Face)?)
        }),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(json) => {
            // A closed pipe (`| head`) is not worth a panic.
            let _ = writeln!(std::io::stdout(), "{json}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            let (code, message, exit) = match failure {
                Failure::Read(path, e) => ("unreadable_file", format!("cannot read {path}: {e}"), 2),
                Failure::Face(e) => (e.code(), e.to_string(), if e.is_bad_input() { 2 } else { 1 }),
                Failure::Json(e) => ("json", e.to_string(), 1),
            };
            let body = serde_json::json!({ "error": { "code": code, "message": message } });
            eprintln!("{body}");
            ExitCode::from(exit)
        }
    }
}

enum Failure {
    Read(String, std::io::Error),
    Face(FaceError),
    Json(serde_json::Error),
}

fn run(f: impl FnOnce(&FaceEngine) -> Result<String, Failure>) -> Result<String, Failure> {
    let engine = FaceEngine::load().map_err(Failure::Face)?;
    f(&engine)
}

fn read(path: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Read(path.to_owned(), e))
}

fn to_json(value: &impl serde::Serialize) -> Result<String, Failure> {
    serde_json::to_string_pretty(value).map_err(Failure::Json)
}
