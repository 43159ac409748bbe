//! Accuracy and speed of the face engine. Run in release:
//!
//! ```text
//! cargo run --release -p clockface-face --example bench [-- FACES_DIR]
//! ```
//!
//! FACES_DIR defaults to `../shared/faces`, beside the repository. It holds
//! `dev/pairs.csv` (pairs of 150x150 grayscale face crops, same person or
//! not) and `groups/` (crew photos). Without it only the timing runs, on the
//! crate's own fixtures, and the output says so.
//!
//! The dev crops are tight: the face fills the frame, which is not what the
//! detector is built for. Each crop is therefore centred on a mid-grey canvas
//! twice its size before analysis (the face then fills half the frame, like a
//! selfie). A crop in which no face is found still counts: as a rejected
//! genuine pair, and as a (correctly) rejected impostor pair.
//!
//! Sections (all by default; `BENCH_ONLY=load,accuracy,groups,several,orientation,dark,hard,timing`
//! picks some): accuracy on the dev pairs, crew photos, several faces, which way up, how dark is
//! too dark, and the hard probes (turned, side light, shadow, dark sites, a bystander, JPEG), each
//! beside `face_recognition` when it is installed. `BENCH_LIGHT=1` turns the optional crop
//! normalisation on, `BENCH_NO_RETRY=1` the brightened second look off, `BENCH_FLOAT=1` keeps
//! every matrix product in floats (the engine's 8-bit ones are the default where the processor
//! has AVX-512 VNNI or AVX2).
//!
//! Timing runs on one thread: the engine's network runtime is single-threaded
//! and nothing else here spawns threads. Figures cover 30 runs: the mean of the
//! thread's CPU time (from /proc, so not skewed by other processes on a
//! shared machine) and, in brackets, the median wall time.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use attacks::{Attack, Motion};
use clockface_face::{
    compare, verdict, Analysis, DetectorOptions, Embedding, EngineOptions, FaceEngine, LivenessOptions, Photo, Verdict, LIVENESS_THRESHOLD,
    MATCH_THRESHOLD, SEVERAL_FACES_RATIO,
};
use image::{imageops, ImageFormat, Rgb, RgbImage};

#[path = "bench/attacks.rs"]
mod attacks;

type BoxError = Box<dyn std::error::Error>;

