//! Identification at a kiosk (issue 28): false identification and false non-identification
//! rates, the thresholds per gallery size, the search's speed and memory, the whole
//! identification's time, and the queue behind the worker. Run in release:
//!
//! ```text
//! cargo build --release --workspace --examples
//! target/release/examples/identify [FACES_DIR] [--people DIR [--crops]]
//! ```
//!
//! FACES_DIR defaults to `../shared/faces` beside the repository and is read in place, never
//! copied: `dev/` (8 people x 5 tight grayscale crops, each centred on a grey canvas twice its
//! size as `bench.rs` does), `public-domain/` (`name-N.jpg`: Obama 3 photos, Biden, Collins,
//! Hopper) and the faces of `groups/sample*.jpg` (every face of a crew photo is a different
//! person; the same person in two crew photos would show as a high non-mated score, and the run
//! prints the highest of those; faces a kiosk would refuse for their quality are left out). The `groups/bbt*` photos show the 8 dev people without a label
//! per face and are left out. `--people DIR` adds a labelled set kept outside the repository:
//! one folder per person holding that person's photos (`--crops` when they are tight face crops,
//! to centre them on a canvas as the dev crops are).
//!
//! Sections (all by default; `IDENTIFY_ONLY=rates,queue,speed` picks some): the set and its
//! non-mated and mated scores, the thresholds per gallery size and where the data runs out,
//! open-set identification on the gallery of everyone in the set, the queue photos, the search's
//! speed and memory, and the whole identification on one core. `IDENTIFY_DUMP=DIR` writes each
//! face of the set as it was cut for the queue photos (PNG), to look at the pairs the run names.
//!
//! Timing runs on one thread, like `bench.rs`: the mean of the thread's CPU time (from /proc, not
//! skewed by other processes) and, in brackets, the median wall time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clockface_face::{
    compare, rule_for, Analysis, Embedding, FaceEngine, Gallery, Identification, IdentifyRule, Photo, PinReason, EMBEDDING_LEN,
    IDENTIFY_RULES, MATCH_THRESHOLD, MIN_SUBJECT_SHARE,
};
use image::{imageops, ImageFormat, Rgb, RgbImage};

type BoxError = Box<dyn std::error::Error>;

/// The false identification rate the issue asks for, per search of a person who is not enrolled.
const TARGET_FPIR: f64 = 0.001;

/// The gallery sizes the issue names.
const SIZES: [usize; 3] = [50, 500, 5_000];

fn main() -> Result<(), BoxError> {
    let args = Args::parse()?;
    let engine = FaceEngine::load()?;
    println!("arithmetic: {} layers in 8 bits ({})", engine.int8_layers(), engine.int8_instructions().unwrap_or("none"));
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("machine load average (1/5/15 min): {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    }
    let set = match &args.faces {
        Some(dir) => Some(Set::load(&engine, dir, args.people.as_deref(), args.crops)?),
        None => {
            println!("shared faces folder not found (looked for ../shared/faces beside the repository): rates and queue NOT measured");
            None
        }
    };
    if let Some(set) = &set {
        if wanted("rates") {
            rates(set);
        }
        if wanted("queue") {
            queue(&engine, set)?;
        }
    }
    if wanted("speed") {
        speed(&engine, set.as_ref())?;
    }
    Ok(())
}

struct Args {
    faces: Option<PathBuf>,
    people: Option<PathBuf>,
    crops: bool,
}

impl Args {
    fn parse() -> Result<Args, BoxError> {
        let (mut faces, mut people, mut crops) = (None, None, false);
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--people" => people = Some(PathBuf::from(it.next().ok_or("--people needs a folder")?)),
                "--crops" => crops = true,
                _ => faces = Some(PathBuf::from(arg)),
            }
        }
        let candidates = [
            faces,
            Some(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/faces"))),
            Some(PathBuf::from("../shared/faces")),
        ];
        let faces = candidates.into_iter().flatten().find(|d| d.join("dev").is_dir());
        Ok(Args { faces, people, crops })
    }
}

fn wanted(section: &str) -> bool {
    std::env::var("IDENTIFY_ONLY").map_or(true, |only| only.split(',').any(|s| s.trim() == section))
}

/// One face of the set: whose, from where, its embedding and the face cut out of its photo (for
/// the queue photos).
struct Sample {
    person: String,
    name: String,
    embedding: Embedding,
    crop: RgbImage,
}

/// Every face the set holds, by person.
struct Set {
    samples: Vec<Sample>,
}

