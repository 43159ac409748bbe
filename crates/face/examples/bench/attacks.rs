//! Presentation attacks made at run time from a portrait: a print held up to
//! the camera (flat, tilted, bent, halftoned) and a photo shown on a phone
//! screen, each placed in a synthetic scene and taken again by a "camera"
//! (blur, noise). Shared by the bench (`examples/bench.rs`) and the crate's
//! tests (`tests/face.rs`), so both judge the same kind of attack.
//!
//! These are synthetic: they imitate what a print or a screen does to a face
//! (paper border, hand, perspective, curl, paper texture, halftone dots, lower
//! dynamic range; pixel grid, moiré, gamma, glare, bezel), not the physics of
//! a real printer, paper, screen or lens.

#![allow(dead_code)]

use image::{imageops, Rgb, RgbImage};

/// A small deterministic random source (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    /// Uniform in 0..1.
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32) / (1u64 << 24) as f32
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next()
    }

    /// Roughly normal, mean 0, standard deviation 1.
    pub fn normal(&mut self) -> f32 {
        ((0..4).map(|_| self.next()).sum::<f32>() - 2.0) * 3.0f32.sqrt()
    }
}

/// The kinds of attack, each reported on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attack {
    /// A print held nearly square to the camera (up to 10 degrees), white border, a thumb on it.
    PrintHeld,
    /// A print tilted 20 to 35 degrees about a vertical or horizontal axis.
    PrintTilted,
    /// A print bent round a vertical axis (a cylinder), with the shading that gives.
    PrintBent,
    /// A laser or inkjet print whose halftone dots show, held nearly square.
    PrintHalftone,
    /// A phone screen showing the photo, its bezel and the hand around it in view.
    ScreenPhone,
    /// A screen filling the frame (no edge in view): pixel grid, moiré, gamma, glare only.
    ScreenClose,
}

impl Attack {
    /// Every kind, in report order.
    pub const ALL: [Attack; 6] =
        [Attack::PrintHeld, Attack::PrintTilted, Attack::PrintBent, Attack::PrintHalftone, Attack::ScreenPhone, Attack::ScreenClose];

    /// Name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Attack::PrintHeld => "print, held",
            Attack::PrintTilted => "print, tilted",
            Attack::PrintBent => "print, bent",
            Attack::PrintHalftone => "print, halftone",
            Attack::ScreenPhone => "phone screen",
            Attack::ScreenClose => "screen, close",
        }
    }
}

/// Bilinear sample of `image` at `(x, y)`; `None` outside.
pub fn sample(image: &RgbImage, x: f32, y: f32) -> Option<[f32; 3]> {
    let (w, h) = (image.width() as f32, image.height() as f32);
    if x < 0.0 || y < 0.0 || x > w - 1.0 || y > h - 1.0 {
        return None;
    }
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (x0, y0) = (x0 as u32, y0 as u32);
    let (x1, y1) = ((x0 + 1).min(image.width() - 1), (y0 + 1).min(image.height() - 1));
    let p = |x, y| image.get_pixel(x, y).0.map(f32::from);
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    Some(std::array::from_fn(|k| {
        let top = a[k] + (b[k] - a[k]) * fx;
        let bottom = c[k] + (d[k] - c[k]) * fx;
        top + (bottom - top) * fy
    }))
}

/// A 3x3 homography, row-major.
#[derive(Debug, Clone, Copy)]
pub struct Homography([f32; 9]);