fn main() -> Result<(), BoxError> {
    let faces_dir = faces_dir();
    // BENCH_LIGHT=1 turns the crop's lighting normalisation on (it is off by default),
    // BENCH_NO_RETRY=1 the second, brightened look for a face off, to compare.
    let normalise_light = std::env::var_os("BENCH_LIGHT").is_some() || EngineOptions::default().normalise_light;
    let brighten_retry = std::env::var_os("BENCH_NO_RETRY").is_none() && EngineOptions::default().brighten_retry;
    // BENCH_FLOAT=1 keeps every product in floats (8 bits are the default where the processor has VNNI or AVX2).
    let int8 = std::env::var_os("BENCH_FLOAT").is_none() && EngineOptions::default().int8;
    let (engine, wall, cpu) =
        measure(|| FaceEngine::load_with(EngineOptions { normalise_light, brighten_retry, int8, ..EngineOptions::default() }));
    let engine = engine?;
    println!(
        "arithmetic: {} layers of the embedder and liveness networks in 8 bits ({}){}",
        engine.int8_layers(),
        engine.int8_instructions().unwrap_or("none"),
        if int8 { "" } else { " (BENCH_FLOAT: floats asked for)" }
    );
    println!(
        "model load (checksums, de-quantization rewrite, compiling the networks): {:.0} ms CPU ({:.0} ms wall); crop lighting normalisation {}, brightened second look {}",
        cpu.map_or(f64::NAN, ms),
        ms(wall),
        if normalise_light { "on" } else { "off" },
        if brighten_retry { "on" } else { "off" }
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("machine load average (1/5/15 min): {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    }
    if wanted("load") {
        // The first load above also pays for reading the models' pages of this executable;
        // these are the same work again, once they are in memory.
        let mut again = Stage::default();
        for _ in 0..10 {
            let (loaded, wall, cpu) = measure(FaceEngine::load);
            loaded?;
            again.push(wall, cpu);
        }
        println!("model load, 10 more times in this process: mean CPU ms (median wall ms) {}", again.show());
    }
    // The shipped engine takes a quick look at 320 px and searches at 640 px when unsure; these two
    // do only one or the other.
    let only = |input_size| {
        FaceEngine::load_with(EngineOptions {
            detector: DetectorOptions { input_size, quick_input_size: 0, ..DetectorOptions::default() },
            normalise_light,
            brighten_retry,
            int8,
            ..EngineOptions::default()
        })
    };
    let (full, small) = (only(640)?, only(320)?);

    match &faces_dir {
        Some(dir) => {
            if wanted("accuracy") {
                println!("\n== accuracy on {} ==", dir.join("dev/pairs.csv").display());
                for (label, e) in
                    [("shipped: quick look at 320, full search at 640 when unsure", &engine), ("640 only", &full), ("320 only", &small)]
                {
                    accuracy(e, dir, label)?;
                }
            }
            if wanted("groups") {
                println!("\n== faces found in crew photos ({}) ==", dir.join("groups").display());
                groups(&full, &small, dir)?;
            }
            if wanted("several") {
                println!("\n== several faces in one photo: verdicts on dev pairs, probe made from the pair's second photo ==");
                variants(&engine, dir)?;
            }
            if wanted("orientation") {
                println!("\n== orientation: best detection score of each photo turned 0/90/180/270, and the turn the engine picks ==");
                orientation(&engine, dir)?;
            }
            if wanted("dark") {
                println!("\n== how dark is too dark: dev probes scaled to a fraction of their brightness (noise sigma 3), scores whatever the quality check says ==");
                dark_sweep(&engine, dir)?;
            }
            if wanted("liveness") {
                println!("\n== passive liveness: live photos and attacks made at run time (examples/bench/attacks.rs) ==");
                liveness(&engine, dir)?;
            }
            if wanted("bursts") {
                println!("\n== active check: bursts of frames ==");
                bursts(&engine, dir)?;
            }
            if wanted("hard") {
                println!("\n== hard photos: dev pairs, the probe (second photo) made hard at run time; the reference stays plain ==");
                hard(&engine, dir)?;
            }
        }
        None => {
            println!(
                "\nshared faces folder not found (looked for ../shared/faces beside the repository): accuracy NOT measured, timing only"
            )
        }
    }

    if !wanted("timing") {
        return Ok(());
    }
    println!("\n== timing per photo, one thread, 30 runs: mean CPU ms (median wall ms) ==");
    // The physical limit beside the figures: the embedder's arithmetic at this core's peak rate.
    let peak = fma_peak();
    let macs = engine.embedding_multiply_adds()?;
    println!(
        "  this core's peak: {:.1} G float multiply-adds/s (SIMD fused multiply-adds, {} lanes); one embedding is {:.0} M multiply-adds: at least {:.1} ms at that peak",
        peak / 1e9,
        pulp::Arch::new().dispatch(Lanes),
        macs as f64 / 1e6,
        macs as f64 / peak * 1e3
    );
    let portrait = fixture("obama-1.jpg")?;
    let p640 = imageops::resize(&portrait, 512, 640, imageops::FilterType::Triangle);
    let upscaled = imageops::resize(&portrait, 768, 960, imageops::FilterType::CatmullRom);
    let mut p1280 = RgbImage::from_pixel(1280, 960, Rgb([90, 90, 90]));
    imageops::replace(&mut p1280, &upscaled, 256, 0);
    // A burst: 8 frames of 640x480 JPEG, as the clock sends them, the face at the same place.
    let frame = imageops::resize(&p1280, 640, 480, imageops::FilterType::Triangle);
    let frame_bytes = encode_jpeg(&frame)?;
    let enrolled = enrol(&engine, &portrait)?;
    let mut burst = Stage::default();
    for _ in 0..30 {
        let frames: Vec<&[u8]> = (0..8).map(|_| frame_bytes.as_slice()).collect();
        let (check, wall, cpu) = measure(|| engine.check_burst_bytes(&frames, 0, clockface_face::TurnDirection::Left, &enrolled));
        burst.push(wall, cpu);
        check?;
    }
    println!(
        "  {:40} decode, detect at 320, embed and passive liveness of the tracked face, 8 times: {}",
        "burst of 8 640x480 JPEG frames",
        burst.show_spread()
    );
    // The burst as the clock sends it: one 1920x720 JPEG (q85), eight 480x360 frames, four to a row.
    let small_frame = imageops::resize(&p1280, 480, 360, imageops::FilterType::Triangle);
    let mut sheet = RgbImage::new(1920, 720);
    for i in 0..8 {
        imageops::replace(&mut sheet, &small_frame, i64::from(i % 4 * 480), i64::from(i / 4 * 360));
    }
    let mut sheet_bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut sheet_bytes, 85).encode_image(&sheet)?;
    let layout = clockface_face::SheetLayout { frames: 8, columns: 4 };
    let mut burst = Stage::default();
    for _ in 0..30 {
        let (check, wall, cpu) = measure(|| engine.check_burst_sheet(&sheet_bytes, layout, clockface_face::TurnDirection::Left, &enrolled));
        burst.push(wall, cpu);
        if check?.frames.iter().any(|f| f.face.is_none()) {
            return Err("the burst sheet lost its face".into());
        }
    }
    println!(
        "  {:40} the same, as the clock sends it (check_burst_sheet, {} KB): {}",
        "burst sheet 1920x720 JPEG q85, 8 frames",
        sheet_bytes.len() / 1024,
        burst.show_spread()
    );
    // Two parts of it, each beside the way it was done before, run in turns so that the
    // machine's load falls on both alike: the sheet cut into frames, and the eight faces embedded.
    let decoded = engine.decode(&sheet_bytes, 0)?;
    let frames = layout.split(&decoded)?;
    let faces = frames
        .iter()
        .map(|f| engine.detect_quick(f)?.into_iter().next().ok_or_else(|| BoxError::from("no face in a frame")))
        .collect::<Result<Vec<_>, BoxError>>()?;
    let pairs: Vec<(&Photo, &clockface_face::Face)> = frames.iter().zip(&faces).collect();
    let (mut cut, mut cropped, mut alone, mut together) = (Stage::default(), Stage::default(), Stage::default(), Stage::default());
    for _ in 0..30 {
        let (split, wall, cpu) = measure(|| layout.split(&decoded));
        cut.push(wall, cpu);
        split?;
        let (_, wall, cpu) = measure(|| {
            (0..8u32).map(|i| imageops::crop_imm(&decoded.image, i % 4 * 480, i / 4 * 360, 480, 360).to_image()).collect::<Vec<_>>()
        });
        cropped.push(wall, cpu);
        let (one, wall, cpu) = measure(|| pairs.iter().map(|(p, f)| engine.embed(p, f)).collect::<Result<Vec<_>, _>>());
        alone.push(wall, cpu);
        let (batch, wall, cpu) = measure(|| engine.embed_faces(&pairs));
        together.push(wall, cpu);
        if one?.iter().zip(batch?).any(|(a, b)| a.embedding != b.embedding) {
            return Err("a batch changed an embedding".into());
        }
    }
    println!("  {:40} SheetLayout::split, rows copied: {}", "  sheet cut into 8 frames", cut.show_spread());
    println!("  {:40} each frame by crop_imm().to_image() (before): {}", "", cropped.show_spread());
    println!("  {:40} embed_faces, one batch: {}", "  8 faces aligned, embedded, measured", together.show_spread());
    println!("  {:40} embed, one at a time (before): {}", "", alone.show_spread());
    for (label, image) in [("512x640 JPEG", p640), ("1280x960 JPEG", p1280)] {
        let bytes = encode_jpeg(&image)?;
        let ours = timing(&engine, &format!("{label}, shipped (320 first)"), &bytes, 320)?;
        timing(&full, &format!("{label}, detector 640 only"), &bytes, 640)?;
        peer(label, &bytes, ours)?;
        let upside_down = encode_jpeg(&imageops::rotate180(&image))?;
        timing_total(&engine, &format!("{label} turned 180, shipped"), &upside_down)?;
    }
    Ok(())
}

fn faces_dir() -> Option<PathBuf> {
    let arg = std::env::args().nth(1).map(PathBuf::from);
    let candidates =
        // The shared folder stands beside the repository: ../shared from its root, three levels up from this crate.
        [arg, Some(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/faces"))), Some(PathBuf::from("../shared/faces"))];
    candidates.into_iter().flatten().find(|d| d.join("dev/pairs.csv").is_file())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn fixture(name: &str) -> Result<RgbImage, BoxError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    Ok(image::open(path)?.to_rgb8())
}

fn encode_jpeg(image: &RgbImage) -> Result<Vec<u8>, BoxError> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}

/// The face crop centred on a mid-grey canvas twice its size.
fn padded(crop: &RgbImage) -> RgbImage {
    let (w, h) = crop.dimensions();
    let mut canvas = RgbImage::from_pixel(w * 2, h * 2, Rgb([128, 128, 128]));
    imageops::replace(&mut canvas, crop, (w / 2) as i64, (h / 2) as i64);
    canvas
}

fn accuracy(engine: &FaceEngine, dir: &Path, label: &str) -> Result<(), BoxError> {
    let pairs = dev_pairs(dir)?;
    let mut names: Vec<&String> = pairs.iter().flat_map(|(a, b, _)| [a, b]).collect();
    names.sort();
    names.dedup();
    let mut embeddings = std::collections::HashMap::new();
    let mut missed = Vec::new();
    let mut issues = 0;
    for name in &names {
        let crop = image::open(dir.join("dev").join(name))?.to_rgb8();
        let analysis = engine.analyse_photo(Photo::from_rgb(padded(&crop)))?;
        match analysis.faces.first() {
            Some(f) => {
                if f.quality.issue().is_some() {
                    issues += 1;
                }
                embeddings.insert((*name).clone(), f.embedding.clone());
            }
            None => missed.push((*name).clone()),
        }
    }
    let score = |a: &String, b: &String| Some(compare(embeddings.get(a)?, embeddings.get(b)?));
    let genuine: Vec<Option<f32>> = pairs.iter().filter(|p| p.2).map(|p| score(&p.0, &p.1)).collect();
    let impostor: Vec<Option<f32>> = pairs.iter().filter(|p| !p.2).map(|p| score(&p.0, &p.1)).collect();
    let rate =
        |scores: &[Option<f32>], t: f32| scores.iter().filter(|s| s.is_some_and(|s| s >= t)).count() as f64 / scores.len().max(1) as f64;
    let mut imp_sorted: Vec<f32> = impostor.iter().flatten().copied().collect();
    imp_sorted.sort_by(|a, b| b.total_cmp(a));
    // Smallest threshold with at most 1% false accepts.
    let allowed = impostor.len() / 100;
    let t1 = imp_sorted.get(allowed).map_or(-1.0, |s| s + 1e-6);
    // Equal error rate: the threshold where false accepts and rejects cross.
    let mut eer = (f64::MAX, 0.0, 0.0f32);
    let mut candidates: Vec<f32> = genuine.iter().chain(&impostor).flatten().copied().collect();
    candidates.sort_by(f32::total_cmp);
    for &t in &candidates {
        let (far, frr) = (rate(&impostor, t), 1.0 - rate(&genuine, t));
        if (far - frr).abs() < eer.0 {
            eer = ((far - frr).abs(), (far + frr) / 2.0, t);
        }
    }
    println!("-- {label} --");
    println!(
        "  {} crops, face found in {} (missed: {:?}); {} with a quality issue; {} genuine / {} impostor pairs",
        names.len(),
        names.len() - missed.len(),
        missed,
        issues,
        genuine.len(),
        impostor.len()
    );
    println!("  genuine accepted at <=1% false accepts: {:.1}% (threshold {:.3})", 100.0 * rate(&genuine, t1), t1);
    println!("  equal error rate: {:.2}% (at {:.3})", 100.0 * eer.1, eer.2);
    println!(
        "  at the shipped threshold {MATCH_THRESHOLD}: FAR {:.2}% ({} of {}), FRR {:.2}%",
        100.0 * rate(&impostor, MATCH_THRESHOLD),
        impostor.iter().filter(|s| s.is_some_and(|s| s >= MATCH_THRESHOLD)).count(),
        impostor.len(),
        100.0 * (1.0 - rate(&genuine, MATCH_THRESHOLD))
    );
    let top: Vec<String> = imp_sorted.iter().take(10).map(|s| format!("{s:.3}")).collect();
    let mut gen_sorted: Vec<f32> = genuine.iter().flatten().copied().collect();
    gen_sorted.sort_by(f32::total_cmp);
    let low: Vec<String> = gen_sorted.iter().take(8).map(|s| format!("{s:.3}")).collect();
    println!("  highest impostor scores: {}", top.join(" "));
    println!("  lowest genuine scores:   {}", low.join(" "));
    Ok(())
}

fn groups(engine: &FaceEngine, small: &FaceEngine, dir: &Path) -> Result<(), BoxError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir.join("groups"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg" || x == "png"))
        .collect();
    entries.sort();
    for path in entries {
        let bytes = std::fs::read(&path)?;
        let big = engine.analyse_group(&bytes, 0)?;
        let little = small.analyse_group(&bytes, 0)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let widths: Vec<String> = big.faces.iter().map(|f| format!("{:.0}", f.face.width)).collect();
        println!(
            "  {name:12} {}x{}: 640 input {} faces, 320 input {} faces (face widths in photo px: {})",
            big.width,
            big.height,
            big.faces.len(),
            little.faces.len(),
            widths.join(" ")
        );
        if big.faces.len() >= 2 {
            let (a, b) = (&big.faces[0], &big.faces[1]);
            println!(
                "  {:12} second/largest width {:.2}, off centre {:.2} / {:.2}, sharpness {:.0} / {:.0}, score {:.2} / {:.2}: as a selfie {}",
                "",
                b.face.width / a.face.width,
                off_centre(&big, 0),
                off_centre(&big, 1),
                a.quality.sharpness,
                b.quality.sharpness,
                a.face.score,
                b.face.score,
                match big.subject() {
                    Err(Verdict::SeveralFaces) => "several_faces".to_owned(),
                    Err(v) => format!("{v:?}"),
                    Ok(_) => format!("subject found, {} other(s) ignored", big.others_seen()),
                }
            );
        }
    }
    Ok(())
}

/// The dev set as the sections read it: its pairs, each photo's name once (sorted), and the
/// people in it (in name order).
struct DevSet {
    dir: std::path::PathBuf,
    pairs: Vec<(String, String, bool)>,
    names: Vec<String>,
    people: Vec<String>,
}

impl DevSet {
    fn open(dir: &Path) -> Result<DevSet, BoxError> {
        let pairs = dev_pairs(dir)?;
        let mut names: Vec<String> = pairs.iter().flat_map(|(a, b, _)| [a.clone(), b.clone()]).collect();
        names.sort();
        names.dedup();
        let mut people: Vec<String> = names.iter().map(|n| person(n)).collect();
        people.dedup();
        Ok(DevSet { dir: dir.to_owned(), pairs, names, people })
    }

    /// A photo of the set, by name (`person/n.jpg`).
    fn load(&self, name: &str) -> Result<RgbImage, BoxError> {
        Ok(image::open(self.dir.join("dev").join(name))?.to_rgb8())
    }

    /// The bystander for `name`: the next person, the same photo number (so for some impostor
    /// pairs it is the enrolled person, in the background).
    fn bystander(&self, name: &str) -> String {
        let p = self.people.iter().position(|x| *x == person(name)).unwrap_or(0);
        format!("{}/{}", self.people[(p + 1) % self.people.len()], name.rsplit('/').next().unwrap_or_default())
    }
}

/// The person a dev photo shows: the folder of `person/n.jpg`.
fn person(name: &str) -> String {
    name.split('/').next().unwrap_or_default().to_owned()
}

/// The dev pairs as (a, b, same person).
fn dev_pairs(dir: &Path) -> Result<Vec<(String, String, bool)>, BoxError> {
    let csv = std::fs::read_to_string(dir.join("dev/pairs.csv"))?;
    Ok(csv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut it = l.split(',');
            Some((it.next()?.to_owned(), it.next()?.to_owned(), it.next()? == "yes"))
        })
        .collect())
}