impl Set {
    fn load(engine: &FaceEngine, dir: &Path, extra: Option<&Path>, extra_crops: bool) -> Result<Set, BoxError> {
        let mut samples = Vec::new();
        let mut missed = Vec::new();
        load_people(engine, &dir.join("dev"), "dev", true, &mut samples, &mut missed)?;
        let pd = dir.join("public-domain");
        for path in sorted_files(&pd)? {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
            let person = format!("pd/{}", stem.split('-').next().unwrap_or_default());
            add_photo(engine, &path, &person, &format!("pd/{stem}"), false, &mut samples, &mut missed)?;
        }
        let groups = dir.join("groups");
        for path in sorted_files(&groups)? {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
            if !stem.starts_with("sample") {
                continue;
            }
            let image = image::open(&path)?.to_rgb8();
            let analysis = engine.analyse_group_photo(Photo::from_rgb(image.clone()))?;
            // Faces a kiosk would refuse (too small, blurred, dark) are left out.
            for (i, face) in analysis.faces.iter().enumerate().filter(|(_, f)| f.quality.issue().is_none()) {
                let name = format!("groups/{stem}#{i}");
                samples.push(Sample { person: name.clone(), name, embedding: face.embedding.clone(), crop: cut(&image, &face.face) });
            }
        }
        if let Some(extra) = extra {
            load_people(engine, extra, "extra", extra_crops, &mut samples, &mut missed)?;
        }
        if let Ok(dump) = std::env::var("IDENTIFY_DUMP") {
            for s in &samples {
                s.crop.save(Path::new(&dump).join(format!("{}.png", s.name.replace(['/', '#'], "_"))))?;
            }
        }
        let mut people: Vec<String> = samples.iter().map(|s| s.person.clone()).collect();
        people.sort();
        people.dedup();
        let by_source = |prefix: &str| {
            let n = samples.iter().filter(|s| s.person.starts_with(prefix)).count();
            let p = people.iter().filter(|p| p.starts_with(prefix)).count();
            format!("{n} faces of {p} people")
        };
        println!("\n== the set ==");
        println!("  dev/ crops: {}", by_source("dev/"));
        println!("  public-domain/: {}", by_source("pd/"));
        println!("  groups/sample* (every face its own person): {}", by_source("groups/"));
        if extra.is_some() {
            println!("  --people: {}", by_source("extra/"));
        }
        println!("  total: {} faces of {} people; no usable face in {} photos {:?}", samples.len(), people.len(), missed.len(), missed);
        Ok(Set { samples })
    }

    /// The indexes of the samples of each person, in the set's order.
    fn by_person(&self) -> BTreeMap<&str, Vec<usize>> {
        let mut map: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, s) in self.samples.iter().enumerate() {
            map.entry(s.person.as_str()).or_default().push(i);
        }
        map
    }

    /// Scores of every pair of faces of different people, and of the same person.
    fn pairs(&self) -> (Vec<f32>, Vec<f32>) {
        let (mut non_mated, mut mated) = (Vec::new(), Vec::new());
        for (i, a) in self.samples.iter().enumerate() {
            for b in &self.samples[i + 1..] {
                let s = compare(&a.embedding, &b.embedding);
                if a.person == b.person {
                    mated.push(s);
                } else {
                    non_mated.push(s);
                }
            }
        }
        (non_mated, mated)
    }
}

fn sorted_files(dir: &Path) -> Result<Vec<PathBuf>, BoxError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|e| ["jpg", "jpeg", "png", "webp"].contains(&e.to_string_lossy().to_lowercase().as_str()))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// A folder of people: one sub-folder per person holding their photos.
fn load_people(
    engine: &FaceEngine,
    dir: &Path,
    label: &str,
    crops: bool,
    samples: &mut Vec<Sample>,
    missed: &mut Vec<String>,
) -> Result<(), BoxError> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    folders.sort();
    for folder in folders {
        let who = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for path in sorted_files(&folder)? {
            let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            add_photo(engine, &path, &format!("{label}/{who}"), &format!("{label}/{who}/{file}"), crops, samples, missed)?;
        }
    }
    Ok(())
}

/// One photo of one person: its subject (a tight crop is first centred on a grey canvas twice
/// its size, as `bench.rs` does with the dev crops).
fn add_photo(
    engine: &FaceEngine,
    path: &Path,
    person: &str,
    name: &str,
    crop: bool,
    samples: &mut Vec<Sample>,
    missed: &mut Vec<String>,
) -> Result<(), BoxError> {
    let image = image::open(path)?.to_rgb8();
    let image = if crop { padded(&image) } else { image };
    let analysis = engine.analyse_photo(Photo::from_rgb(image.clone()))?;
    match analysis.faces.first() {
        Some(face) => samples.push(Sample {
            person: person.to_owned(),
            name: name.to_owned(),
            embedding: face.embedding.clone(),
            crop: cut(&image, &face.face),
        }),
        None => missed.push(name.to_owned()),
    }
    Ok(())
}

/// The face's box widened to 1.6 times about its centre (so the head and some background come
/// along), cut out of the photo and kept inside it.
fn cut(image: &RgbImage, face: &clockface_face::Face) -> RgbImage {
    let side = face.width.max(face.height) * 1.6;
    let (cx, cy) = (face.x + face.width / 2.0, face.y + face.height / 2.0);
    let (w, h) = (image.width() as f32, image.height() as f32);
    let side = side.min(w).min(h);
    let x = (cx - side / 2.0).clamp(0.0, w - side);
    let y = (cy - side / 2.0).clamp(0.0, h - side);
    imageops::crop_imm(image, x as u32, y as u32, side as u32, side as u32).to_image()
}

fn padded(crop: &RgbImage) -> RgbImage {
    let (w, h) = crop.dimensions();
    let mut canvas = RgbImage::from_pixel(w * 2, h * 2, Rgb([128, 128, 128]));
    imageops::replace(&mut canvas, crop, (w / 2) as i64, (h / 2) as i64);
    canvas
}