impl Homography {
    /// The homography taking the unit square's corners (0,0), (1,0), (1,1), (0,1) to `q`.
    pub fn from_unit_square(q: [(f32, f32); 4]) -> Homography {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = q;
        let (dx1, dx2, dx3) = (x1 - x2, x3 - x2, x0 - x1 + x2 - x3);
        let (dy1, dy2, dy3) = (y1 - y2, y3 - y2, y0 - y1 + y2 - y3);
        let den = dx1 * dy2 - dx2 * dy1;
        let g = (dx3 * dy2 - dx2 * dy3) / den;
        let h = (dx1 * dy3 - dx3 * dy1) / den;
        Homography([x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h, 1.0])
    }

    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let m = &self.0;
        let w = m[6] * x + m[7] * y + m[8];
        ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)
    }

    pub fn inverse(&self) -> Homography {
        let m = &self.0;
        let c = [
            m[4] * m[8] - m[5] * m[7],
            m[2] * m[7] - m[1] * m[8],
            m[1] * m[5] - m[2] * m[4],
            m[5] * m[6] - m[3] * m[8],
            m[0] * m[8] - m[2] * m[6],
            m[2] * m[3] - m[0] * m[5],
            m[3] * m[7] - m[4] * m[6],
            m[1] * m[6] - m[0] * m[7],
            m[0] * m[4] - m[1] * m[3],
        ];
        let det = m[0] * c[0] + m[1] * c[3] + m[2] * c[6];
        Homography(c.map(|v| v / det))
    }
}

/// A synthetic room behind the attack: a lit wall with a gradient, a door or
/// shelf edge, and sensor-like grain.
pub fn background(width: u32, height: u32, rng: &mut Rng) -> RgbImage {
    let base = [rng.range(120.0, 210.0), rng.range(110.0, 200.0), rng.range(100.0, 190.0)];
    let (gx, gy) = (rng.range(-0.3, 0.3), rng.range(-0.4, 0.1));
    let edge = rng.range(0.1, 0.9) * width as f32;
    let shade = rng.range(0.5, 0.8);
    RgbImage::from_fn(width, height, |x, y| {
        let (u, v) = (x as f32 / width as f32 - 0.5, y as f32 / height as f32 - 0.5);
        let light = (1.0 + gx * u + gy * v) * if (x as f32) < edge { 1.0 } else { shade };
        Rgb(base.map(|b| (b * light).clamp(0.0, 255.0) as u8))
    })
}

/// A portrait as printed on paper: a white border around it, colours pressed
/// into the paper's narrower range, a little ink spread, paper grain, and
/// with `halftone` the dot screen of a laser printer.
pub fn print(portrait: &RgbImage, halftone: bool, rng: &mut Rng) -> RgbImage {
    let border = (portrait.width().max(portrait.height()) / 14).max(4);
    let (w, h) = (portrait.width() + 2 * border, portrait.height() + 2 * border);
    let blurred = imageops::blur(portrait, rng.range(0.6, 1.4));
    let (black, white) = (rng.range(18.0, 40.0), rng.range(225.0, 245.0));
    let period = rng.range(3.0, 5.0);
    let grain_seed = rng.0;
    let mut grain = Rng(grain_seed | 1);
    RgbImage::from_fn(w, h, |x, y| {
        let paper = white - 6.0 * grain.next();
        if x < border || y < border || x >= w - border || y >= h - border {
            return Rgb([paper as u8, paper as u8, (paper - 4.0) as u8]);
        }
        let p = blurred.get_pixel(x - border, y - border).0.map(f32::from);
        let mut v = p.map(|c| black + (c / 255.0) * (paper - black));
        if halftone {
            // One dot screen per ink, at its own angle: the ink covers the cell where the screen is below the tone.
            for (k, angle) in [15f32, 75.0, 45.0].iter().enumerate() {
                let (s, c) = angle.to_radians().sin_cos();
                let (u, t) = ((x as f32 * c + y as f32 * s) / period, (-(x as f32) * s + y as f32 * c) / period);
                let screen = 0.25 * ((u * std::f32::consts::TAU).cos() + (t * std::f32::consts::TAU).cos()) + 0.5;
                let tone = (v[k] - black) / (paper - black).max(1.0);
                v[k] = if tone > screen { paper } else { black + 0.3 * (paper - black) * tone };
            }
        }
        // Paper texture: fine grain.
        let g = 1.0 + 0.03 * grain.normal();
        Rgb(v.map(|c| (c * g).clamp(0.0, 255.0) as u8))
    })
}