/// The verdict under the rule before issue 16: any second face at least
/// [`SEVERAL_FACES_RATIO`] as wide as the largest gave `several_faces`.
fn legacy_verdict(analysis: &Analysis, enrolled: &[Embedding]) -> Verdict {
    if let Some(first) = analysis.faces.first() {
        if analysis.faces.iter().skip(1).any(|f| f.face.width >= SEVERAL_FACES_RATIO * first.face.width) {
            return Verdict::SeveralFaces;
        }
    }
    // Every other face is below the old ratio, which the new rule also takes as a bystander.
    verdict(analysis, enrolled, MATCH_THRESHOLD).verdict
}

/// How a probe photo with more than one face is made from a dev crop.
#[derive(Clone, Copy)]
enum Variant {
    /// The crop on the grey canvas twice its size, as in the accuracy run.
    Plain,
    /// Another person's crop, shrunk to 25-50% of the subject's size, in a
    /// corner of the same canvas (the issue's "second smaller face pasted
    /// into the background").
    Background,
    /// Another person's crop at 60-75% size, slightly out of focus, just
    /// behind the subject's shoulder: on a canvas three crops wide, the
    /// subject in the middle. Like the press photos' co-worker behind.
    CloseBehind,
    /// Two people posing together: both crops at the same size side by side,
    /// the subject left or right.
    Together,
    /// The same with the other person at 90% size.
    TogetherNinety,
}

impl Variant {
    fn label(self) -> &'static str {
        match self {
            Variant::Plain => "plain (one face)",
            Variant::Background => "bystander pasted in a corner, 25-50% size",
            Variant::CloseBehind => "bystander close behind, 60-75% size, blurred",
            Variant::Together => "two people together, same size",
            Variant::TogetherNinety => "two people together, other at 90%",
        }
    }

    /// The probe photo: `crop` is the subject, `other` another person's crop, `i` varies size and corner.
    fn compose(self, crop: &RgbImage, other: &RgbImage, i: usize) -> RgbImage {
        let (w, h) = crop.dimensions();
        let shrink = |f: f32| {
            let (ow, oh) = ((w as f32 * f).round() as u32, (h as f32 * f).round() as u32);
            imageops::resize(other, ow, oh, imageops::FilterType::Triangle)
        };
        match self {
            Variant::Plain => padded(crop),
            Variant::Background => {
                let mut canvas = padded(crop);
                let small = shrink([0.25, 0.30, 0.35, 0.40, 0.45, 0.50][i % 6]);
                let (cw, ch, sw, sh) = (canvas.width(), canvas.height(), small.width(), small.height());
                let (x, y) = [(2, 2), (cw - sw - 2, 2), (2, ch - sh - 2), (cw - sw - 2, ch - sh - 2)][i % 4];
                imageops::replace(&mut canvas, &small, x as i64, y as i64);
                canvas
            }
            Variant::CloseBehind => {
                let mut canvas = RgbImage::from_pixel(w * 3, h * 2, Rgb([128, 128, 128]));
                let behind = imageops::blur(&shrink([0.60, 0.65, 0.70, 0.75][i % 4]), 1.2);
                let x = if i.is_multiple_of(2) { w - behind.width() / 2 } else { 2 * w - behind.width() / 2 };
                imageops::replace(&mut canvas, &behind, x as i64, (h / 4) as i64);
                imageops::replace(&mut canvas, crop, w as i64, (h / 2) as i64);
                canvas
            }
            Variant::Together | Variant::TogetherNinety => {
                let partner = shrink(if matches!(self, Variant::Together) { 1.0 } else { 0.9 });
                let mut canvas = RgbImage::from_pixel(w * 3, h * 2, Rgb([128, 128, 128]));
                let (left, right) = if i.is_multiple_of(2) { (crop, &partner) } else { (&partner, crop) };
                let x0 = (3 * w - left.width() - right.width() - 10) / 2;
                imageops::replace(&mut canvas, left, x0 as i64, ((2 * h - left.height()) / 2) as i64);
                imageops::replace(&mut canvas, right, (x0 + left.width() + 10) as i64, ((2 * h - right.height()) / 2) as i64);
                canvas
            }
        }
    }
}

/// Distance of a face's centre from the photo's centre, in fractions of its width and height.
fn off_centre(analysis: &Analysis, i: usize) -> f32 {
    let f = &analysis.faces[i].face;
    let dx = (f.x + f.width / 2.0) / analysis.width as f32 - 0.5;
    let dy = (f.y + f.height / 2.0) / analysis.height as f32 - 0.5;
    dx.hypot(dy)
}

/// Each dev pair with its second photo made into a probe of each [`Variant`]: the verdict
/// against the first photo's embedding (plain), at the shipped threshold, under the rule before
/// issue 16 and now; and the width ratio of the second face to the largest, the measure the rule
/// is built on.
fn variants(engine: &FaceEngine, dir: &Path) -> Result<(), BoxError> {
    let set = DevSet::open(dir)?;
    let (pairs, names) = (set.pairs.as_slice(), set.names.as_slice());
    let load = |n: &str| set.load(n);
    let mut enrolled = std::collections::HashMap::new();
    for n in names {
        let analysis = engine.analyse_photo(Photo::from_rgb(padded(&load(n)?)))?;
        if let Some(f) = analysis.faces.first() {
            enrolled.insert(n.clone(), f.embedding.clone());
        }
    }
    println!("  (before: any second face >= {SEVERAL_FACES_RATIO} of the largest's width gave several_faces; now: Analysis::dominates)");
    for variant in [Variant::Plain, Variant::Background, Variant::CloseBehind, Variant::Together, Variant::TogetherNinety] {
        let mut probes = std::collections::HashMap::new();
        let (mut ratios, mut centred, mut margins) = (Vec::new(), 0, Vec::new());
        for (i, n) in names.iter().enumerate() {
            let other = set.bystander(n);
            let analysis = engine.analyse_photo(Photo::from_rgb(variant.compose(&load(n)?, &load(&other)?, i)))?;
            if analysis.faces.len() >= 2 {
                ratios.push(analysis.faces[1].face.width / analysis.faces[0].face.width);
                centred += usize::from(off_centre(&analysis, 0) < off_centre(&analysis, 1));
                margins.push(off_centre(&analysis, 1) - off_centre(&analysis, 0));
            }
            probes.insert(n.clone(), analysis);
        }
        let (mut before, mut now) = ([0usize; 4], [0usize; 4]);
        let mut refused = std::collections::BTreeMap::new();
        for (a, b, same) in pairs {
            let (Some(reference), Some(probe)) = (enrolled.get(a), probes.get(b)) else { continue };
            let reference = std::slice::from_ref(reference);
            for (counts, v) in
                [(&mut before, legacy_verdict(probe, reference)), (&mut now, verdict(probe, reference, MATCH_THRESHOLD).verdict)]
            {
                let k = usize::from(!*same) * 2;
                counts[k] += usize::from(v == Verdict::Match);
                counts[k + 1] += usize::from(v == Verdict::SeveralFaces);
            }
            let v = verdict(probe, reference, MATCH_THRESHOLD).verdict;
            if *same && v != Verdict::Match {
                *refused.entry(format!("{v:?}")).or_insert(0) += 1;
            }
        }
        let (g, i) = (pairs.iter().filter(|p| p.2).count(), pairs.iter().filter(|p| !p.2).count());
        ratios.sort_by(f32::total_cmp);
        margins.sort_by(f32::total_cmp);
        let show = |c: [usize; 4]| {
            format!(
                "genuine accepted {:5.1}% ({}/{g}), several_faces {}; false accepts {:.2}% ({}/{i}), several_faces {}",
                100.0 * c[0] as f64 / g as f64,
                c[0],
                c[1],
                100.0 * c[2] as f64 / i as f64,
                c[2],
                c[3]
            )
        };
        println!("-- {} --", variant.label());
        println!(
            "  probes with 2+ faces: {} of {}; second/largest width ratio min {:.2} median {:.2} max {:.2}; largest face nearer the centre in {}",
            ratios.len(),
            names.len(),
            ratios.first().copied().unwrap_or(f32::NAN),
            ratios.get(ratios.len() / 2).copied().unwrap_or(f32::NAN),
            ratios.last().copied().unwrap_or(f32::NAN),
            centred
        );
        println!(
            "  how much nearer the centre the largest face is (other's distance minus its, in photo sizes): min {:.2} median {:.2} max {:.2}",
            margins.first().copied().unwrap_or(f32::NAN),
            margins.get(margins.len() / 2).copied().unwrap_or(f32::NAN),
            margins.last().copied().unwrap_or(f32::NAN)
        );
        println!("  before: {}", show(before));
        println!("  now:    {}; genuine pairs refused now: {refused:?}", show(now));
    }
    Ok(())
}

/// This core's peak rate of float multiply-adds, measured: twelve independent chains of fused
/// multiply-adds in the widest SIMD registers pulp picks (as the engine's kernels do), so that
/// neither latency nor memory limits them.
fn fma_peak() -> f64 {
    struct Peak;
    impl pulp::WithSimd for Peak {
        type Output = f64;
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, simd: S) -> f64 {
            const CHAINS: usize = 12;
            const ROUNDS: usize = 20_000_000;
            let (a, b) = std::hint::black_box((simd.splat_f32s(0.999_9), simd.splat_f32s(1e-4)));
            // Timed here, not through `measure`: a closure would be compiled without the SIMD
            // features, and each multiply-add would become a call.
            let mut acc = [simd.splat_f32s(1.0); CHAINS];
            let (started, wall) = (thread_cpu(), Instant::now());
            for _ in 0..ROUNDS {
                for x in &mut acc {
                    *x = simd.mul_add_f32s(*x, a, b);
                }
            }
            std::hint::black_box(acc);
            let cpu = started.zip(thread_cpu()).map(|(a, b)| b.saturating_sub(a));
            let wall = wall.elapsed();
            (ROUNDS * CHAINS * S::F32_LANES) as f64 / cpu.unwrap_or(wall).as_secs_f64()
        }
    }
    pulp::Arch::new().dispatch(Peak)
}

/// The SIMD width, in floats, that pulp picks on this processor.
struct Lanes;

