//! The active check: a burst of frames (about two seconds, e.g. 8 frames)
//! taken while the worker was asked to turn their head left or right.
//!
//! It passes when one face is tracked through the whole burst (the most
//! central, largest face of the first frame, followed by overlap, so a
//! bystander never takes over), it is the same person in every frame (SFace
//! similarity to the first frame) and the enrolled employee in at least one,
//! the head turned the prompted way, and the faces are live by the passive
//! check.
//!
//! The turn is read from the five landmarks: where the nose sits between
//! the eyes and between the mouth corners ([`nose_offset`]). A flat print
//! moved, tilted or turned in the hand carries all five points together, and
//! an affine (or nearly affine) motion keeps that ratio; a real head turning
//! moves the nose, which stands out of the face's plane, relative to the
//! eyes and mouth.

use serde::Serialize;

use crate::detect::{Face, Point};
use crate::embed::{compare, Embedding};
use crate::engine::FaceEngine;
use crate::liveness::Liveness;
use crate::photo::Photo;
use crate::FaceError;

/// The smallest change of [`nose_offset`] in the prompted direction that
/// counts as a head turn. A flat print turned up to 35 degrees in the hand
/// moved it by at most 0.05 in the bench's print bursts; a head turned about
/// 20 degrees moves it by about 0.4 (the nose stands out about half the
/// distance between the eyes). See `docs/BENCHMARKS.md`.
pub const MIN_TURN: f32 = 0.2;

/// The direction the worker was asked to turn their head, in their own
/// terms (their left), for frames as the camera took them (not mirrored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnDirection {
    /// The worker's left: in an unmirrored photo their face turns toward the picture's right.
    Left,
    /// The worker's right.
    Right,
}

impl TurnDirection {
    /// +1 when the nose offset grows with this turn, -1 when it shrinks.
    fn sign(self) -> f32 {
        match self {
            TurnDirection::Left => 1.0,
            TurnDirection::Right => -1.0,
        }
    }
}

/// Why a burst failed; a burst can fail for several reasons at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BurstFailure {
    /// Fewer than two frames, or no face in the first frame.
    NoFace,
    /// The tracked face was not found again in this frame (it left, or another took its place).
    LostTrack {
        /// Index of the frame.
        frame: usize,
    },
    /// The face in this frame is not the person of the first frame.
    IdentityChanged {
        /// Index of the frame.
        frame: usize,
    },
    /// No frame matches the enrolled face (or nobody is enrolled).
    NotTheEmployee,
    /// The head did not turn the prompted way (a still face, or a print moved or turned in the hand).
    NoTurn,
    /// The head turned the other way.
    WrongDirection,
    /// Fewer than half the frames are live by the passive check.
    NotLive,
}

impl BurstFailure {
    /// A short message for the reviewer.
    pub fn message(&self) -> &'static str {
        match self {
            BurstFailure::NoFace => "No face in the burst.",
            BurstFailure::LostTrack { .. } => "The face left the picture during the check.",
            BurstFailure::IdentityChanged { .. } => "A different person appeared during the check.",
            BurstFailure::NotTheEmployee => "The face does not match the enrolled photos.",
            BurstFailure::NoTurn => "The head did not turn as asked (a still face, or a photo moved in the hand).",
            BurstFailure::WrongDirection => "The head turned the other way.",
            BurstFailure::NotLive => "May be a photo of a photo or a screen.",
        }
    }
}

/// What was seen in one frame of the burst.
#[derive(Debug, Clone, Serialize)]
pub struct BurstFrame {
    /// The tracked face, when found.
    pub face: Option<Face>,
    /// Its [`nose_offset`].
    pub nose_offset: Option<f32>,
    /// SFace similarity to the tracked face of the first frame.
    pub same_as_first: Option<f32>,
    /// Best SFace similarity to the enrolled embeddings.
    pub enrolled_score: Option<f32>,
    /// Its passive liveness.
    pub liveness: Option<Liveness>,
}

/// The outcome of the active check.
#[derive(Debug, Clone, Serialize)]
pub struct BurstCheck {
    /// Whether every condition held.
    pub passed: bool,
    /// What failed (empty when passed).
    pub failures: Vec<BurstFailure>,
    /// The direction prompted.
    pub prompted: TurnDirection,
    /// The change of the nose offset through the burst (the last third's
    /// median minus the first third's) in the prompted direction (negative:
    /// the other way).
    pub turn: f32,
    /// Each frame, in order.
    pub frames: Vec<BurstFrame>,
}

impl BurstCheck {
    /// A short message: the first failure's, or that the check passed.
    pub fn message(&self) -> &'static str {
        self.failures.first().map_or("Head turn checked: live.", BurstFailure::message)
    }
}