/// A photo shown on a screen: gamma and brightness of the display, its
/// pixel grid (red, green and blue stripes `pitch` scene pixels wide),
/// moiré bands from the grid beating with the camera's, and glare.
pub fn screen(portrait: &RgbImage, pitch: f32, rng: &mut Rng) -> RgbImage {
    let gamma = rng.range(0.75, 1.3);
    let gain = rng.range(0.95, 1.15);
    let (mf, ma, mangle) = (rng.range(0.02, 0.08), rng.range(0.05, 0.12), rng.range(0.0, std::f32::consts::PI));
    let (gx, gy, gr) = (rng.range(0.2, 0.8), rng.range(0.1, 0.6), rng.range(0.15, 0.4));
    let ga = rng.range(40.0, 110.0);
    let (w, h) = (portrait.width() as f32, portrait.height() as f32);
    RgbImage::from_fn(portrait.width(), portrait.height(), |x, y| {
        let p = portrait.get_pixel(x, y).0.map(f32::from);
        let (xf, yf) = (x as f32, y as f32);
        let sub = ((xf / pitch * 3.0) as i64).rem_euclid(3) as usize;
        let row_gap = if (yf / pitch).fract() < 0.15 { 0.7 } else { 1.0 };
        let moire = 1.0 + ma * ((xf * mangle.cos() + yf * mangle.sin()) * mf * std::f32::consts::TAU).sin();
        let (dx, dy) = (xf / w - gx, yf / h - gy);
        let glare = ga * (-(dx * dx + dy * dy) / (gr * gr)).exp();
        Rgb(std::array::from_fn(|k| {
            let lit = 255.0 * (p[k] / 255.0).powf(gamma) * gain;
            let stripe = if k == sub { 1.0 } else { 0.78 };
            (lit * stripe * row_gap * moire + glare).clamp(0.0, 255.0) as u8
        }))
    })
}

/// Where a flat rectangle of `w` x `h` (the print) lands in the scene: its
/// four corners after a turn of `[yaw, pitch, roll]` degrees (a pinhole camera
/// `focal` scene pixels away), a roll, centred at `centre`, `scale` scene
/// pixels per print pixel.
pub fn corners((w, h): (f32, f32), [yaw, pitch, roll]: [f32; 3], centre: (f32, f32), scale: f32, focal: f32) -> [(f32, f32); 4] {
    let (sy, cy) = yaw.to_radians().sin_cos();
    let (sp, cp) = pitch.to_radians().sin_cos();
    let (sr, cr) = roll.to_radians().sin_cos();
    [(-w / 2.0, -h / 2.0), (w / 2.0, -h / 2.0), (w / 2.0, h / 2.0), (-w / 2.0, h / 2.0)].map(|(x, y)| {
        let (x, y) = (x * scale, y * scale);
        // Roll in the plane, then yaw about the vertical axis and pitch about the horizontal one.
        let (x, y) = (x * cr - y * sr, x * sr + y * cr);
        let (x, z) = (x * cy, x * sy);
        let (y, z) = (y * cp - z * sp, y * sp + z * cp);
        let f = focal / (focal + z);
        (centre.0 + x * f, centre.1 + y * f)
    })
}