impl pulp::WithSimd for Lanes {
    type Output = usize;
    fn with_simd<S: pulp::Simd>(self, _: S) -> usize {
        S::F32_LANES
    }
}

/// CPU time this thread has run, from `/proc/thread-self/schedstat` (Linux):
/// on a shared, busy machine wall time also counts time spent waiting for
/// a core, CPU time does not.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok().map(Duration::from_nanos)
}

/// Wall and CPU time of one call.
fn measure<T>(f: impl FnOnce() -> T) -> (T, Duration, Option<Duration>) {
    let (wall, cpu) = (Instant::now(), thread_cpu());
    let out = f();
    let cpu = cpu.zip(thread_cpu()).map(|(a, b)| b.saturating_sub(a));
    (out, wall.elapsed(), cpu)
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

    /// Mean CPU time and median wall time. The kernel updates a running
    /// thread's CPU time only at scheduler ticks (about 4 ms), so a single
    /// reading is coarse but unbiased: the mean of many is right, a median
    /// of them would stick to tick multiples.
    fn show(&self) -> String {
        let mut wall = self.wall.clone();
        wall.sort();
        let median_wall = wall.get(wall.len() / 2).map_or(f64::NAN, |d| ms(*d));
        format!("{:6.1} ({median_wall:6.1})", self.mean_cpu())
    }

    /// [`Stage::show`] and the spread of the wall times: the fastest run, the 10th and 90th
    /// percentiles, the slowest.
    fn show_spread(&self) -> String {
        let mut wall = self.wall.clone();
        wall.sort();
        let at = |q: f64| wall.get(((wall.len().saturating_sub(1)) as f64 * q).round() as usize).map_or(f64::NAN, |d| ms(*d));
        format!("{}  wall min {:.1}, p10-p90 {:.1}-{:.1}, max {:.1}", self.show(), at(0.0), at(0.1), at(0.9), at(1.0))
    }

    fn mean_cpu(&self) -> f64 {
        if self.cpu.is_empty() {
            f64::NAN
        } else {
            self.cpu.iter().map(|d| ms(*d)).sum::<f64>() / self.cpu.len() as f64
        }
    }
}

/// Times one photo through `engine`; the detect stage is shown at `detect_size`, the size
/// `analyse` tries first.
fn timing(engine: &FaceEngine, label: &str, bytes: &[u8], detect_size: u32) -> Result<f64, BoxError> {
    const RUNS: usize = 30;
    let (mut decode, mut detect, mut embed, mut total) = (Stage::default(), Stage::default(), Stage::default(), Stage::default());
    let mut live = Stage::default();
    for _ in 0..RUNS {
        let (photo, wall, cpu) = measure(|| engine.decode(bytes, 0));
        decode.push(wall, cpu);
        let photo = photo?;
        let (faces, wall, cpu) = measure(|| engine.detect_at(&photo, detect_size));
        detect.push(wall, cpu);
        let faces = faces?;
        let face = faces.first().ok_or("no face in the timing photo")?;
        let (analysed, wall, cpu) = measure(|| engine.embed(&photo, face));
        embed.push(wall, cpu);
        analysed?;
        let (liveness, wall, cpu) = measure(|| engine.liveness(&photo, face));
        live.push(wall, cpu);
        liveness?;
        let (analysis, wall, cpu) = measure(|| engine.analyse(bytes, 0));
        total.push(wall, cpu);
        if analysis?.faces.len() != 1 {
            return Err("expected one face in the timing photo".into());
        }
    }
    println!(
        "  {label:40} decode {}  detect {}  align+embed+quality {}  passive liveness {}  total analyse {}",
        decode.show(),
        detect.show(),
        embed.show(),
        live.show(),
        total.show()
    );
    Ok(total.mean_cpu())
}

/// Times the whole `analyse` of one photo (for photos the stage split does not fit, such as a
/// turned one).
fn timing_total(engine: &FaceEngine, label: &str, bytes: &[u8]) -> Result<(), BoxError> {
    let mut total = Stage::default();
    let mut undone = 0;
    for _ in 0..30 {
        let (analysis, wall, cpu) = measure(|| engine.analyse(bytes, 0));
        total.push(wall, cpu);
        undone = analysis?.orientation.auto_degrees;
    }
    println!("  {label:40} total analyse {} (turn undone: {undone})", total.show());
    Ok(())
}

/// The peer run: Python `face_recognition` (dlib) on the same photo, timed the same way, by
/// `bench/peer_face_recognition.py`. `None` (and a line saying so) when it is not installed.
fn peer(label: &str, bytes: &[u8], ours_ms: f64) -> Result<(), BoxError> {
    const RUNS: &str = "5";
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/peer_face_recognition.py");
    let folder = std::env::temp_dir().join(format!("clockface-face-bench-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let path = folder.join("photo.jpg");
    std::fs::write(&path, bytes)?;
    let output = std::process::Command::new("python3").arg(script).arg(RUNS).arg(&path).output();
    let _ = std::fs::remove_dir_all(&folder);
    match output {
        Ok(output) if output.status.success() => {
            let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
            let peer = report.as_object().and_then(|o| o.values().next()).ok_or("empty peer report")?;
            let total = peer["total_ms"].as_f64().unwrap_or(f64::NAN);
            println!(
                "  {label:40} face_recognition (dlib): decode {:6.1}  detect {:6.1}  embed {:6.1}  total {total:6.1} ms CPU, {} face(s); clockface is {:.1}x faster",
                peer["decode_ms"].as_f64().unwrap_or(f64::NAN),
                peer["detect_ms"].as_f64().unwrap_or(f64::NAN),
                peer["embed_ms"].as_f64().unwrap_or(f64::NAN),
                peer["faces"],
                total / ours_ms
            );
        }
        _ => println!("  {label:40} face_recognition is not installed here: peer not measured (see {script})"),
    }
    Ok(())
}

/// Whether a section of the bench should run: all of them unless `BENCH_ONLY` lists some
/// (comma-separated: load, accuracy, groups, several, orientation, dark, hard, timing).
fn wanted(section: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| only.split(',').any(|s| s.trim() == section))
}

/// The photos the orientation check is measured on: the 40 dev crops (padded) and the six fixtures.
fn orientation_photos(dir: &Path) -> Result<Vec<(String, RgbImage)>, BoxError> {
    let set = DevSet::open(dir)?;
    let mut photos = Vec::new();
    for n in &set.names {
        photos.push((n.clone(), padded(&set.load(n)?)));
    }
    for f in ["obama-1.jpg", "obama-2.jpg", "obama-3.jpg", "biden-1.jpg", "collins-1.png", "hopper-1.jpg"] {
        photos.push((f.to_owned(), fixture(f)?));
    }
    Ok(photos)
}

/// For each photo turned 0, 90, 180 and 270 degrees: the detector's best score on the turned
/// photo as it stands, at the quick and the full input size (what a rule sees before turning
/// anything back), and the turn `analyse_photo` undoes. The right turn to undo `t` is `360 - t`.
fn orientation(engine: &FaceEngine, dir: &Path) -> Result<(), BoxError> {
    let photos = orientation_photos(dir)?;
    let quick = DetectorOptions::default().quick_input_size;
    let best = |faces: &[clockface_face::Face]| faces.iter().map(|f| f.score).fold(0.0f32, f32::max);
    // scores[size][turn] over photos
    let mut scores = [[Vec::new(), Vec::new(), Vec::new(), Vec::new()], [Vec::new(), Vec::new(), Vec::new(), Vec::new()]];
    let mut right = [0usize; 4];
    let mut wrong = Vec::new();
    let mut cpu_ms = [0.0f64; 4];
    for (name, upright) in &photos {
        for (t, turn) in [0u16, 90, 180, 270].into_iter().enumerate() {
            let turned = match turn {
                90 => imageops::rotate90(upright),
                180 => imageops::rotate180(upright),
                270 => imageops::rotate270(upright),
                _ => upright.clone(),
            };
            let photo = Photo::from_rgb(turned);
            scores[0][t].push(best(&engine.detect_at(&photo, quick)?));
            scores[1][t].push(best(&engine.detect_at(&photo, 640)?));
            let (analysis, _, cpu) = measure(|| engine.analyse_photo(photo));
            let analysis = analysis?;
            cpu_ms[t] += cpu.map_or(f64::NAN, ms);
            if !analysis.faces.is_empty() && analysis.orientation.auto_degrees == (360 - turn) % 360 {
                right[t] += 1;
            } else {
                wrong.push(format!("{name} turned {turn}: undid {} ({} faces)", analysis.orientation.auto_degrees, analysis.faces.len()));
            }
        }
    }
    let n = photos.len();
    for (s, size) in [quick, 640].into_iter().enumerate() {
        for (t, turn) in [0, 90, 180, 270].into_iter().enumerate() {
            let mut v = scores[s][t].clone();
            v.sort_by(f32::total_cmp);
            let found = v.iter().filter(|x| **x > 0.0).count();
            let over = |c: f32| v.iter().filter(|x| **x >= c).count();
            println!(
                "  {size} px, turned {turn:3}: face found in {found}/{n}; best score min {:.3} median {:.3} max {:.3}; >= 0.80: {}, >= 0.85: {}, >= 0.90: {}, >= 0.92: {}, >= 0.93: {}",
                v.first().copied().unwrap_or(f32::NAN),
                v.get(n / 2).copied().unwrap_or(f32::NAN),
                v.last().copied().unwrap_or(f32::NAN),
                over(0.80),
                over(0.85),
                over(0.90),
                over(0.92),
                over(0.93)
            );
        }
        // Photo turned t, compared with the same photo turned back: is upright's score the higher?
        let upright_wins = |t: usize| (0..n).filter(|&i| scores[s][0][i] > scores[s][t][i]).count();
        println!(
            "  {size} px: upright scores higher than turned 90 in {}/{n}, than turned 180 in {}/{n}, than turned 270 in {}/{n}; than all three in {}/{n}",
            upright_wins(1),
            upright_wins(2),
            upright_wins(3),
            (0..n).filter(|&i| (1..4).all(|t| scores[s][0][i] > scores[s][t][i])).count()
        );
        let gaps: Vec<f32> = (0..n).map(|i| scores[s][0][i] - scores[s][2][i]).collect();
        let mut g = gaps.clone();
        g.sort_by(f32::total_cmp);
        println!(
            "  {size} px: upright minus turned-180 score: min {:.3} median {:.3} max {:.3}",
            g.first().copied().unwrap_or(f32::NAN),
            g.get(n / 2).copied().unwrap_or(f32::NAN),
            g.last().copied().unwrap_or(f32::NAN)
        );
    }
    for (t, turn) in [0, 90, 180, 270].into_iter().enumerate() {
        println!(
            "  analyse_photo, photos turned {turn:3}: right turn undone in {}/{n}; mean {:.1} ms CPU per photo",
            right[t],
            cpu_ms[t] / n as f64
        );
    }
    for w in wrong.iter().take(20) {
        println!("    wrong: {w}");
    }
    Ok(())
}

/// A small deterministic random source (xorshift64*), for noise the same on every run.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32) / (1u64 << 24) as f32
    }

    /// Roughly normal, mean 0, standard deviation 1 (sum of four uniforms).
    fn normal(&mut self) -> f32 {
        ((0..4).map(|_| self.next()).sum::<f32>() - 2.0) * 3.0f32.sqrt()
    }
}