/// Where the nose tip sits across the face, from the five landmarks: its
/// affine coordinates in the triangle of the two eyes and the middle of the
/// mouth, read as a sideways position. 0 when the nose is on the line from
/// between the eyes to the middle of the mouth (facing the camera); +1 when it
/// is as far toward the person's left eye as that eye is from the middle; it
/// grows as the person turns to their left (in an unmirrored photo). Affine
/// coordinates survive any affine motion, so a flat print moved, rotated,
/// scaled, sheared or (nearly) tilted keeps it; a real head does not,
/// because the nose stands out of the plane of the eyes and mouth.
pub fn nose_offset(landmarks: &[Point; 5]) -> Option<f32> {
    let [right_eye, left_eye, nose, right_mouth, left_mouth] = *landmarks;
    let mouth = Point { x: (right_mouth.x + left_mouth.x) / 2.0, y: (right_mouth.y + left_mouth.y) / 2.0 };
    // nose = right_eye + a (left_eye - right_eye) + b (mouth - right_eye)
    let (ux, uy) = (left_eye.x - right_eye.x, left_eye.y - right_eye.y);
    let (vx, vy) = (mouth.x - right_eye.x, mouth.y - right_eye.y);
    let (px, py) = (nose.x - right_eye.x, nose.y - right_eye.y);
    let det = ux * vy - uy * vx;
    if det.abs() <= f32::EPSILON {
        return None;
    }
    let a = (px * vy - py * vx) / det;
    let b = (ux * py - uy * px) / det;
    // On the midline a = (1 - b) / 2, so a + b / 2 - 1/2 is the sideways distance in eye spacings.
    Some(2.0 * (a + b / 2.0 - 0.5))
}