/// Draws `layer` into `scene` through the homography taking the layer's
/// unit square to `quad`, and, with `bend` (radians of arc across the
/// width), curled round a vertical axis first, darker where it turns away.
pub fn place(scene: &mut RgbImage, layer: &RgbImage, quad: [(f32, f32); 4], bend: f32) {
    let inverse = Homography::from_unit_square(quad).inverse();
    let (lw, lh) = (layer.width() as f32, layer.height() as f32);
    let xs = quad.iter().map(|q| q.0);
    let ys = quad.iter().map(|q| q.1);
    let (x0, x1) =
        (xs.clone().fold(f32::MAX, f32::min).max(0.0) as u32, xs.fold(f32::MIN, f32::max).min(scene.width() as f32 - 1.0) as u32);
    let (y0, y1) =
        (ys.clone().fold(f32::MAX, f32::min).max(0.0) as u32, ys.fold(f32::MIN, f32::max).min(scene.height() as f32 - 1.0) as u32);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (u, v) = inverse.apply(x as f32 + 0.5, y as f32 + 0.5);
            if !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
                continue;
            }
            let (u, v, shade) = if bend > 0.0 {
                // The visible width spans sin(-bend/2)..sin(bend/2) of a cylinder: find the arc position.
                let half = (bend / 2.0).sin();
                let s = ((u * 2.0 - 1.0) * half).clamp(-1.0, 1.0).asin() / (bend / 2.0);
                let angle = s * bend / 2.0;
                // Nearer the edges the paper comes toward the camera: a little taller.
                let depth = 1.0 - angle.cos();
                let v = 0.5 + (v - 0.5) * (1.0 - 0.25 * depth);
                ((s + 1.0) / 2.0, v, 0.75 + 0.25 * angle.cos())
            } else {
                (u, v, 1.0)
            };
            if !(0.0..1.0).contains(&v) {
                continue;
            }
            if let Some(p) = sample(layer, u * (lw - 1.0), v * (lh - 1.0)) {
                scene.put_pixel(x, y, Rgb(p.map(|c| (c * shade).clamp(0.0, 255.0) as u8)));
            }
        }
    }
}

/// A thumb and fingertips (skin-toned ellipses) over the bottom edge near `at`.
pub fn hand(scene: &mut RgbImage, at: (f32, f32), size: f32, rng: &mut Rng) {
    let skin = [rng.range(150.0, 225.0), rng.range(105.0, 170.0), rng.range(80.0, 140.0)];
    let (rx, ry) = (size * 0.35, size * 0.6);
    let (w, h) = (scene.width() as i64, scene.height() as i64);
    for dy in -(ry as i64)..=(ry as i64) {
        for dx in -(rx as i64)..=(rx as i64) {
            let (x, y) = (at.0 as i64 + dx, at.1 as i64 + dy);
            let d = (dx as f32 / rx).powi(2) + (dy as f32 / ry).powi(2);
            if d <= 1.0 && (0..w).contains(&x) && (0..h).contains(&y) {
                let shade = 1.0 - 0.25 * d;
                scene.put_pixel(x as u32, y as u32, Rgb(skin.map(|c| (c * shade) as u8)));
            }
        }
    }
}

/// The camera taking the scene: a little defocus and sensor noise.
pub fn camera(scene: &RgbImage, rng: &mut Rng) -> RgbImage {
    let blurred = imageops::blur(scene, rng.range(0.4, 1.2));
    let sigma = rng.range(1.5, 4.0);
    let mut noise = Rng(rng.0 ^ 0x9e37_79b9_7f4a_7c15);
    RgbImage::from_fn(scene.width(), scene.height(), |x, y| {
        let p = blurred.get_pixel(x, y).0;
        let n = sigma * noise.normal();
        Rgb(p.map(|c| (f32::from(c) + n).clamp(0.0, 255.0) as u8))
    })
}

/// The printed or displayed picture: the portrait cut around its face (the
/// face's box in the portrait's pixels), so that the face fills about half
/// its width as in an ID or profile photo.
pub fn picture(portrait: &RgbImage, face: (f32, f32, f32, f32)) -> RgbImage {
    let (x, y, w, h) = face;
    let side = w.max(h) * 2.2;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let left = (cx - side / 2.0).max(0.0);
    let top = (cy - side * 0.55).max(0.0);
    let right = (left + side).min(portrait.width() as f32);
    let bottom = (top + side * 1.25).min(portrait.height() as f32);
    imageops::crop_imm(portrait, left as u32, top as u32, (right - left).max(1.0) as u32, (bottom - top).max(1.0) as u32).to_image()
}