/// How a hard probe is made from a dev crop.
#[derive(Clone, Copy, Debug)]
enum Hard {
    Plain,
    /// The probe turned clockwise by this many degrees.
    Turned(u16),
    /// A horizontal brightness gradient across the face: full brightness on one side (left or
    /// right, alternating), this fraction on the other; the canvas beyond the face continues it.
    SideDark(f32),
    /// Half the face in shadow: full brightness on one side, this fraction on the other, with a
    /// soft edge a fifth of the face wide down the middle (light from beside the worker).
    HalfShadow(f32),
    /// The whole photo scaled to this fraction of its brightness, up to 10 points more (varying
    /// by photo), with sensor-like noise (sigma 3 grey levels).
    UnderExposed(f32),
    /// Another person's crop at 25-50% size pasted in a corner.
    Bystander,
    /// Re-compressed as JPEG at this quality.
    Jpeg(u8),
}

impl Hard {
    const ALL: [Hard; 14] = [
        Hard::Plain,
        Hard::Turned(90),
        Hard::Turned(180),
        Hard::Turned(270),
        Hard::SideDark(0.05),
        Hard::SideDark(0.10),
        Hard::SideDark(0.20),
        Hard::HalfShadow(0.05),
        Hard::HalfShadow(0.15),
        Hard::UnderExposed(0.25),
        Hard::UnderExposed(0.10),
        Hard::Bystander,
        Hard::Jpeg(60),
        Hard::Jpeg(80),
    ];

    fn label(self) -> String {
        match self {
            Hard::Plain => "plain".into(),
            Hard::Turned(d) => format!("turned {d}"),
            Hard::SideDark(f) => format!("dark on one side, down to {:.0}%", f * 100.0),
            Hard::HalfShadow(f) => format!("half the face in shadow, {:.0}%", f * 100.0),
            Hard::UnderExposed(f) => format!("under-exposed {:.0}-{:.0}%, noise", f * 100.0, f * 100.0 + 10.0),
            Hard::Bystander => "second smaller face in a corner".into(),
            Hard::Jpeg(q) => format!("JPEG q{q}"),
        }
    }

    fn slug(self) -> String {
        match self {
            Hard::Plain => "plain".into(),
            Hard::Turned(d) => format!("turned{d}"),
            Hard::SideDark(f) => format!("side{:.0}", f * 100.0),
            Hard::HalfShadow(f) => format!("shadow{:.0}", f * 100.0),
            Hard::UnderExposed(f) => format!("under{:.0}", f * 100.0),
            Hard::Bystander => "bystander".into(),
            Hard::Jpeg(q) => format!("jpeg{q}"),
        }
    }

    /// The probe's encoded bytes (PNG, or JPEG for the JPEG variants).
    fn make(self, crop: &RgbImage, other: &RgbImage, i: usize) -> Result<(Vec<u8>, &'static str), BoxError> {
        let canvas = padded(crop);
        let (w, _) = crop.dimensions();
        let image = match self {
            Hard::Plain | Hard::Jpeg(_) => canvas,
            Hard::Turned(90) => imageops::rotate90(&canvas),
            Hard::Turned(180) => imageops::rotate180(&canvas),
            Hard::Turned(_) => imageops::rotate270(&canvas),
            Hard::SideDark(floor) => {
                let (x0, x1) = ((w / 2) as f32, (w / 2 + w) as f32);
                let mut out = canvas;
                for (x, _, p) in out.enumerate_pixels_mut() {
                    let t = ((x as f32 - x0) / (x1 - x0)).clamp(0.0, 1.0);
                    let t = if i.is_multiple_of(2) { t } else { 1.0 - t };
                    let gain = 1.0 + (floor - 1.0) * t;
                    p.0 = p.0.map(|c| (f32::from(c) * gain).round().clamp(0.0, 255.0) as u8);
                }
                out
            }
            Hard::HalfShadow(floor) => {
                let (mid, soft) = ((w / 2 + w / 2) as f32, w as f32 / 5.0);
                let mut out = canvas;
                for (x, _, p) in out.enumerate_pixels_mut() {
                    let t = ((x as f32 - mid) / soft + 0.5).clamp(0.0, 1.0);
                    let t = if i.is_multiple_of(2) { t } else { 1.0 - t };
                    let gain = 1.0 + (floor - 1.0) * t;
                    p.0 = p.0.map(|c| (f32::from(c) * gain).round().clamp(0.0, 255.0) as u8);
                }
                out
            }
            Hard::UnderExposed(low) => {
                let gain = low + [0.0, 0.05, 0.10][i % 3];
                let mut noise = Noise(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1));
                let mut out = canvas;
                for p in out.pixels_mut() {
                    let n = 3.0 * noise.normal();
                    p.0 = p.0.map(|c| (f32::from(c) * gain + n).round().clamp(0.0, 255.0) as u8);
                }
                out
            }
            Hard::Bystander => Variant::Background.compose(crop, other, i),
        };
        Ok(match self {
            Hard::Jpeg(q) => {
                let mut out = Vec::new();
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q).encode_image(&image)?;
                (out, "jpg")
            }
            _ => {
                let mut out = std::io::Cursor::new(Vec::new());
                image.write_to(&mut out, ImageFormat::Png)?;
                (out.into_inner(), "png")
            }
        })
    }
}

/// A short name for a verdict, for counting.
fn verdict_name(v: Verdict) -> String {
    match v {
        Verdict::PoorQuality(issue) => serde_json::to_value(issue).ok().and_then(|j| j.as_str().map(str::to_owned)).unwrap_or_default(),
        other => {
            serde_json::to_value(other).ok().and_then(|j| j.get("kind").and_then(|k| k.as_str().map(str::to_owned))).unwrap_or_default()
        }
    }
}

/// Genuine accepted at the lowest threshold that keeps false accepts at or under 1%; scores
/// are "higher is more alike"; a pair without a score (no face) is rejected.
fn genuine_at_one_percent(genuine: &[Option<f32>], impostor: &[Option<f32>]) -> (f64, f32) {
    let mut imp: Vec<f32> = impostor.iter().flatten().copied().collect();
    imp.sort_by(|a, b| b.total_cmp(a));
    let t = imp.get(impostor.len() / 100).map_or(f32::MIN, |s| s + 1e-6);
    let accepted = genuine.iter().filter(|s| s.is_some_and(|s| s >= t)).count();
    (100.0 * accepted as f64 / genuine.len().max(1) as f64, t)
}

/// For each file: faces the peer found, and the largest one's encoding.
type PeerReport = std::collections::HashMap<PathBuf, (usize, Option<Vec<f32>>)>;

/// What the peer (`face_recognition`) found in each file: the number of faces, and the
/// encoding of the largest. `None` when it is not installed.
fn peer_encodings(paths: &[PathBuf]) -> Result<Option<PeerReport>, BoxError> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/peer_face_recognition.py");
    let list = std::env::temp_dir().join(format!("clockface-face-bench-list-{}.txt", std::process::id()));
    let text: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    std::fs::write(&list, text.join("\n"))?;
    let output = std::process::Command::new("python3").arg(script).arg("--encode").arg(&list).output();
    let _ = std::fs::remove_file(&list);
    let Ok(output) = output else { return Ok(None) };
    if !output.status.success() {
        println!("  peer failed: {}", String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or_default());
        return Ok(None);
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let mut out = std::collections::HashMap::new();
    for p in paths {
        let entry = &report[p.display().to_string()];
        let faces = entry["faces"].as_u64().unwrap_or(0) as usize;
        let encoding = entry["encoding"].as_array().map(|a| a.iter().filter_map(|v| v.as_f64().map(|v| v as f32)).collect());
        out.insert(p.clone(), (faces, encoding));
    }
    Ok(Some(out))
}