// ---------------------------------------------------------------------------------------------
// Rates and thresholds

/// The upper tail of the non-mated scores, two ways: a normal fitted to all of them, and an
/// exponential fitted to the top 5% (the excess over their lowest), which follows a heavier
/// tail when there is one.
struct Tail {
    mean: f64,
    sd: f64,
    /// The 95th percentile, where the exponential starts.
    u: f64,
    /// The share of scores above `u`.
    p_u: f64,
    /// Mean excess over `u` of the scores above it.
    beta: f64,
}

impl Tail {
    fn fit(scores: &[f32]) -> Tail {
        let n = scores.len().max(1) as f64;
        let mean = scores.iter().map(|&s| f64::from(s)).sum::<f64>() / n;
        let sd = (scores.iter().map(|&s| (f64::from(s) - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
        let mut sorted: Vec<f64> = scores.iter().map(|&s| f64::from(s)).collect();
        sorted.sort_by(f64::total_cmp);
        let k = ((sorted.len() as f64) * 0.95) as usize;
        let u = sorted.get(k).copied().unwrap_or(0.0);
        let above: Vec<f64> = sorted.iter().copied().filter(|&s| s > u).collect();
        let p_u = above.len() as f64 / n;
        let beta = above.iter().map(|s| s - u).sum::<f64>() / above.len().max(1) as f64;
        Tail { mean, sd, u, p_u, beta }
    }

    /// The share of non-mated scores at or above `t`: normal, exponential.
    fn fmr(&self, t: f64) -> (f64, f64) {
        let normal = normal_sf((t - self.mean) / self.sd);
        let exponential = if t <= self.u { f64::NAN } else { self.p_u * (-(t - self.u) / self.beta).exp() };
        (normal, exponential)
    }

    /// The score with a share `f` of non-mated scores above it: normal, exponential.
    fn threshold(&self, f: f64) -> (f64, f64) {
        (self.mean + normal_isf(f) * self.sd, self.u + self.beta * (self.p_u / f).ln())
    }
}

/// The standard normal's survival function, P(Z > z), from erfc (Numerical Recipes' Chebyshev
/// fit, relative error under 1.2e-7).
fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07 + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// The z with P(Z > z) = p, by bisection.
fn normal_isf(p: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0, 10.0);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if normal_sf(mid) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.2}% ({part}/{whole})", 100.0 * part as f64 / whole as f64)
    }
}

/// The share of `scores` at or above `t`.
fn share_at(scores: &[f32], t: f32) -> (usize, usize) {
    (scores.iter().filter(|&&s| s >= t).count(), scores.len())
}

/// Searches of the gallery of everyone in the set, each person enrolled with one photo:
/// every other photo of an enrolled person (mated), and every photo of each person searched in
/// the gallery without them (not enrolled). Every choice of enrolment photo is used in turn.
struct Searches {
    /// (true score, best other person's score) of mated searches.
    mated: Vec<(f32, f32)>,
    /// (best, second-best) scores of searches by someone not enrolled.
    non_mated: Vec<(f32, f32)>,
    /// Gallery size (people).
    people: usize,
}

fn searches(set: &Set) -> Searches {
    let by_person = set.by_person();
    let people: Vec<&str> = by_person.keys().copied().collect();
    let mut mated = Vec::new();
    let mut non_mated = Vec::new();
    // The gallery's other members are enrolled with their first photo.
    for (p, person) in people.iter().enumerate() {
        let own = &by_person[person];
        for &enrolled in own {
            for &probe in own.iter().filter(|&&i| i != enrolled) {
                let e = &set.samples[probe].embedding;
                let true_score = compare(e, &set.samples[enrolled].embedding);
                let other = people
                    .iter()
                    .enumerate()
                    .filter(|&(q, _)| q != p)
                    .map(|(_, who)| compare(e, &set.samples[by_person[who][0]].embedding))
                    .fold(f32::MIN, f32::max);
                mated.push((true_score, other));
            }
        }
        // Not enrolled: this person's photos against everyone else.
        for &probe in own {
            let e = &set.samples[probe].embedding;
            let mut scores: Vec<f32> = people
                .iter()
                .enumerate()
                .filter(|&(q, _)| q != p)
                .map(|(_, who)| compare(e, &set.samples[by_person[who][0]].embedding))
                .collect();
            scores.sort_by(|a, b| b.total_cmp(a));
            non_mated.push((scores.first().copied().unwrap_or(f32::MIN), scores.get(1).copied().unwrap_or(f32::MIN)));
        }
    }
    Searches { mated, non_mated, people: people.len() }
}