/// How far the nose offset moved through the burst: the median of the last
/// third of the frames minus the median of the first third. Medians, so that
/// one frame's landmark jitter (larger on a print tilted or rolled) does not
/// pass for a turn; the whole burst, so that a turn held to the end counts.
fn turn(frames: &[BurstFrame]) -> f32 {
    let offsets: Vec<f32> = frames.iter().filter_map(|f| f.nose_offset).collect();
    let third = offsets.len().div_ceil(3).max(1);
    let median = |part: &[f32]| {
        let mut v = part.to_vec();
        v.sort_by(f32::total_cmp);
        match v.len() {
            0 => 0.0,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    };
    if offsets.len() < 2 {
        return 0.0;
    }
    median(&offsets[offsets.len() - third..]) - median(&offsets[..third])
}

/// Intersection over union of two boxes.
fn overlap(a: &Face, b: &Face) -> f32 {
    let x1 = a.x.max(b.x);
    let y1 = a.y.max(b.y);
    let x2 = (a.x + a.width).min(b.x + b.width);
    let y2 = (a.y + a.height).min(b.y + b.height);
    let inter = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
    let union = a.width * a.height + b.width * b.height - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// The face to follow in the first frame: the largest, weighed against its
/// distance from the centre (a worker holds the clock at arm's length and is
/// framed in the middle; a bystander is smaller or off to the side).
fn first_subject(faces: &[Face], width: u32, height: u32) -> Option<Face> {
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let weight = |f: &Face| {
        let (dx, dy) = ((f.x + f.width / 2.0) / w - 0.5, (f.y + f.height / 2.0) / h - 0.5);
        f.width * f.height * (1.0 - dx.hypot(dy)).max(0.05)
    };
    faces.iter().max_by(|a, b| weight(a).total_cmp(&weight(b))).cloned()
}

/// A face counts as the tracked one when it overlaps the previous frame's
/// box by at least this much (frames about a quarter second apart).
const TRACK_OVERLAP: f32 = 0.3;

/// Fewest frames a burst must have.
const MIN_FRAMES: usize = 2;

impl FaceEngine {
    /// The active check on a burst of upright frames (in order, as the camera
    /// took them, not mirrored), with the prompted direction and the
    /// employee's enrolled embeddings. Each frame is searched at the quick
    /// detector size; the tracked face is embedded and judged for liveness.
    pub fn check_burst(&self, frames: &[Photo], prompted: TurnDirection, enrolled: &[Embedding]) -> Result<BurstCheck, FaceError> {
        let mut out = BurstCheck { passed: false, failures: Vec::new(), prompted, turn: 0.0, frames: Vec::new() };
        // The face is followed through the frames first, so that the tracked faces can be
        // embedded in one batch (the embedder's last layer then reads its weights once).
        let mut tracked: Vec<(&Photo, Face)> = Vec::new();
        let mut lost = None;
        for (i, photo) in frames.iter().enumerate() {
            let faces = self.detect_quick(photo)?;
            let found = match tracked.last() {
                None => first_subject(&faces, photo.width(), photo.height()),
                Some((_, p)) => faces
                    .iter()
                    .map(|f| (overlap(p, f), f))
                    .filter(|(o, _)| *o >= TRACK_OVERLAP)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, f)| f.clone()),
            };
            let Some(face) = found else {
                lost = Some(if i == 0 { BurstFailure::NoFace } else { BurstFailure::LostTrack { frame: i } });
                break;
            };
            tracked.push((photo, face));
        }
        let embedded = self.embed_faces(&tracked.iter().map(|(photo, face)| (*photo, face)).collect::<Vec<_>>())?;
        let first: Option<&Embedding> = embedded.first().map(|a| &a.embedding);
        for (i, ((photo, face), analysed)) in tracked.iter().zip(&embedded).enumerate() {
            let liveness = self.liveness(photo, face)?;
            let enrolled_score = enrolled.iter().map(|e| compare(&analysed.embedding, e)).reduce(f32::max);
            let same_as_first = first.filter(|_| i > 0).map(|e| compare(&analysed.embedding, e));
            if same_as_first.is_some_and(|s| s < crate::MATCH_THRESHOLD) {
                out.failures.push(BurstFailure::IdentityChanged { frame: i });
            }
            out.frames.push(BurstFrame {
                face: Some(face.clone()),
                nose_offset: nose_offset(&face.landmarks),
                same_as_first,
                enrolled_score,
                liveness: Some(liveness),
            });
        }
        if let Some(failure) = lost {
            out.failures.push(failure);
            out.frames.push(BurstFrame { face: None, nose_offset: None, same_as_first: None, enrolled_score: None, liveness: None });
        }
        if frames.len() < MIN_FRAMES && out.failures.is_empty() {
            out.failures.push(BurstFailure::NoFace);
        }
        out.turn = turn(&out.frames) * prompted.sign();
        let tracked_all = out.failures.iter().all(|f| !matches!(f, BurstFailure::NoFace | BurstFailure::LostTrack { .. }));
        if tracked_all {
            if !out.frames.iter().any(|f| f.enrolled_score.is_some_and(|s| s >= crate::MATCH_THRESHOLD)) {
                out.failures.push(BurstFailure::NotTheEmployee);
            }
            if out.turn <= -MIN_TURN {
                out.failures.push(BurstFailure::WrongDirection);
            } else if out.turn < MIN_TURN {
                out.failures.push(BurstFailure::NoTurn);
            }
            let live = out.frames.iter().filter(|f| f.liveness.is_some_and(|l| l.live)).count();
            if 2 * live < out.frames.len() {
                out.failures.push(BurstFailure::NotLive);
            }
        }
        out.passed = out.failures.is_empty();
        Ok(out)
    }

    /// [`FaceEngine::check_burst`] on encoded frames (JPEG, PNG or WebP),
    /// each turned by `device_rotation_degrees` as the device reports.
    pub fn check_burst_bytes(
        &self,
        frames: &[&[u8]],
        device_rotation_degrees: i32,
        prompted: TurnDirection,
        enrolled: &[Embedding],
    ) -> Result<BurstCheck, FaceError> {
        let photos = frames.iter().map(|b| self.decode(b, device_rotation_degrees)).collect::<Result<Vec<_>, _>>()?;
        self.check_burst(&photos, prompted, enrolled)
    }
}

/// Frames of a burst sent as one image (see [`FaceEngine::check_burst_sheet`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetLayout {
    /// How many frames the image holds.
    pub frames: u32,
    /// Frames in a row (the last row may hold fewer).
    pub columns: u32,
}

impl SheetLayout {
    /// The rows of frames.
    pub fn rows(&self) -> u32 {
        self.frames.div_ceil(self.columns.max(1))
    }

    /// The frames of an upright sheet, left to right, then the next row. Every frame has the same
    /// size: the sheet's width and height must divide into whole frames.
    pub fn split(&self, sheet: &Photo) -> Result<Vec<Photo>, FaceError> {
        let (columns, rows) = (self.columns.max(1), self.rows().max(1));
        if self.frames == 0 || !sheet.width().is_multiple_of(columns) || !sheet.height().is_multiple_of(rows) {
            return Err(FaceError::Corrupt(format!(
                "a burst of {} frames, {} to a row, does not divide a {}x{} image into equal frames",
                self.frames,
                columns,
                sheet.width(),
                sheet.height()
            )));
        }
        let (width, height) = (sheet.width() / columns, sheet.height() / rows);
        // Whole rows of bytes copied at once: a frame's row is one contiguous run of the sheet's.
        let (sheet_row, frame_row) = (sheet.width() as usize * 3, width as usize * 3);
        let raw = sheet.image.as_raw();
        (0..self.frames)
            .map(|i| {
                let (x, y) = ((i % columns) as usize * frame_row, (i / columns) as usize * height as usize);
                let mut pixels = Vec::with_capacity(frame_row * height as usize);
                for row in raw.chunks_exact(sheet_row).skip(y).take(height as usize) {
                    pixels.extend_from_slice(&row[x..x + frame_row]);
                }
                image::RgbImage::from_raw(width, height, pixels)
                    .map(Photo::from_rgb)
                    .ok_or_else(|| FaceError::Corrupt(format!("frame {i} of the burst is cut short")))
            })
            .collect()
    }
}