/// One attack of `kind` on the `picture` (see [`picture`]), in a scene of
/// `width` x `height`; the face in it spans about `face_fraction` of the
/// scene's width.
pub fn attack(kind: Attack, picture: &RgbImage, width: u32, height: u32, face_fraction: f32, rng: &mut Rng) -> RgbImage {
    let mut scene = background(width, height, rng);
    let (sw, sh) = (width as f32, height as f32);
    let centre = (sw * rng.range(0.4, 0.6), sh * rng.range(0.42, 0.55));
    // The picture's face is about 45% of its width: scale so it spans face_fraction of the scene.
    let scale = face_fraction * sw / (0.45 * picture.width() as f32);
    let focal = sw * 1.2;
    let roll = rng.range(-8.0, 8.0);
    match kind {
        Attack::PrintHeld | Attack::PrintTilted | Attack::PrintBent | Attack::PrintHalftone => {
            let printed = print(picture, kind == Attack::PrintHalftone, rng);
            let (yaw, pitch) = match kind {
                Attack::PrintTilted if rng.next() < 0.5 => {
                    (rng.range(20.0, 35.0) * if rng.next() < 0.5 { -1.0 } else { 1.0 }, rng.range(-5.0, 5.0))
                }
                Attack::PrintTilted => (rng.range(-5.0, 5.0), rng.range(20.0, 35.0) * if rng.next() < 0.5 { -1.0 } else { 1.0 }),
                _ => (rng.range(-10.0, 10.0), rng.range(-10.0, 10.0)),
            };
            let bend = if kind == Attack::PrintBent { rng.range(1.2, 2.2) } else { 0.0 };
            let quad = corners((printed.width() as f32, printed.height() as f32), [yaw, pitch, roll], centre, scale, focal);
            place(&mut scene, &printed, quad, bend);
            // A thumb on the bottom edge.
            let bottom = ((quad[2].0 + quad[3].0) / 2.0 + rng.range(-0.3, 0.3) * (quad[2].0 - quad[3].0), (quad[2].1 + quad[3].1) / 2.0);
            hand(&mut scene, bottom, sw * face_fraction * 0.5, rng);
        }
        Attack::ScreenPhone => {
            // Shown at the scene's resolution, so that the pixel grid is drawn at its true pitch.
            let (pw, ph) = ((picture.width() as f32 * scale).max(1.0) as u32, (picture.height() as f32 * scale).max(1.0) as u32);
            let shown = screen(&imageops::resize(picture, pw, ph, imageops::FilterType::Triangle), rng.range(1.5, 3.0), rng);
            // The phone: a dark body, a bezel, the screen inside.
            let bezel = (shown.width() / 12).max(3);
            let mut phone = RgbImage::from_pixel(shown.width() + 2 * bezel, shown.height() + 4 * bezel, Rgb([18, 18, 22]));
            imageops::replace(&mut phone, &shown, i64::from(bezel), i64::from(2 * bezel));
            let pose = [rng.range(-12.0, 12.0), rng.range(-12.0, 12.0), roll];
            let quad = corners((phone.width() as f32, phone.height() as f32), pose, centre, 1.0, focal);
            place(&mut scene, &phone, quad, 0.0);
            let side = ((quad[1].0 + quad[2].0) / 2.0, (quad[1].1 + quad[2].1) / 2.0 + rng.range(0.0, 0.3) * (quad[2].1 - quad[1].1));
            hand(&mut scene, side, sw * face_fraction * 0.6, rng);
        }
        Attack::ScreenClose => {
            // The screen fills the frame: the picture scaled to cover it.
            let cover = (sw / picture.width() as f32).max(sh / picture.height() as f32) * rng.range(1.0, 1.15);
            let (cw, ch) = ((picture.width() as f32 * cover) as u32, (picture.height() as f32 * cover) as u32);
            let big = imageops::resize(picture, cw.max(1), ch.max(1), imageops::FilterType::Triangle);
            let shown = screen(&big, rng.range(2.5, 4.5), rng);
            let (ox, oy) = ((cw.saturating_sub(width)) / 2, (ch.saturating_sub(height)) / 3);
            scene = imageops::crop_imm(&shown, ox, oy, width.min(cw), height.min(ch)).to_image();
            if scene.dimensions() != (width, height) {
                scene = imageops::resize(&scene, width, height, imageops::FilterType::Triangle);
            }
        }
    }
    camera(&scene, rng)
}