fn rates(set: &Set) {
    let (non_mated, mated) = set.pairs();
    let tail = Tail::fit(&non_mated);
    let max_nm = non_mated.iter().copied().fold(f32::MIN, f32::max);
    let min_m = mated.iter().copied().fold(f32::MAX, f32::min);
    println!("\n== single comparisons ==");
    println!(
        "  non-mated pairs: {} (mean {:.3}, sd {:.3}, 95th percentile {:.3}, highest {max_nm:.3}); mated pairs: {} (lowest {min_m:.3})",
        non_mated.len(),
        tail.mean,
        tail.sd,
        tail.u,
        mated.len()
    );
    let worst: Vec<String> = {
        let mut all: Vec<(f32, &str, &str)> = Vec::new();
        for (i, a) in set.samples.iter().enumerate() {
            for b in &set.samples[i + 1..] {
                if a.person != b.person {
                    all.push((compare(&a.embedding, &b.embedding), &a.name, &b.name));
                }
            }
        }
        all.sort_by(|a, b| b.0.total_cmp(&a.0));
        all.iter().take(5).map(|(s, a, b)| format!("{s:.3} {a} ~ {b}")).collect()
    };
    println!("  highest non-mated pairs: {}", worst.join("; "));
    let rule_of_three = 3.0 / non_mated.len() as f64;
    println!(
        "  with none seen above a threshold, {} non-mated pairs bound FMR under {:.2e} (95%, rule of three): N x FMR <= 0.1% is supported only for N <= {:.2}",
        non_mated.len(),
        rule_of_three,
        TARGET_FPIR / rule_of_three
    );
    println!("\n  threshold | FMR measured              | normal fit | exponential tail fit | FNMR measured (mated pairs)");
    for t in [0.25f32, 0.30, 0.35, MATCH_THRESHOLD, 0.40, 0.45, 0.50, 0.55, 0.60] {
        let (fm, n) = share_at(&non_mated, t);
        let (ok, m) = share_at(&mated, t);
        let (normal, exponential) = tail.fmr(f64::from(t));
        println!("  {t:9.3} | {:25} | {normal:10.2e} | {exponential:20.2e} | {}", percent(fm, n), percent(m - ok, m));
    }
    println!("\n== thresholds per gallery size: per-comparison FMR <= {TARGET_FPIR} / N ==");
    println!("   N     | FMR needed | measured can show | normal fit's threshold | exponential fit's threshold | in IDENTIFY_RULES");
    for n in SIZES {
        let f = TARGET_FPIR / n as f64;
        let (tn, te) = tail.threshold(f);
        let shown = if f >= rule_of_three { "yes" } else { "no: data runs out" };
        let rule = rule_for(n).map_or("-".to_owned(), |r| format!("{:.3} (margin {:.2})", r.threshold, r.margin));
        println!("   {n:5} | {f:10.1e} | {shown:17} | {tn:22.3} | {te:27.3} | {rule}");
    }

    let s = searches(set);
    println!(
        "\n== open-set identification in the gallery of everyone in the set ({} people, one photo each; every photo enrolled in turn) ==",
        s.people
    );
    println!("  {} mated searches, {} searches by someone not enrolled", s.mated.len(), s.non_mated.len());
    let gaps: Vec<f32> = s.mated.iter().filter(|(t, o)| t > o).map(|(t, o)| t - o).collect();
    let mut sorted_gaps = gaps.clone();
    sorted_gaps.sort_by(f32::total_cmp);
    println!(
        "  mated searches won by the right person: {}; gap to the runner-up: lowest {:.3}, 5th percentile {:.3}, median {:.3}",
        percent(gaps.len(), s.mated.len()),
        sorted_gaps.first().copied().unwrap_or(f32::NAN),
        sorted_gaps.get(sorted_gaps.len() / 20).copied().unwrap_or(f32::NAN),
        sorted_gaps.get(sorted_gaps.len() / 2).copied().unwrap_or(f32::NAN)
    );
    println!("\n  rule (gallery size)  | not enrolled, identified (FPIR) | enrolled, identified as another (FIR) | enrolled, not identified (FNIR) | FNIR, margin alone");
    let mut rules: Vec<(String, IdentifyRule)> = IDENTIFY_RULES.iter().map(|r| (format!("up to {}", r.people), *r)).collect();
    rules.push(("1:1 threshold, no margin".into(), IdentifyRule { people: 0, threshold: MATCH_THRESHOLD, margin: 0.0 }));
    for (label, r) in &rules {
        let accepted = |best: f32, second: f32| best >= r.threshold && best - second >= r.margin;
        // Not enrolled: identified (as someone else) whenever the best clears the rule.
        let fpir = s.non_mated.iter().filter(|(b, o)| accepted(*b, *o)).count();
        let wrong = s.mated.iter().filter(|(t, o)| o > t && accepted(*o, *t)).count();
        let right = s.mated.iter().filter(|(t, o)| t >= o && accepted(*t, *o)).count();
        let margin_lost = s.mated.iter().filter(|(t, o)| t >= o && *t >= r.threshold && t - o < r.margin).count();
        println!(
            "  {label:20} | {:31} | {:37} | {:31} | {}",
            percent(fpir, s.non_mated.len()),
            percent(wrong, s.mated.len()),
            percent(s.mated.len() - right, s.mated.len()),
            percent(margin_lost, s.mated.len())
        );
    }
    println!("\n== beyond the data: the issue's sizes, modelled ==");
    println!(
        "  a non-enrolled person's search is N draws of a non-mated score; an enrolled person's is their own measured score and N-1 draws."
    );
    println!("  one non-mated score: as measured up to the 95th percentile ({:.3}), a fitted tail above it", tail.u);
    let mut sorted: Vec<f64> = non_mated.iter().map(|&x| f64::from(x)).collect();
    sorted.sort_by(f64::total_cmp);
    let genuine: Vec<f64> = s.mated.iter().map(|&(t, _)| f64::from(t)).collect();
    for q in [0.90, 0.95, 0.98] {
        let k = ((sorted.len() as f64) * q) as usize;
        let u = sorted.get(k).copied().unwrap_or(0.0);
        let above: Vec<f64> = sorted.iter().copied().filter(|&x| x > u).collect();
        let beta = above.iter().map(|x| x - u).sum::<f64>() / above.len().max(1) as f64;
        println!(
            "  exponential tail fitted above the {:.0}th percentile ({u:.3}, {} scores): mean excess {beta:.4}",
            q * 100.0,
            above.len()
        );
    }
    let mut mated_sorted = genuine.clone();
    mated_sorted.sort_by(f64::total_cmp);
    let at = |q: f64| mated_sorted.get(((mated_sorted.len() - 1) as f64 * q) as usize).copied().unwrap_or(f64::NAN);
    println!(
        "  true scores of the mated searches: lowest {:.3}, 10th percentile {:.3}, median {:.3}, 90th {:.3}",
        at(0.0),
        at(0.1),
        at(0.5),
        at(0.9)
    );
    for kind in [TailKind::Larger, TailKind::Normal] {
        let model = Model { sorted: &sorted, tail: &tail, kind };
        println!("\n  tail: {}", kind.label());
        println!("   N     | lowest threshold with FPIR <= 0.1% | margin | FPIR     | FIR (wrong person) | FNIR");
        for n in SIZES {
            let t = model.lowest_threshold(n, 0.0);
            for m in [0.0, 0.05, 0.10, 0.15, 0.20] {
                let (fpir, wrong, missed) = model.rates(n, t, m, &genuine);
                println!("   {n:5} | {t:34.3} | {m:6.2} | {fpir:.2e} | {wrong:18.2e} | {:5.1}%", 100.0 * missed);
            }
            if let Some(r) = rule_for(n) {
                let (fpir, wrong, missed) = model.rates(n, f64::from(r.threshold), f64::from(r.margin), &genuine);
                println!(
                    "   {n:5} | IDENTIFY_RULES: {:18.3} | {:6.2} | {fpir:.2e} | {wrong:18.2e} | {:5.1}%",
                    r.threshold,
                    r.margin,
                    100.0 * missed
                );
            }
        }
    }
}