/// Accuracy on hard probes: each dev pair's second photo made into a probe of each [`Hard`]
/// variant at run time (written only to a temporary folder, for the peer, and removed after);
/// the reference is the pair's first photo, plain. At the shipped threshold through
/// `verdict()`: genuine pairs accepted, impostor pairs accepted, why genuine pairs were refused;
/// from the scores of the largest face (whatever its quality): genuine accepted at <=1% false
/// accepts. The peer gets the same files, at its own shipped tolerance (distance <= 0.6).
fn hard(engine: &FaceEngine, dir: &Path) -> Result<(), BoxError> {
    const PEER_TOLERANCE: f32 = 0.6;
    let set = DevSet::open(dir)?;
    let (pairs, names) = (set.pairs.as_slice(), set.names.as_slice());
    let load = |n: &str| set.load(n);
    let folder = std::env::temp_dir().join(format!("clockface-face-hard-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let file_of = |slug: &str, n: &str, ext: &str| folder.join(format!("{slug}-{}.{ext}", n.replace('/', "-")));
    // References, plain.
    let mut enrolled = std::collections::HashMap::new();
    let mut files = Vec::new();
    for n in names {
        let (bytes, ext) = Hard::Plain.make(&load(n)?, &load(n)?, 0)?;
        let path = file_of("reference", n, ext);
        std::fs::write(&path, &bytes)?;
        files.push(path.clone());
        if let Some(f) = engine.analyse(&bytes, 0)?.faces.first() {
            enrolled.insert(n.clone(), (f.embedding.clone(), path));
        }
    }
    // Probes of every variant: our analysis now, the peer's after.
    let mut probes = Vec::new();
    let mut cpu_ms = Vec::new();
    for variant in Hard::ALL {
        let mut analyses = std::collections::HashMap::new();
        let mut cpu_total = 0.0;
        for (i, n) in names.iter().enumerate() {
            let other = set.bystander(n);
            let (bytes, ext) = variant.make(&load(n)?, &load(&other)?, i)?;
            let path = file_of(&variant.slug(), n, ext);
            std::fs::write(&path, &bytes)?;
            files.push(path.clone());
            let (analysis, _, cpu) = measure(|| engine.analyse(&bytes, 0));
            cpu_total += cpu.map_or(f64::NAN, ms);
            analyses.insert(n.clone(), (analysis?, path));
        }
        cpu_ms.push(cpu_total / names.len() as f64);
        probes.push((variant, analyses));
    }
    let peer = peer_encodings(&files)?;
    let _ = std::fs::remove_dir_all(&folder);
    let peer_distance = |a: &Path, b: &Path| -> Option<f32> {
        let peer = peer.as_ref()?;
        let (Some(x), Some(y)) = (peer.get(a)?.1.as_ref(), peer.get(b)?.1.as_ref()) else { return None };
        Some(x.iter().zip(y).map(|(p, q)| (p - q) * (p - q)).sum::<f32>().sqrt())
    };
    println!("  (our shipped threshold {MATCH_THRESHOLD}; face_recognition's shipped tolerance {PEER_TOLERANCE}; GA = genuine accepted of 80, FA = false accepts of 700, GA@1% = genuine accepted at <=1% false accepts)");
    println!("  | probe | ours: GA | FA | GA@1% | genuine refused as | right turn undone | ms CPU per probe | face_recognition: GA | FA | GA@1% | no face (genuine probes) |");
    for ((variant, analyses), cpu) in probes.iter().zip(cpu_ms) {
        let (mut ga, mut fa) = (0usize, 0usize);
        let (mut gs, mut is) = (Vec::new(), Vec::new());
        let (mut pga, mut pfa) = (0usize, 0usize);
        let (mut pgs, mut pis) = (Vec::new(), Vec::new());
        let mut peer_missed = 0;
        let mut refused = std::collections::BTreeMap::new();
        for (a, b, same) in pairs {
            let (Some((reference, ref_path)), Some((probe, probe_path))) = (enrolled.get(a), analyses.get(b)) else { continue };
            let d = verdict(probe, std::slice::from_ref(reference), MATCH_THRESHOLD);
            let score = probe.faces.first().map(|f| compare(&f.embedding, reference));
            let accepted = d.verdict == Verdict::Match;
            let pd = peer_distance(ref_path, probe_path);
            let p_accepted = pd.is_some_and(|d| d <= PEER_TOLERANCE);
            if *same {
                ga += usize::from(accepted);
                gs.push(score);
                if !accepted {
                    *refused.entry(verdict_name(d.verdict)).or_insert(0) += 1;
                }
                pga += usize::from(p_accepted);
                pgs.push(pd.map(|d| -d));
                peer_missed += usize::from(peer.as_ref().and_then(|p| p.get(probe_path)).is_some_and(|e| e.0 == 0));
            } else {
                fa += usize::from(accepted);
                is.push(score);
                pfa += usize::from(p_accepted);
                pis.push(pd.map(|d| -d));
            }
        }
        let turned_right = match variant {
            Hard::Turned(t) => {
                let want = (360 - t) % 360;
                let right = analyses.values().filter(|(a, _)| !a.faces.is_empty() && a.orientation.auto_degrees == want).count();
                format!("{right}/{}", analyses.len())
            }
            _ => {
                let right = analyses.values().filter(|(a, _)| a.orientation.auto_degrees == 0).count();
                format!("{right}/{} kept upright", analyses.len())
            }
        };
        let (g1, t1) = genuine_at_one_percent(&gs, &is);
        let peer_cols = if peer.is_some() {
            let (pg1, _) = genuine_at_one_percent(&pgs, &pis);
            format!(
                "{:.1}% | {:.2}% ({pfa}) | {pg1:.1}% | {peer_missed}",
                100.0 * pga as f64 / gs.len().max(1) as f64,
                100.0 * pfa as f64 / is.len().max(1) as f64
            )
        } else {
            "not installed | | |".to_owned()
        };
        let refused: Vec<String> = refused.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "  | {} | {:.1}% ({ga}) | {:.2}% ({fa}) | {g1:.1}% (at {t1:.3}) | {} | {turned_right} | {cpu:.1} | {peer_cols} |",
            variant.label(),
            100.0 * ga as f64 / gs.len().max(1) as f64,
            100.0 * fa as f64 / is.len().max(1) as f64,
            if refused.is_empty() { "-".to_owned() } else { refused.join(", ") },
        );
    }
    Ok(())
}

/// Each dev pair's probe scaled to a fraction of its brightness with noise: the brightness the
/// quality check measures, and how the scores hold up (ignoring the quality verdict), to put
/// [`clockface_face::MIN_BRIGHTNESS`] where verification stops working rather than guess it.
fn dark_sweep(engine: &FaceEngine, dir: &Path) -> Result<(), BoxError> {
    let set = DevSet::open(dir)?;
    let (pairs, names) = (set.pairs.as_slice(), set.names.as_slice());
    let load = |n: &str| set.load(n);
    let mut enrolled = std::collections::HashMap::new();
    for n in names {
        if let Some(f) = engine.analyse_photo(Photo::from_rgb(padded(&load(n)?)))?.faces.first() {
            enrolled.insert(n.clone(), f.embedding.clone());
        }
    }
    // Genuine pairs by the probe's measured brightness: [band floor, pairs, accepted by score].
    let mut bands: Vec<(f32, usize, usize)> = [0.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0].iter().map(|&b| (b, 0, 0)).collect();
    for gain in [0.03f32, 0.05, 0.07, 0.10, 0.13, 0.16, 0.20, 0.25, 0.30, 0.40] {
        let mut probes = std::collections::HashMap::new();
        let mut lit = std::collections::HashMap::new();
        let mut brightness = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let mut noise = Noise(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1));
            let mut image = padded(&load(n)?);
            for p in image.pixels_mut() {
                let e = 3.0 * noise.normal();
                p.0 = p.0.map(|c| (f32::from(c) * gain + e).round().clamp(0.0, 255.0) as u8);
            }
            let analysis = engine.analyse_photo(Photo::from_rgb(image))?;
            if let Some(f) = analysis.faces.first() {
                brightness.push(f.quality.brightness);
                lit.insert(n.clone(), f.quality.brightness);
                probes.insert(n.clone(), f.embedding.clone());
            }
        }
        let (mut gs, mut is) = (Vec::new(), Vec::new());
        for (a, b, same) in pairs {
            let score = enrolled.get(a).zip(probes.get(b)).map(|(r, p)| compare(r, p));
            if let (true, Some(level), Some(score)) = (*same, lit.get(b), score) {
                if let Some(band) = bands.iter_mut().rev().find(|band| *level >= band.0) {
                    band.1 += 1;
                    band.2 += usize::from(score >= MATCH_THRESHOLD);
                }
            }
            if *same {
                gs.push(score)
            } else {
                is.push(score)
            }
        }
        brightness.sort_by(f32::total_cmp);
        let at = |t: f32, v: &[Option<f32>]| v.iter().filter(|s| s.is_some_and(|s| s >= t)).count();
        let (g1, _) = genuine_at_one_percent(&gs, &is);
        let mut sorted: Vec<f32> = gs.iter().flatten().copied().collect();
        sorted.sort_by(f32::total_cmp);
        println!(
            "  brightness x{gain:.2}: face found in {}/{}; measured brightness min {:.0} median {:.0} max {:.0}; genuine score min {:.3} median {:.3}; at {MATCH_THRESHOLD}: genuine {}/{} false {}/{}; GA@1% {g1:.1}%",
            probes.len(),
            names.len(),
            brightness.first().copied().unwrap_or(f32::NAN),
            brightness.get(brightness.len() / 2).copied().unwrap_or(f32::NAN),
            brightness.last().copied().unwrap_or(f32::NAN),
            sorted.first().copied().unwrap_or(f32::NAN),
            sorted.get(sorted.len() / 2).copied().unwrap_or(f32::NAN),
            at(MATCH_THRESHOLD, &gs),
            gs.len(),
            at(MATCH_THRESHOLD, &is),
            is.len()
        );
    }
    for (floor, pairs, accepted) in bands {
        println!(
            "  genuine pairs whose probe's measured brightness is {floor:.0} or more (below the next band): {accepted}/{pairs} accepted by score ({:.1}%)",
            100.0 * accepted as f64 / pairs.max(1) as f64
        );
    }
    Ok(())
}

/// One photo of the liveness set, judged.
struct LiveSample {
    /// Who is shown (the split is by person).
    person: String,
    /// `None` for a live face, else the attack.
    attack: Option<Attack>,
    /// Where the face came from, for the per-source lines.
    source: &'static str,
    /// Fused liveness score of the analysed subject with each crop setting of [`CROP_SETTINGS`];
    /// empty when the engine found no subject (no face, several, poor quality).
    scores: Vec<f32>,
    /// Whether the face engine alone (no liveness) matched it to the person's enrolled face.
    matched: bool,
}

/// Crop settings the liveness section compares: (YuNet box scale, shift down by this much of
/// the box's height). The first is the shipped one ([`LivenessOptions::default`]).
const CROP_SETTINGS: [(f32, f32); 6] = [(1.0, 0.0), (0.85, 0.0), (1.15, 0.0), (1.3, 0.0), (1.0, 0.1), (1.15, 0.1)];

/// Which half of the liveness set a person is in: 0 chooses thresholds, 1 reports them.
fn part_of(people: &[String], person: &str) -> usize {
    people.iter().position(|p| p == person).unwrap_or(0) % 2
}