/// How a print or phone is moved through an attack burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Motion {
    /// A print turned about its vertical axis, 0 to 35 degrees (either way).
    PrintTurned,
    /// A print rotated in its plane, 0 to 30 degrees.
    PrintRotated,
    /// A print moved across the frame and nearer.
    PrintMoved,
    /// A print bent more and more (a cylinder curl growing).
    PrintBent,
    /// A phone turned about its vertical axis, 0 to 30 degrees.
    ScreenTurned,
}

impl Motion {
    /// Every motion, in report order.
    pub const ALL: [Motion; 5] = [Motion::PrintTurned, Motion::PrintRotated, Motion::PrintMoved, Motion::PrintBent, Motion::ScreenTurned];

    /// Name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Motion::PrintTurned => "print turned",
            Motion::PrintRotated => "print rotated",
            Motion::PrintMoved => "print moved",
            Motion::PrintBent => "print bent",
            Motion::ScreenTurned => "phone turned",
        }
    }
}

/// `n` frames of `width` x `height` of the picture printed (or on a phone)
/// and moved by `motion`, before one background, each taken by the camera.
pub fn burst(motion: Motion, picture: &RgbImage, n: usize, width: u32, height: u32, rng: &mut Rng) -> Vec<RgbImage> {
    let wall = background(width, height, rng);
    let (sw, sh) = (width as f32, height as f32);
    let scale = 0.3 * sw / (0.45 * picture.width() as f32);
    let layer = match motion {
        Motion::ScreenTurned => {
            let (pw, ph) = ((picture.width() as f32 * scale).max(1.0) as u32, (picture.height() as f32 * scale).max(1.0) as u32);
            let shown = screen(&imageops::resize(picture, pw, ph, imageops::FilterType::Triangle), rng.range(1.5, 3.0), rng);
            let bezel = (shown.width() / 12).max(3);
            let mut phone = RgbImage::from_pixel(shown.width() + 2 * bezel, shown.height() + 4 * bezel, Rgb([18, 18, 22]));
            imageops::replace(&mut phone, &shown, i64::from(bezel), i64::from(2 * bezel));
            phone
        }
        _ => print(picture, false, rng),
    };
    let layer_scale = if motion == Motion::ScreenTurned { 1.0 } else { scale };
    let way = if rng.next() < 0.5 { -1.0 } else { 1.0 };
    (0..n)
        .map(|k| {
            let t = k as f32 / (n.max(2) - 1) as f32;
            let (mut yaw, mut roll, mut centre, mut s, mut bend) = (0.0, 0.0, (sw * 0.5, sh * 0.5), layer_scale, 0.0);
            match motion {
                Motion::PrintTurned => yaw = 35.0 * t * way,
                Motion::ScreenTurned => yaw = 30.0 * t * way,
                Motion::PrintRotated => roll = 30.0 * t * way,
                Motion::PrintMoved => {
                    centre = (sw * (0.5 + 0.15 * t * way), sh * (0.5 - 0.05 * t));
                    s = layer_scale * (1.0 + 0.2 * t);
                }
                Motion::PrintBent => bend = 0.2 + 2.0 * t,
            }
            let mut scene = wall.clone();
            let quad = corners((layer.width() as f32, layer.height() as f32), [yaw, 0.0, roll], centre, s, sw * 1.2);
            place(&mut scene, &layer, quad, bend);
            camera(&scene, rng)
        })
        .collect()
}