/// Which tail of the non-mated scores a [`Model`] uses above the 95th percentile.
#[derive(Clone, Copy)]
enum TailKind {
    Normal,
    /// The larger of the normal and the exponential at each score: the cautious choice.
    Larger,
}

impl TailKind {
    fn label(self) -> &'static str {
        match self {
            TailKind::Normal => "normal (fitted to all non-mated scores)",
            TailKind::Larger => {
                "the larger of the normal and the exponential (fitted to the top 5%): the cautious one, used for IDENTIFY_RULES"
            }
        }
    }
}

/// One non-mated score's distribution: measured up to the tail's start, modelled above it.
struct Model<'a> {
    sorted: &'a [f64],
    tail: &'a Tail,
    kind: TailKind,
}

impl Model<'_> {
    /// P(score >= x).
    fn sf(&self, x: f64) -> f64 {
        if x <= self.tail.u {
            let below = self.sorted.partition_point(|&s| s < x);
            return (self.sorted.len() - below) as f64 / self.sorted.len().max(1) as f64;
        }
        let (normal, exponential) = self.tail.fmr(x);
        match self.kind {
            TailKind::Normal => normal,
            TailKind::Larger => normal.max(exponential),
        }
    }

    fn cdf(&self, x: f64) -> f64 {
        1.0 - self.sf(x)
    }

    /// The integral over x >= from of count * density(x) * cdf(x - m)^power, in steps of 0.0005.
    fn top_with_gap(&self, from: f64, count: f64, m: f64, power: i32) -> f64 {
        const DX: f64 = 0.0005;
        let mut total = 0.0;
        let mut x = from;
        while x < 1.0 {
            let mass = self.sf(x) - self.sf(x + DX);
            if mass > 0.0 {
                total += count * mass * self.cdf(x + DX / 2.0 - m).powi(power);
            }
            x += DX;
        }
        total
    }

    /// A non-enrolled person among `n`: P(best >= t and best - second >= m).
    fn fpir(&self, n: usize, t: f64, m: f64) -> f64 {
        self.top_with_gap(t, n as f64, m, n as i32 - 1)
    }

    /// FPIR, the mean chance an enrolled person is named as someone else, and the mean chance
    /// they are not identified, over the measured true scores `genuine`, in a gallery of `n`.
    fn rates(&self, n: usize, t: f64, m: f64, genuine: &[f64]) -> (f64, f64, f64) {
        let others = n.saturating_sub(1);
        let (mut wrong, mut missed) = (0.0, 0.0);
        for &g in genuine {
            let right = if g >= t { self.cdf(g - m).powi(others as i32) } else { 0.0 };
            // Someone else is best, clears the threshold, and beats both the true score and the
            // other draws by the margin.
            let w = if others == 0 { 0.0 } else { self.top_with_gap(t.max(g + m), others as f64, m, others as i32 - 1) };
            wrong += w;
            missed += (1.0 - right - w).max(0.0);
        }
        let k = genuine.len().max(1) as f64;
        (self.fpir(n, t, m), wrong / k, missed / k)
    }

    /// The lowest threshold (in steps of 0.005, at least the 1:1 one) whose FPIR in a gallery of
    /// `n` is at most the target with margin `m`.
    fn lowest_threshold(&self, n: usize, m: f64) -> f64 {
        let mut t = (f64::from(MATCH_THRESHOLD) * 200.0).ceil() / 200.0;
        while t < 0.99 && self.fpir(n, t, m) > TARGET_FPIR {
            t += 0.005;
        }
        t
    }
}