impl FaceEngine {
    /// [`FaceEngine::check_burst`] on a burst sent as one encoded image (JPEG, PNG or WebP): the
    /// frames tiled in `layout`, upright (the clock turns each frame as the device's photo
    /// rotation says before tiling), in the order they were taken.
    pub fn check_burst_sheet(
        &self,
        sheet: &[u8],
        layout: SheetLayout,
        prompted: TurnDirection,
        enrolled: &[Embedding],
    ) -> Result<BurstCheck, FaceError> {
        let frames = layout.split(&self.decode(sheet, 0)?)?;
        self.check_burst(&frames, prompted, enrolled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f32, y: f32) -> Point {
        Point { x, y }
    }

    #[test]
    fn a_frontal_face_has_its_nose_in_the_middle() {
        let frontal = [p(40.0, 50.0), p(80.0, 50.0), p(60.0, 70.0), p(45.0, 90.0), p(75.0, 90.0)];
        assert!(nose_offset(&frontal).unwrap().abs() < 1e-6);
        // Turned to the person's left (unmirrored): the nose moves toward their left eye, on the picture's right.
        let left = [p(45.0, 50.0), p(80.0, 50.0), p(72.0, 70.0), p(48.0, 90.0), p(75.0, 90.0)];
        assert!(nose_offset(&left).unwrap() > 0.3);
    }

    #[test]
    fn an_affine_motion_of_a_flat_face_keeps_the_nose_offset() {
        let face = [p(40.0, 50.0), p(80.0, 50.0), p(63.0, 70.0), p(45.0, 90.0), p(75.0, 90.0)];
        let before = nose_offset(&face).unwrap();
        // Rotated, squeezed (a print turned about its vertical axis), sheared and moved.
        let moved = face.map(|q| p(0.7 * q.x + 0.2 * q.y + 13.0, -0.1 * q.x + 0.9 * q.y - 4.0));
        assert!((nose_offset(&moved).unwrap() - before).abs() < 1e-4);
    }

    #[test]
    fn a_sheet_splits_into_its_frames_in_order() {
        // Every pixel tells its frame, row and column, so any misplaced byte shows.
        let frame = |i: u32, w: u32, h: u32| {
            image::RgbImage::from_fn(w, h, |x, y| image::Rgb([i as u8 * 16 + (x % 16) as u8, y as u8, (x / 16) as u8]))
        };
        for (frames, columns, (w, h)) in [(8, 4, (48, 36)), (8, 3, (40, 30)), (1, 1, (32, 24))] {
            let layout = SheetLayout { frames, columns };
            let mut sheet = image::RgbImage::new(w * columns, h * layout.rows());
            for i in 0..frames {
                image::imageops::replace(&mut sheet, &frame(i, w, h), i64::from(i % columns * w), i64::from(i / columns * h));
            }
            let split = layout.split(&Photo::from_rgb(sheet)).unwrap();
            assert_eq!(split.len(), frames as usize);
            for (i, photo) in split.iter().enumerate() {
                assert!(photo.image == frame(i as u32, w, h), "{frames} frames, {columns} to a row: frame {i}");
            }
        }
        let odd = Photo::from_rgb(image::RgbImage::new(1921, 720));
        assert!(matches!(SheetLayout { frames: 8, columns: 4 }.split(&odd), Err(FaceError::Corrupt(_))));
        let sheet = Photo::from_rgb(image::RgbImage::new(1920, 720));
        assert!(matches!(SheetLayout { frames: 0, columns: 4 }.split(&sheet), Err(FaceError::Corrupt(_))));
    }

    #[test]
    fn the_first_subject_is_the_large_central_face() {
        let face = |x: f32, w: f32| Face { x, y: 100.0, width: w, height: w, score: 0.9, landmarks: [p(0.0, 0.0); 5] };
        // A slightly larger face at the edge loses to the central one.
        let chosen = first_subject(&[face(0.0, 130.0), face(270.0, 120.0)], 640, 480).unwrap();
        assert_eq!(chosen.x, 270.0);
    }
}