/// Analyses `image` as a FaceFront photo (JPEG, as a phone sends it) and judges its subject's
/// liveness with every crop setting.
fn judge_photo(engine: &FaceEngine, image: &RgbImage, enrolled: &[Embedding]) -> Result<(Vec<f32>, bool), BoxError> {
    let bytes = encode_jpeg(image)?;
    let analysis = engine.analyse(&bytes, 0)?;
    let matched = verdict(&analysis, enrolled, MATCH_THRESHOLD).verdict == Verdict::Match;
    let Some(i) = analysis.subject_index() else { return Ok((Vec::new(), matched)) };
    let photo = engine.decode(&bytes, 0)?;
    let photo = match analysis.orientation.auto_degrees {
        90 => Photo::from_rgb(imageops::rotate90(&photo.image)),
        180 => Photo::from_rgb(imageops::rotate180(&photo.image)),
        270 => Photo::from_rgb(imageops::rotate270(&photo.image)),
        _ => photo,
    };
    let face = &analysis.faces[i].face;
    let scores = CROP_SETTINGS
        .iter()
        .map(|&(box_scale, shift_down)| {
            engine.liveness_with(&photo, face, LivenessOptions { box_scale, shift_down, ..LivenessOptions::default() }).map(|l| l.score)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((scores, matched))
}

/// The embedding of the largest face of `image`, as an enrolment would make it.
fn enrol(engine: &FaceEngine, image: &RgbImage) -> Result<Vec<Embedding>, BoxError> {
    let analysis = engine.analyse(&encode_jpeg(image)?, 0)?;
    Ok(analysis.faces.first().map(|f| vec![f.embedding.clone()]).unwrap_or_default())
}

/// The live photos and the attacks of the liveness set, judged. Live: the crate's six
/// public-domain portraits (each as taken, darker, brighter, blurred, noisy, re-compressed and
/// smaller), the 40 dev crops (as they are and re-compressed), and the faces of the six
/// `groups/sample*` crew photos (each face judged). Attacks: each portrait and dev crop printed
/// or shown on a screen, every kind of [`Attack::ALL`] twice, in 1280x960 scenes.
fn liveness_set(engine: &FaceEngine, dir: &Path) -> Result<(Vec<LiveSample>, Vec<String>), BoxError> {
    let dev = DevSet::open(dir)?;
    let mut samples = Vec::new();
    let mut rng = attacks::Rng(0x5eed_1234_abcd_0001);
    // (person, source, photo, reference photo for enrolment)
    let mut sources: Vec<(String, &'static str, RgbImage, RgbImage)> = Vec::new();
    let portraits = ["obama-1.jpg", "obama-2.jpg", "obama-3.jpg", "biden-1.jpg", "collins-1.png", "hopper-1.jpg"];
    for name in portraits {
        let person = name.split('-').next().unwrap_or_default().to_owned();
        // Obama has three photos: each is enrolled with another; the others only with their own.
        let reference = match name {
            "obama-1.jpg" => "obama-2.jpg",
            "obama-2.jpg" => "obama-3.jpg",
            "obama-3.jpg" => "obama-1.jpg",
            own => own,
        };
        sources.push((person, "portrait", fixture(name)?, fixture(reference)?));
    }
    for name in &dev.names {
        let n: u32 = name.rsplit('/').next().and_then(|f| f.split('.').next()).and_then(|n| n.parse().ok()).unwrap_or(1);
        let reference = format!("{}/{}.png", person(name), n % 5 + 1);
        sources.push((person(name), "dev crop", padded(&dev.load(name)?), padded(&dev.load(&reference)?)));
    }
    for (person, source, photo, reference) in &sources {
        let enrolled = enrol(engine, reference)?;
        // Live captures of the photo.
        let longest = photo.width().max(photo.height());
        let fitted = if longest > 1280 {
            let s = 1280.0 / longest as f32;
            imageops::resize(photo, (photo.width() as f32 * s) as u32, (photo.height() as f32 * s) as u32, imageops::FilterType::Triangle)
        } else {
            photo.clone()
        };
        let mut live = vec![fitted.clone(), jpeg_again(&fitted, 50)?];
        if *source == "portrait" {
            live.push(scaled_brightness(&fitted, 0.6));
            live.push(scaled_brightness(&fitted, 1.3));
            live.push(imageops::blur(&fitted, 1.5));
            live.push(attacks::camera(&fitted, &mut rng));
            live.push(imageops::resize(&fitted, fitted.width() / 2, fitted.height() / 2, imageops::FilterType::Triangle));
        }
        for image in &live {
            let (scores, matched) = judge_photo(engine, image, &enrolled)?;
            samples.push(LiveSample { person: person.clone(), attack: None, source, scores, matched });
        }
        // Attacks on the same picture.
        let Some(face) = engine.detect(&Photo::from_rgb(photo.clone()))?.into_iter().next() else { continue };
        let picture = attacks::picture(photo, (face.x, face.y, face.width, face.height));
        for kind in Attack::ALL {
            for _ in 0..2 {
                // At arm's length: the face a seventh to a third of the photo's width.
                let fraction = rng.range(0.15, 0.3);
                let scene = attacks::attack(kind, &picture, 1280, 960, fraction, &mut rng);
                let (scores, matched) = judge_photo(engine, &scene, &enrolled)?;
                samples.push(LiveSample { person: person.clone(), attack: Some(kind), source, scores, matched });
            }
        }
    }
    // Crew photos: every face, live; no enrolment (they are not compared).
    for n in 1..=6 {
        let path = dir.join("groups").join(format!("sample{n}.jpg"));
        let Ok(image) = image::open(&path) else { continue };
        let image = image.to_rgb8();
        for variant in [image.clone(), scaled_brightness(&image, 0.6), jpeg_again(&image, 50)?] {
            let photo = Photo::from_rgb(variant);
            for face in engine.detect(&photo)? {
                let scores = CROP_SETTINGS
                    .iter()
                    .map(|&(box_scale, shift_down)| {
                        engine
                            .liveness_with(&photo, &face, LivenessOptions { box_scale, shift_down, ..LivenessOptions::default() })
                            .map(|l| l.score)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                samples.push(LiveSample {
                    person: format!("groups/sample{n}"),
                    attack: None,
                    source: "crew photo face",
                    scores,
                    matched: false,
                });
            }
        }
    }
    let mut people: Vec<String> = samples.iter().map(|s| s.person.clone()).collect();
    people.sort();
    people.dedup();
    Ok((samples, people))
}

fn jpeg_again(image: &RgbImage, quality: u8) -> Result<RgbImage, BoxError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(image)?;
    Ok(image::load_from_memory(&out)?.to_rgb8())
}

fn scaled_brightness(image: &RgbImage, factor: f32) -> RgbImage {
    let mut out = image.clone();
    out.pixels_mut().for_each(|p| p.0 = p.0.map(|c| (f32::from(c) * factor).clamp(0.0, 255.0) as u8));
    out
}

/// The threshold that refuses at most `bpcer` of `live` scores (a live face is accepted when its
/// score is at or above it).
fn threshold_at_bpcer(live: &[f32], bpcer: f64) -> f32 {
    let mut sorted = live.to_vec();
    sorted.sort_by(f32::total_cmp);
    let k = (bpcer * sorted.len() as f64).floor() as usize;
    sorted.get(k).copied().unwrap_or(f32::MAX)
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "   -".into()
    } else {
        format!("{:5.1}% ({part}/{whole})", 100.0 * part as f64 / whole as f64)
    }
}

/// The passive liveness section: the set, the crop settings compared, then ISO/IEC 30107-3
/// figures (APCER per attack type at a BPCER of 1% and 2%, the threshold chosen on one half of
/// the people and reported on the other), and the face engine alone as the baseline.
fn liveness(engine: &FaceEngine, dir: &Path) -> Result<(), BoxError> {
    let (samples, people) = liveness_set(engine, dir)?;
    // The dev crops are grayscale stills of a TV show pasted on a grey canvas: a picture of a
    // picture, which the networks (rightly) doubt. Their scores are shown, but they are not bona
    // fide presentations and take no part in choosing or reporting a threshold.
    let judged: Vec<&LiveSample> =
        samples.iter().filter(|s| !s.scores.is_empty()).filter(|s| s.attack.is_some() || s.source != "dev crop").collect();
    let parts: Vec<String> =
        (0..2).map(|p| people.iter().filter(|x| part_of(&people, x) == p).cloned().collect::<Vec<_>>().join(", ")).collect();
    println!("  split by person: part A (chooses the threshold): {}", parts[0]);
    println!("                   part B (reported): {}", parts[1]);
    let count = |attack: bool| samples.iter().filter(|s| s.attack.is_some() == attack).count();
    let unjudged = |attack: bool| samples.iter().filter(|s| s.attack.is_some() == attack && s.scores.is_empty()).count();
    println!(
        "  {} live photos ({} without a usable subject, left out), {} attacks ({} without a usable subject: refused before liveness, left out)",
        count(false),
        unjudged(false),
        count(true),
        unjudged(true)
    );
    println!("\n  mean fused score by source (shipped crop):");
    for source in ["portrait", "dev crop", "crew photo face"] {
        let live: Vec<f32> = samples
            .iter()
            .filter(|s| !s.scores.is_empty())
            .filter(|s| s.attack.is_none() && s.source == source)
            .map(|s| s.scores[0])
            .collect();
        let min = live.iter().copied().fold(f32::MAX, f32::min);
        println!(
            "    live {source:16} {:.3} (lowest {min:.3}, {} photos)",
            live.iter().sum::<f32>() / live.len().max(1) as f32,
            live.len()
        );
    }
    for kind in Attack::ALL {
        let s: Vec<f32> = judged.iter().filter(|s| s.attack == Some(kind)).map(|s| s.scores[0]).collect();
        let max = s.iter().copied().fold(f32::MIN, f32::max);
        println!(
            "    attack {:16} {:.3} (highest {max:.3}, {} photos)",
            kind.name(),
            s.iter().sum::<f32>() / s.len().max(1) as f32,
            s.len()
        );
    }

    println!("\n  crop setting (YuNet box x scale, shifted down): mean live / mean attack score, and on part B at the part-A threshold for BPCER 2%: BPCER, APCER (all attacks)");
    for (k, (scale, shift)) in CROP_SETTINGS.iter().enumerate() {
        let live =
            |p| judged.iter().filter(|s| s.attack.is_none() && part_of(&people, &s.person) == p).map(|s| s.scores[k]).collect::<Vec<_>>();
        let all_live: Vec<f32> = judged.iter().filter(|s| s.attack.is_none()).map(|s| s.scores[k]).collect();
        let all_attack: Vec<f32> = judged.iter().filter(|s| s.attack.is_some()).map(|s| s.scores[k]).collect();
        let t = threshold_at_bpcer(&live(0), 0.02);
        let live_b = live(1);
        let attack_b: Vec<f32> =
            judged.iter().filter(|s| s.attack.is_some() && part_of(&people, &s.person) == 1).map(|s| s.scores[k]).collect();
        println!(
            "    x{scale:.2}, down {shift:.2}: live {:.3}, attack {:.3}; threshold {t:.3}: BPCER {}, APCER {}",
            all_live.iter().sum::<f32>() / all_live.len().max(1) as f32,
            all_attack.iter().sum::<f32>() / all_attack.len().max(1) as f32,
            percent(live_b.iter().filter(|&&s| s < t).count(), live_b.len()),
            percent(attack_b.iter().filter(|&&s| s >= t).count(), attack_b.len()),
        );
    }

    println!("\n  ISO/IEC 30107-3, shipped crop, thresholds chosen on part A, figures on part B:");
    let live_a: Vec<f32> = judged.iter().filter(|s| s.attack.is_none() && part_of(&people, &s.person) == 0).map(|s| s.scores[0]).collect();
    let live_b: Vec<f32> = judged.iter().filter(|s| s.attack.is_none() && part_of(&people, &s.person) == 1).map(|s| s.scores[0]).collect();
    let mut rows =
        vec![("BPCER 1%".to_owned(), threshold_at_bpcer(&live_a, 0.01)), ("BPCER 2%".to_owned(), threshold_at_bpcer(&live_a, 0.02))];
    rows.push((format!("shipped {LIVENESS_THRESHOLD}"), LIVENESS_THRESHOLD));
    print!("    {:22} {:>9} {:>16}", "target", "threshold", "BPCER (B)");
    for kind in Attack::ALL {
        print!(" | {:>16}", kind.name());
    }
    println!();
    for (label, t) in rows {
        print!("    {label:22} {t:9.3} {:>16}", percent(live_b.iter().filter(|&&s| s < t).count(), live_b.len()));
        for kind in Attack::ALL {
            let b: Vec<f32> =
                judged.iter().filter(|s| s.attack == Some(kind) && part_of(&people, &s.person) == 1).map(|s| s.scores[0]).collect();
            print!(" | {:>16}", percent(b.iter().filter(|&&s| s >= t).count(), b.len()));
        }
        println!();
    }
    // A role may take the passive check alone when it is sure, and ask for the head turn when it
    // is not: a score below UPPER prompts, at or above it the photo passes without one.
    println!("\n  step-up: a passive score below UPPER prompts the head turn; live faces prompted, and attacks at or above UPPER (pass with no prompt):");
    let live_all: Vec<f32> = judged.iter().filter(|s| s.attack.is_none()).map(|s| s.scores[0]).collect();
    print!("    {:6} {:>18} {:>18}", "UPPER", "live prompted (B)", "live prompted (all)");
    for kind in Attack::ALL {
        print!(" | {:>16}", kind.name());
    }
    println!(" | {:>16}", "all attacks");
    for upper in [0.6f32, 0.7, 0.8, 0.9, 0.95, 0.98] {
        let prompted = |live: &[f32]| percent(live.iter().filter(|&&s| s < upper).count(), live.len());
        print!("    {upper:6.2} {:>18} {:>18}", prompted(&live_b), prompted(&live_all));
        let passing = |kind: Option<Attack>| {
            let of: Vec<f32> =
                judged.iter().filter(|s| s.attack.is_some() && kind.is_none_or(|k| s.attack == Some(k))).map(|s| s.scores[0]).collect();
            percent(of.iter().filter(|&&s| s >= upper).count(), of.len())
        };
        for kind in Attack::ALL {
            print!(" | {:>16}", passing(Some(kind)));
        }
        println!(" | {:>16}", passing(None));
    }

    println!("\n  baseline: the face engine alone (no liveness) says Match to the attacks (both parts; the enrolled face is another photo of the person where there is one):");
    for kind in Attack::ALL {
        let all: Vec<&LiveSample> = samples.iter().filter(|s| s.attack == Some(kind)).collect();
        let by = |src: &str| {
            let of: Vec<_> = all.iter().filter(|s| s.source == src).collect();
            percent(of.iter().filter(|s| s.matched).count(), of.len())
        };
        println!(
            "    {:16} {}   (portraits {}, dev crops {})",
            kind.name(),
            percent(all.iter().filter(|s| s.matched).count(), all.len()),
            by("portrait"),
            by("dev crop")
        );
    }
    let live: Vec<&LiveSample> = samples.iter().filter(|s| s.attack.is_none() && s.source != "crew photo face").collect();
    println!("    live photos matched: {}", percent(live.iter().filter(|s| s.matched).count(), live.len()));
    Ok(())
}

/// The active check's analysis on bursts: attack bursts made at run time (a print turned,
/// rotated, moved or bent in the hand, a phone turned), and, for live faces, the closest thing
/// to a real turn this set has: two photos of the same person at different head poses (the dev
/// set's five photos of each person, the most frontal one first and the most turned one last,
/// each repeated for four frames and placed at the same spot).
fn bursts(engine: &FaceEngine, dir: &Path) -> Result<(), BoxError> {
    use clockface_face::{nose_offset, BurstFailure, TurnDirection, MIN_TURN};
    let dev = DevSet::open(dir)?;
    let mut rng = attacks::Rng(0xb0257);
    let mut sources: Vec<(String, RgbImage, Vec<Embedding>)> = Vec::new();
    for name in ["obama-1.jpg", "biden-1.jpg", "collins-1.png", "hopper-1.jpg"] {
        let image = fixture(name)?;
        let enrolled = enrol(engine, &image)?;
        sources.push((name.to_owned(), image, enrolled));
    }
    for name in dev.names.iter().filter(|n| n.ends_with("/1.png") || n.ends_with("/3.png")) {
        let image = padded(&dev.load(name)?);
        let enrolled = enrol(engine, &image)?;
        sources.push((name.clone(), image, enrolled));
    }
    println!("  attack bursts: 8 frames of 640x480 each, {} pictures x {} motions x both prompts; turn = change of the nose offset in the prompted direction", sources.len(), Motion::ALL.len());
    println!(
        "    {:14} {:>22} {:>26} {:>18} {:>18}",
        "motion", "|turn| mean (max)", "passes turn check (active)", "passive (majority)", "both"
    );
    for motion in Motion::ALL {
        let (mut turns, mut active, mut passive, mut both, mut total) = (Vec::new(), 0, 0, 0, 0);
        for (_, image, enrolled) in &sources {
            let Some(face) = engine.detect(&Photo::from_rgb(image.clone()))?.into_iter().next() else { continue };
            let picture = attacks::picture(image, (face.x, face.y, face.width, face.height));
            let frames: Vec<Photo> = attacks::burst(motion, &picture, 8, 640, 480, &mut rng).into_iter().map(Photo::from_rgb).collect();
            for prompted in [TurnDirection::Left, TurnDirection::Right] {
                let check = engine.check_burst(&frames, prompted, enrolled)?;
                total += 1;
                turns.push(check.turn.abs());
                let turn_ok = !check.failures.iter().any(|f| {
                    matches!(
                        f,
                        BurstFailure::NoTurn
                            | BurstFailure::WrongDirection
                            | BurstFailure::NoFace
                            | BurstFailure::LostTrack { .. }
                            | BurstFailure::IdentityChanged { .. }
                    )
                });
                let live_ok = !check.failures.contains(&BurstFailure::NotLive) && !check.frames.is_empty();
                active += usize::from(turn_ok);
                passive += usize::from(live_ok);
                both += usize::from(check.passed);
            }
        }
        let max = turns.iter().copied().fold(0.0f32, f32::max);
        println!(
            "    {:14} {:>14.3} ({max:.3}) {:>26} {:>18} {:>18}",
            motion.name(),
            turns.iter().sum::<f32>() / turns.len().max(1) as f32,
            percent(active, total),
            percent(passive, total),
            percent(both, total)
        );
    }
    println!("  live pseudo-bursts (dev set, two real poses of one person; NOT a real turn), MIN_TURN {MIN_TURN}:");
    let (mut passed, mut turned, mut total) = (0, 0, 0);
    for person_name in &dev.people {
        let mut poses = Vec::new();
        for n in 1..=5 {
            let image = padded(&dev.load(&format!("{person_name}/{n}.png"))?);
            let photo = Photo::from_rgb(image.clone());
            if let Some(face) = engine.detect(&photo)?.into_iter().next() {
                if let Some(offset) = nose_offset(&face.landmarks) {
                    poses.push((offset, image, face));
                }
            }
        }
        poses.sort_by(|a, b| a.0.abs().total_cmp(&b.0.abs()));
        let (Some(front), Some(side)) = (poses.first(), poses.last()) else { continue };
        let turn = side.0 - front.0;
        let prompted = if turn > 0.0 { TurnDirection::Left } else { TurnDirection::Right };
        let frames: Vec<Photo> =
            [front, front, front, front, side, side, side, side].iter().map(|p| Photo::from_rgb(p.1.clone())).collect();
        let enrolled = vec![engine.embed(&Photo::from_rgb(front.1.clone()), &front.2)?.embedding];
        let check = engine.check_burst(&frames, prompted, &enrolled)?;
        total += 1;
        turned += usize::from(check.turn >= MIN_TURN);
        passed += usize::from(check.passed);
        let fails: Vec<&str> = check.failures.iter().map(BurstFailure::message).collect();
        println!(
            "    {person_name:11} offsets {:+.3} -> {:+.3}: turn {:+.3}, {}",
            front.0,
            side.0,
            check.turn,
            if check.passed { "passed".to_owned() } else { fails.join(" ") }
        );
    }
    println!("    turn check passed {}, whole check passed {}", percent(turned, total), percent(passed, total));
    Ok(())
}