// ---------------------------------------------------------------------------------------------
// The queue behind the worker

/// Where the person behind stands in a queue photo.
#[derive(Clone, Copy)]
enum Behind {
    /// Over the worker's shoulder, a step or more back: smaller, higher, to one side, a little
    /// out of focus, partly hidden by the worker's head.
    Shoulder(f32),
    /// Leaning in beside the worker, nearly as close: nearly the same size, to one side.
    Beside(f32),
}

impl Behind {
    const ALL: [Behind; 6] = [
        Behind::Shoulder(0.35),
        Behind::Shoulder(0.5),
        Behind::Shoulder(0.65),
        Behind::Shoulder(0.8),
        Behind::Beside(0.9),
        Behind::Beside(1.0),
    ];

    fn label(self) -> String {
        match self {
            Behind::Shoulder(r) => format!("behind, over the shoulder, {:.0}% size", r * 100.0),
            Behind::Beside(r) => format!("beside, leaning in, {:.0}% size", r * 100.0),
        }
    }
}

/// A kiosk frame, 640x480: the worker's face cut `front` centred at arm's length (the cut is
/// 240 px, the face box about a third of the height) and the other person's cut `other` where
/// `behind` says, left or right. `front` absent: the worker has stepped aside, only the other
/// person is in the frame.
fn queue_frame(front: Option<&RgbImage>, other: &RgbImage, behind: Behind, right: bool) -> RgbImage {
    const W: u32 = 640;
    const H: u32 = 480;
    const FRONT: u32 = 240;
    let mut frame = RgbImage::from_fn(W, H, |x, y| {
        // A plain wall with a little light falling across it.
        let v = 150 - (y / 8) as u8 + (x / 32) as u8;
        Rgb([v, v, v.saturating_sub(8)])
    });
    let (rel, blur, dy) = match behind {
        Behind::Shoulder(r) => (r, 1.0, 40i64),
        Behind::Beside(r) => (r, 0.0, 120),
    };
    let side = ((FRONT as f32) * rel) as u32;
    let mut cut = imageops::resize(other, side, side, imageops::FilterType::Triangle);
    if blur > 0.0 {
        cut = imageops::blur(&cut, blur);
    }
    let fx = i64::from((W - FRONT) / 2);
    let overlap = match behind {
        Behind::Shoulder(_) => i64::from(side) / 3,
        Behind::Beside(_) => -10,
    };
    let x = if right { fx + i64::from(FRONT) - overlap } else { fx - i64::from(side) + overlap };
    imageops::replace(&mut frame, &cut, x, dy);
    if let Some(front) = front {
        let f = imageops::resize(front, FRONT, FRONT, imageops::FilterType::Triangle);
        imageops::replace(&mut frame, &f, fx, i64::from(H - FRONT) / 2 + 20);
    }
    frame
}

/// The subject's liveness set to live, so that the queue's figures show which face is picked and
/// who is named; the composites are pictures of pictures, which passive liveness rightly doubts.
fn as_if_live(mut analysis: Analysis) -> Analysis {
    if let Some(i) = analysis.subject_index() {
        analysis.faces[i].liveness = Some(clockface_face::Liveness { score: 1.0, threshold: 0.5, live: true, v2: 1.0, v1se: 1.0 });
    }
    analysis
}

#[derive(Default)]
struct Tally {
    front: usize,
    behind: usize,
    other: usize,
    pin: BTreeMap<String, usize>,
    not_live: usize,
    total: usize,
}

impl Tally {
    fn add(&mut self, decision: &Identification<usize>, front: Option<usize>, behind: usize, judged_live: bool) {
        self.total += 1;
        self.not_live += usize::from(!judged_live);
        match decision.id() {
            Some(&id) if Some(id) == front => self.front += 1,
            Some(&id) if id == behind => self.behind += 1,
            Some(_) => self.other += 1,
            None => {
                let reason = decision.pin_reason().map_or_else(|| "?".into(), pin_name);
                *self.pin.entry(reason).or_default() += 1;
            }
        }
    }

    fn show(&self) -> String {
        let pins: Vec<String> = self.pin.iter().map(|(k, v)| format!("{k} {v}")).collect();
        format!(
            "front {} | BEHIND {} | someone else {} | PIN {} ({}) | passive liveness doubted {}",
            percent(self.front, self.total),
            self.behind,
            self.other,
            self.pin.values().sum::<usize>(),
            pins.join(", "),
            self.not_live
        )
    }
}

fn pin_name(reason: PinReason) -> String {
    match reason {
        PinReason::PoorQuality(issue) => format!("poor_quality:{issue:?}"),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
            .unwrap_or_else(|| format!("{other:?}")),
    }
}

fn queue(engine: &FaceEngine, set: &Set) -> Result<(), BoxError> {
    let by_person = set.by_person();
    let people: Vec<&str> = by_person.keys().copied().collect();
    // Everyone in the set enrolled with their first photo; the people behind are enrolled too.
    let gallery: Gallery<usize> = people.iter().enumerate().map(|(p, who)| (p, set.samples[by_person[who][0]].embedding.clone())).collect();
    // Workers in front: every photo of a person with more than one, but their enrolment photo.
    let fronts: Vec<(usize, usize)> =
        people.iter().enumerate().flat_map(|(p, who)| by_person[who].iter().skip(1).map(move |&i| (p, i))).collect();
    println!("\n== a queue behind the worker: 640x480 kiosk frames, the worker centred at arm's length ==");
    println!(
        "  gallery: everyone in the set ({} people, first photo each, the people behind included); {} worker photos (not their enrolment photo), each with the next person of the set behind, left and right",
        gallery.people(),
        fronts.len()
    );
    println!("  liveness set aside (the composites are pictures of pictures, which passive liveness doubts; counted in the last column)");
    let mut share_front = Vec::new();
    for behind in Behind::ALL {
        let (mut with, mut without) = (Tally::default(), Tally::default());
        let mut ratios = Vec::new();
        for (k, &(p, i)) in fronts.iter().enumerate() {
            // The person behind: another person, a photo that is not their enrolment photo when they have one.
            let q = (p + 1 + k % (people.len() - 1)) % people.len();
            let theirs = &by_person[people[q]];
            let other = &set.samples[theirs[theirs.len().min(2) - 1]].crop;
            for right in [false, true] {
                let frame = queue_frame(Some(&set.samples[i].crop), other, behind, right);
                let analysis = engine.analyse_photo(Photo::from_rgb(frame))?;
                let live = analysis.subject().ok().and_then(|s| s.liveness).is_some_and(|l| l.live);
                if let Some(a) = analysis.faces.first() {
                    share_front.push(a.face.width / analysis.width.min(analysis.height) as f32);
                    if let Some(b) = analysis.faces.get(1) {
                        ratios.push(b.face.width / a.face.width);
                    }
                }
                with.add(&gallery.identify_subject(&as_if_live(analysis)), Some(p), q, live);
                // The worker stepped aside: only the one behind is in the frame.
                let alone = engine.analyse_photo(Photo::from_rgb(queue_frame(None, other, behind, right)))?;
                let live = alone.subject().ok().and_then(|s| s.liveness).is_some_and(|l| l.live);
                without.add(&gallery.identify_subject(&as_if_live(alone)), None, q, live);
            }
        }
        ratios.sort_by(f32::total_cmp);
        println!("  {}", behind.label());
        println!(
            "    both in the frame:     {}  (second face found in {}, width ratio {:.2}-{:.2})",
            with.show(),
            ratios.len(),
            ratios.first().copied().unwrap_or(f32::NAN),
            ratios.last().copied().unwrap_or(f32::NAN)
        );
        println!("    the worker stepped out: {}", without.show());
    }
    share_front.sort_by(f32::total_cmp);
    println!(
        "  the worker's face box over the frame's shorter side: {:.2}-{:.2} (MIN_SUBJECT_SHARE {MIN_SUBJECT_SHARE})",
        share_front.first().copied().unwrap_or(f32::NAN),
        share_front.last().copied().unwrap_or(f32::NAN)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Speed and memory

fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok().map(Duration::from_nanos)
}

fn measure<T>(f: impl FnOnce() -> T) -> (T, Duration, Option<Duration>) {
    let (wall, cpu) = (Instant::now(), thread_cpu());
    let out = f();
    let cpu = cpu.zip(thread_cpu()).map(|(a, b)| b.saturating_sub(a));
    (out, wall.elapsed(), cpu)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[derive(Default)]
struct Stage {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
}

impl Stage {
    fn push(&mut self, wall: Duration, cpu: Option<Duration>) {
        self.wall.push(wall);
        self.cpu.extend(cpu);
    }

    fn show(&self) -> String {
        let mut wall = self.wall.clone();
        wall.sort();
        let median = wall.get(wall.len() / 2).map_or(f64::NAN, |d| ms(*d));
        let cpu = if self.cpu.is_empty() { f64::NAN } else { self.cpu.iter().map(|d| ms(*d)).sum::<f64>() / self.cpu.len() as f64 };
        format!("{cpu:7.3} ({median:7.3})")
    }
}

/// Reproducible random unit vectors: stand-ins for enrolled templates where only speed and
/// memory are measured (a search costs the same whatever the numbers are).
fn random_templates(seed: u64, n: usize) -> Vec<Embedding> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    (0..n).filter_map(|_| Embedding::from_vec((0..EMBEDDING_LEN).map(|_| next()).collect())).collect()
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn encode_jpeg(image: &RgbImage) -> Result<Vec<u8>, BoxError> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}

fn speed(engine: &FaceEngine, set: Option<&Set>) -> Result<(), BoxError> {
    println!("\n== memory per 10,000 templates ==");
    let before = resident_kib();
    let templates = random_templates(7, 10_000);
    let gallery: Gallery<u64> = templates.into_iter().enumerate().map(|(i, e)| (i as u64, e)).collect();
    let after = resident_kib();
    println!(
        "  Gallery<u64>::heap_bytes: {:.2} MB ({} bytes per template); process resident memory grew {} (the Embeddings built on the way included; measured first, before any other large allocation)",
        gallery.heap_bytes() as f64 / 1e6,
        gallery.heap_bytes() / gallery.templates(),
        before.zip(after).map_or("(not measured)".to_owned(), |(b, a)| format!("{:.2} MB", (a.saturating_sub(b)) as f64 * 1024.0 / 1e6))
    );
    drop(gallery);

    println!("\n== search speed: flat scan, one thread; mean CPU ms per search (median wall ms) ==");
    let probes = random_templates(99, 64);
    for n in [50usize, 500, 5_000, 10_000] {
        let gallery: Gallery<u64> = random_templates(n as u64, n).into_iter().enumerate().map(|(i, e)| (i as u64, e)).collect();
        // Enough searches per timing that a scheduler tick (4 ms) is small beside it.
        let batch = (2_000_000 / n).max(20);
        let mut stage = Stage::default();
        let mut sink = 0.0f32;
        for round in 0..30 {
            let (score, wall, cpu) = measure(|| {
                let mut s = 0.0;
                for k in 0..batch {
                    s += gallery.search(&probes[(round + k) % probes.len()]).best.map_or(0.0, |c| c.score);
                }
                s
            });
            sink += score;
            stage.wall.push(wall / batch as u32);
            stage.cpu.extend(cpu.map(|c| c / batch as u32));
        }
        let cpu_ms = stage.cpu.iter().map(|d| ms(*d)).sum::<f64>() / stage.cpu.len().max(1) as f64;
        // The checksum of the best scores keeps the searches from being optimised away.
        println!(
            "  {n:6} templates: {} ms per search; templates read at {:.1} GB/s of CPU time (checksum {sink:.0})",
            stage.show(),
            (n * EMBEDDING_LEN * 4) as f64 / (cpu_ms / 1e3) / 1e9,
        );
    }

    println!("\n== the whole identification, one thread, 30 runs: mean CPU ms (median wall ms) ==");
    // The bench's phone photo: the public-domain portrait upscaled to 768x960 on a grey 1280x960 canvas.
    let portrait = image::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/obama-1.jpg"))?.to_rgb8();
    let upscaled = imageops::resize(&portrait, 768, 960, imageops::FilterType::CatmullRom);
    let mut p1280 = RgbImage::from_pixel(1280, 960, Rgb([90, 90, 90]));
    imageops::replace(&mut p1280, &upscaled, 256, 0);
    let bytes = encode_jpeg(&p1280)?;
    let enrolled =
        engine.analyse(&encode_jpeg(&portrait)?, 0)?.faces.first().map(|f| f.embedding.clone()).ok_or("no face in the portrait")?;
    // 5,000 people: the portrait's person, the real set's people when there is one, random templates for the rest.
    let mut templates: Vec<(u64, Embedding)> = vec![(0, enrolled)];
    if let Some(set) = set {
        templates.extend(
            set.samples.iter().filter(|s| !s.person.contains("obama")).enumerate().map(|(i, s)| (i as u64 + 1, s.embedding.clone())),
        );
    }
    let start = templates.len() as u64;
    templates.extend(random_templates(5, 5_000 - templates.len()).into_iter().enumerate().map(|(i, e)| (start + i as u64, e)));
    let gallery: Gallery<u64> = templates.into_iter().collect();
    let (mut decode, mut analyse, mut search, mut whole) = (Stage::default(), Stage::default(), Stage::default(), Stage::default());
    let mut outcome = None;
    for _ in 0..30 {
        let (photo, wall, cpu) = measure(|| engine.decode(&bytes, 0));
        decode.push(wall, cpu);
        let (analysis, wall, cpu) = measure(|| engine.analyse_photo(photo?));
        analyse.push(wall, cpu);
        let analysis = analysis?;
        let (_, wall, cpu) = measure(|| gallery.identify_subject(&analysis));
        search.push(wall, cpu);
        let (decision, wall, cpu) = measure(|| engine.analyse(&bytes, 0).map(|a| gallery.identify_subject(&a)));
        whole.push(wall, cpu);
        outcome = Some(decision?);
    }
    println!(
        "  1280x960 JPEG, {} people enrolled: decode {}  detect+align+embed+quality+passive liveness {}  identify {}",
        gallery.people(),
        decode.show(),
        analyse.show(),
        search.show()
    );
    println!("  whole (analyse(bytes) + identify_subject): {}", whole.show());
    println!(
        "  outcome: {:?}",
        outcome.map(|o| match o {
            Identification::Identified { id, score, second, .. } => format!("identified {id} (score {score:.3}, second {second:?})"),
            Identification::AskPin { reason, best, .. } => format!("PIN: {} (best {best:?})", pin_name(reason)),
        })
    );
    Ok(())
}
