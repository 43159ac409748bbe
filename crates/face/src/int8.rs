//! 8-bit matrix products, for the processors that multiply bytes faster than
//! floats: the one module of the crate allowed `unsafe`, for the run-time
//! choice of instructions and the intrinsics themselves.
//!
//! The float product ([`crate::gemm`]) is limited by this core's rate of
//! fused multiply-adds: 16 per cycle in AVX2. AVX-512 VNNI's `vpdpbusd`
//! multiplies 64 pairs of bytes and adds them, four at a time, into sixteen
//! 32-bit sums in one instruction. So the weights of a layer are quantised
//! once, when the model is loaded, and its input on every call:
//!
//! - weights per output channel, symmetric: `w ≈ s_o · q`, `q` in -127..=127,
//!   `s_o` the channel's largest magnitude over 127;
//! - activations per row (one pixel's inputs), from the row's smallest value
//!   `m_r` to its largest in 255 steps of `s_r`: `a ≈ m_r + s_r · q`, `q` in
//!   0..=255, an unsigned byte as `vpdpbusd` takes it. Most rows follow a
//!   ReLU or PReLU and are nearly all positive, so this spends every step
//!   on values that occur (a range symmetric about zero would waste half).
//!
//! The product of row `r` and channel `o` is then
//! `s_r s_o Σ_k qa_rk qw_ko + m_r s_o Σ_k qw_ko`: the first sum exact in
//! 32-bit integers, the second known at load. Each term is off the float one
//! by at most half a step of each operand: `|error| ≤ Σ_k (s_r/2 |w_ko| +
//! s_o/2 |a_rk| + s_r s_o / 4)`, which `tests` hold the kernel to. Bias and
//! activation are applied in floats before the one store, as in
//! [`crate::gemm`].
//!
//! [`Kernel::detect`] looks for the instructions at run time; without them
//! no layer is quantised and the float path runs, so the same build runs
//! everywhere. Every `unsafe` block says why it is sound.

#![deny(unsafe_op_in_unsafe_fn)]

use crate::gemm::Epilogue;

/// Output channels per panel: two AVX-512 registers of sixteen 32-bit sums.
const NR: usize = 32;

/// Bytes of one group of four inputs for a whole panel.
const GROUP_BYTES: usize = NR * 4;

/// Rows of the activations summed together, each into `NR` sums.
const MR: usize = 8;

/// Rows of quantised activations taken together, so that they stay in the
/// second-level cache while every panel of weights passes over them.
const ROW_BLOCK_BYTES: usize = 128 * 1024;

/// The 8-bit instructions found on this processor. Only
/// [`Kernel::detect`] makes one (the field is private to this module), so
/// holding a `Kernel` proves that the processor has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kernel {
    _found: (),
}

impl Kernel {
    /// AVX-512 (F and BW) with VNNI, when this processor has them.
    pub(crate) fn detect() -> Option<Kernel> {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                return Some(Kernel { _found: () });
            }
        }
        None
    }
}

/// A layer's weights `k x n` quantised and packed for [`Quantised::mul`],
/// with the bias and activation that go with them.
#[derive(Debug, Clone)]
pub(crate) struct Quantised {
    k: usize,
    n: usize,
    /// Groups of four inputs (`k` rounded up to a multiple of 4, over 4).
    groups: usize,
    /// Panel `p`, group `g`, output `c` of the panel, input `t` of the group:
    /// `((p * groups + g) * NR + c) * 4 + t` (zero past `k` and `n`).
    weights: Vec<i8>,
    /// Per output (padded to whole panels): `s_o Σ_k q`, what a row's
    /// smallest value is multiplied by.
    sums: Vec<f32>,
    /// Per output: the weights' scale.
    scales: Vec<f32>,
    bias: Vec<f32>,
    slopes: Vec<f32>,
    epilogue: Epilogue,
    kernel: Kernel,
}

impl Quantised {
    /// Quantises `weights` (`k` rows of `n`, input-major); `slopes` is
    /// `None` for no activation, else one slope per output (zeros for a ReLU).
    pub(crate) fn new(weights: &[f32], k: usize, n: usize, bias: &[f32], slopes: Option<&[f32]>, kernel: Kernel) -> Quantised {
        let panels = n.div_ceil(NR);
        let padded = panels * NR;
        let groups = k.div_ceil(4);
        // Row by row (input-major, as the weights lie), so that loading stays quick.
        let mut scales = vec![0f32; padded];
        for row in weights.chunks_exact(n).take(k) {
            scales.iter_mut().zip(row).for_each(|(s, w)| *s = s.max(w.abs()));
        }
        scales.iter_mut().for_each(|s| *s /= 127.0);
        let inverse: Vec<f32> = scales.iter().map(|&s| if s > 0.0 { 1.0 / s } else { 0.0 }).collect();
        let mut packed = vec![0i8; panels * groups * GROUP_BYTES];
        let mut sums = vec![0f32; padded];
        for (i, row) in weights.chunks_exact(n).take(k).enumerate() {
            for (o, w) in row.iter().enumerate() {
                // f32::round, without its library call: add the largest float below one half
                // (with the value's sign) and truncate, as the compiler does on SSE4.1.
                let x = w * inverse[o];
                let q = ((x + 0.499_999_97_f32.copysign(x)) as i32).clamp(-127, 127) as i8;
                packed[(((o / NR) * groups + i / 4) * NR + o % NR) * 4 + i % 4] = q;
                sums[o] += f32::from(q);
            }
        }
        sums.iter_mut().zip(&scales).for_each(|(v, s)| *v *= s);
        let pad = |v: &[f32]| v.iter().copied().chain(std::iter::repeat(0.0)).take(padded).collect::<Vec<f32>>();
        Quantised {
            k,
            n,
            groups,
            weights: packed,
            sums,
            scales,
            bias: pad(bias),
            slopes: pad(slopes.unwrap_or(&[])),
            epilogue: if slopes.is_some() { Epilogue::Rectify } else { Epilogue::Linear },
            kernel,
        }
    }

    /// `out` (`m x n`) = `a` (`m x k`, row-major) times the weights, plus
    /// the bias, then the activation; `a` is quantised row by row first.
    pub(crate) fn mul(&self, a: &[f32], out: &mut [f32]) -> Result<(), String> {
        let m = a.len() / self.k.max(1);
        if a.len() != m * self.k || out.len() != m * self.n {
            return Err(format!("a product of {} inputs and {} outputs for {}x{} weights", a.len(), out.len(), self.k, self.n));
        }
        let stride = self.groups * 4;
        // The bytes past `k` in each row meet zero weights: any value will do.
        let mut rows = vec![0u8; m * stride];
        let mut row_scales = vec![[0f32; 2]; m];
        #[cfg(target_arch = "x86_64")]
        {
            let Kernel { _found: () } = self.kernel;
            // SAFETY: a `Kernel` exists only if `Kernel::detect` found AVX-512 F, BW and VNNI on
            // this processor, which is all these two functions are compiled for.
            unsafe {
                avx512::quantise_rows(a, self.k, stride, &mut rows, &mut row_scales);
                avx512::mul(self, &rows, &row_scales, m, out);
            }
        }
        Ok(())
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::{
        __m512, __m512i, _mm512_cvtepi32_ps, _mm512_cvtps_epi32, _mm512_dpbusd_epi32, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_loadu_si512,
        _mm512_mask_cvtusepi32_storeu_epi8, _mm512_mask_max_ps, _mm512_mask_min_ps, _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps,
        _mm512_max_ps, _mm512_min_ps, _mm512_mul_ps, _mm512_reduce_max_ps, _mm512_reduce_min_ps, _mm512_set1_epi32, _mm512_set1_ps,
        _mm512_setzero_ps, _mm512_setzero_si512, _mm512_sub_ps,
    };

    use super::{Epilogue, Quantised, GROUP_BYTES, MR, NR, ROW_BLOCK_BYTES};

    /// Lanes of 32 bits in a register.
    const L: usize = 16;

    /// The mask of the first `len` (at most 16) lanes.
    fn lanes(len: usize) -> u16 {
        (((1u32 << len.min(L)) - 1) & 0xffff) as u16
    }

    /// Writes each row of `a` (`k` values) as bytes `q` into `rows` (rows of
    /// `stride` bytes, `stride >= k`; the bytes past `k` are left as they
    /// are), and its step and smallest value into `scales`.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) fn quantise_rows(a: &[f32], k: usize, stride: usize, rows: &mut [u8], scales: &mut [[f32; 2]]) {
        assert!(stride >= k && a.len() / k.max(1) <= scales.len() && rows.len() >= scales.len() * stride);
        let whole = k / L * L;
        let tail = lanes(k - whole);
        for ((row, q), scale) in a.chunks_exact(k.max(1)).zip(rows.chunks_exact_mut(stride)).zip(scales.iter_mut()) {
            let p = row.as_ptr();
            let (mut low, mut high) = (_mm512_set1_ps(f32::INFINITY), _mm512_set1_ps(f32::NEG_INFINITY));
            for i in (0..whole).step_by(L) {
                // SAFETY: i + 16 <= whole <= k = row.len().
                let v = unsafe { _mm512_loadu_ps(p.add(i)) };
                (low, high) = (_mm512_min_ps(low, v), _mm512_max_ps(high, v));
            }
            if whole < k {
                // SAFETY: the mask covers k - whole lanes, all inside the row; masked lanes are not read.
                let last = unsafe { _mm512_maskz_loadu_ps(tail, p.add(whole)) };
                (low, high) = (_mm512_mask_min_ps(low, tail, low, last), _mm512_mask_max_ps(high, tail, high, last));
            }
            let (low, high) = (_mm512_reduce_min_ps(low), _mm512_reduce_max_ps(high));
            let range = high - low;
            let (step, inverse) = if range > 0.0 && range.is_finite() { (range / 255.0, 255.0 / range) } else { (0.0, 0.0) };
            *scale = [step, if low.is_finite() { low } else { 0.0 }];
            let (inverse, low) = (_mm512_set1_ps(inverse), _mm512_set1_ps(scale[1]));
            // Rounded to nearest (the default rounding mode): 0..=255, saturated when stored.
            let quantise = |v: __m512| _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_sub_ps(v, low), inverse));
            let out = q.as_mut_ptr();
            for i in (0..whole).step_by(L) {
                // SAFETY: i + 16 <= k <= stride = q.len(), for the load from the row and the 16 bytes stored.
                unsafe { _mm512_mask_cvtusepi32_storeu_epi8(out.add(i).cast(), 0xffff, quantise(_mm512_loadu_ps(p.add(i)))) };
            }
            // SAFETY: as above, with only the k - whole lanes inside the row loaded and stored.
            unsafe { _mm512_mask_cvtusepi32_storeu_epi8(out.add(whole).cast(), tail, quantise(_mm512_maskz_loadu_ps(tail, p.add(whole)))) };
        }
    }

    /// `R` rows of quantised activations (rows `stride` bytes apart) times
    /// one panel (`groups` groups of four inputs).
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    fn tile<const R: usize>(rows: &[u8], stride: usize, panel: &[i8], groups: usize) -> [[__m512i; 2]; R] {
        assert!(rows.len() >= (R - 1) * stride + groups * 4 && panel.len() >= groups * GROUP_BYTES);
        let mut acc = [[_mm512_setzero_si512(); 2]; R];
        let (a, w) = (rows.as_ptr(), panel.as_ptr());
        for g in 0..groups {
            // SAFETY: (g + 1) * GROUP_BYTES <= panel.len(), asserted above.
            let (w0, w1) =
                unsafe { (_mm512_loadu_si512(w.add(g * GROUP_BYTES).cast()), _mm512_loadu_si512(w.add(g * GROUP_BYTES + 64).cast())) };
            for (r, acc) in acc.iter_mut().enumerate() {
                // SAFETY: r * stride + 4 * g + 4 <= (R - 1) * stride + groups * 4 <= rows.len(), asserted above.
                let x = _mm512_set1_epi32(unsafe { a.add(r * stride + 4 * g).cast::<i32>().read_unaligned() });
                acc[0] = _mm512_dpbusd_epi32(acc[0], x, w0);
                acc[1] = _mm512_dpbusd_epi32(acc[1], x, w1);
            }
        }
        acc
    }

    /// One panel's per-output numbers for the store.
    struct Outputs<'a> {
        scales: &'a [f32],
        sums: &'a [f32],
        bias: &'a [f32],
        slopes: &'a [f32],
        epilogue: Epilogue,
    }

    /// Scales one row's sums back to floats (`[step, smallest]` of the row),
    /// adds the bias, applies the activation and stores the first
    /// `dst.len()` (at most `NR`) outputs.
    #[target_feature(enable = "avx512f")]
    fn store(acc: [__m512i; 2], [step, smallest]: [f32; 2], o: &Outputs<'_>, dst: &mut [f32]) {
        assert!(o.scales.len() >= NR && o.sums.len() >= NR && o.bias.len() >= NR && o.slopes.len() >= NR && dst.len() <= NR);
        let (zero, step, smallest) = (_mm512_setzero_ps(), _mm512_set1_ps(step), _mm512_set1_ps(smallest));
        for (v, acc) in acc.into_iter().enumerate() {
            let len = dst.len().saturating_sub(v * L).min(L);
            if len == 0 {
                break;
            }
            // SAFETY: v * 16 + 16 <= NR <= each slice's length, asserted above.
            let [scale, sum, bias, slope] = [o.scales, o.sums, o.bias, o.slopes].map(|x| unsafe { _mm512_loadu_ps(x.as_ptr().add(v * L)) });
            let shift = _mm512_fmadd_ps(smallest, sum, bias);
            let mut y = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc), _mm512_mul_ps(scale, step), shift);
            if o.epilogue == Epilogue::Rectify {
                y = _mm512_fmadd_ps(slope, _mm512_min_ps(y, zero), _mm512_max_ps(y, zero));
            }
            // SAFETY: the mask covers `len` lanes from v * 16, all inside `dst`.
            unsafe { _mm512_mask_storeu_ps(dst.as_mut_ptr().add(v * L), lanes(len), y) };
        }
    }

    /// [`Quantised::mul`] on rows already quantised.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) fn mul(q: &Quantised, rows: &[u8], row_scales: &[[f32; 2]], m: usize, out: &mut [f32]) {
        let (n, groups) = (q.n, q.groups);
        let stride = groups * 4;
        let block = (ROW_BLOCK_BYTES / stride.max(1)).max(MR) / MR * MR;
        for start in (0..m).step_by(block) {
            let end = (start + block).min(m);
            for (p, panel) in q.weights.chunks_exact(groups * GROUP_BYTES).enumerate() {
                let cols = p * NR..(p * NR + NR).min(n);
                let outputs = Outputs {
                    scales: &q.scales[p * NR..][..NR],
                    sums: &q.sums[p * NR..][..NR],
                    bias: &q.bias[p * NR..][..NR],
                    slopes: &q.slopes[p * NR..][..NR],
                    epilogue: q.epilogue,
                };
                let mut r = start;
                while r + MR <= end {
                    let acc = tile::<MR>(&rows[r * stride..], stride, panel, groups);
                    for (i, acc) in acc.into_iter().enumerate() {
                        store(acc, row_scales[r + i], &outputs, &mut out[(r + i) * n..][cols.clone()]);
                    }
                    r += MR;
                }
                for r in r..end {
                    let [acc] = tile::<1>(&rows[r * stride..], stride, panel, groups);
                    store(acc, row_scales[r], &outputs, &mut out[r * n..][cols.clone()]);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::gemm::Packed;

    /// Numbers from a fixed seed, uniform in -1..1 (xorshift).
    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// The float product of the float path, and this module's, for the same layer.
    fn both(a: &[f32], w: &[f32], k: usize, n: usize, bias: &[f32], slopes: Option<&[f32]>, kernel: Kernel) -> (Vec<f32>, Vec<f32>) {
        let m = a.len() / k;
        let (mut float, mut int8) = (vec![f32::NAN; m * n], vec![f32::NAN; m * n]);
        Packed::new(w, k, n, bias, slopes).mul(a, &mut float).unwrap();
        Quantised::new(w, k, n, bias, slopes, kernel).mul(a, &mut int8).unwrap();
        (float, int8)
    }

    /// The worst-case rounding error of an output before its activation,
    /// from the module's header: half a step of each operand per term.
    pub(crate) fn bound(a: &[f32], w: &[f32], k: usize, n: usize, r: usize, o: usize) -> f32 {
        let row = &a[r * k..][..k];
        let (low, high) = row.iter().fold((f32::MAX, f32::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
        let sa = (high - low) / 255.0;
        let sw = (0..k).map(|i| w[i * n + o].abs()).fold(0f32, f32::max) / 127.0;
        let terms: f32 = (0..k).map(|i| sa / 2.0 * w[i * n + o].abs() + sw / 2.0 * row[i].abs() + sa * sw / 4.0).sum();
        // The float sums themselves round too (at most k steps of 2^-24 of the largest partial sum).
        terms * 1.001 + 1e-5 * (k as f32)
    }

    #[test]
    fn products_stay_within_the_rounding_bound_of_the_float_path() {
        let Some(kernel) = Kernel::detect() else {
            // Without the instructions nothing is ever quantised: the model loader checks that.
            assert!(crate::models::SFACE.load_int8(true).unwrap().quantised_layers() == 0);
            return;
        };
        // Sizes that leave partial tiles of rows, partial panels, inputs not a multiple of four,
        // several row blocks, and rows that are all zero.
        for (m, k, n, seed) in [(1, 1, 1, 1), (7, 3, 5, 2), (9, 16, 32, 3), (49, 64, 40, 4), (2100, 70, 17, 5), (13, 1030, 70, 6)] {
            let mut a = random(m * k, seed);
            a[..k].iter_mut().for_each(|v| *v = 0.0);
            let (w, bias, slopes) = (random(k * n, seed + 10), random(n, seed + 20), random(n, seed + 30));
            for prelu in [false, true] {
                let (float, int8) = both(&a, &w, k, n, &bias, prelu.then_some(&slopes[..]), kernel);
                for r in 0..m {
                    for o in 0..n {
                        let (f, q) = (float[r * n + o], int8[r * n + o]);
                        // A PReLU with |slope| <= 1 never widens the gap.
                        let b = bound(&a, &w, k, n, r, o);
                        assert!((f - q).abs() <= b, "{m}x{k}x{n} prelu {prelu} at ({r}, {o}): float {f}, int8 {q}, bound {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn operands_on_the_grid_give_the_float_product() {
        let Some(kernel) = Kernel::detect() else {
            assert!(crate::models::SFACE.load_int8(true).unwrap().quantised_layers() == 0);
            return;
        };
        // Every row spans exactly 255 steps of 0.25 (from -25), every channel's largest
        // magnitude is 127 steps of 0.125, and every value is a whole number of steps: quantising
        // loses nothing, so only the float path's own rounding is left.
        let (m, k, n) = (19, 37, 45);
        let mut a: Vec<f32> = random(m * k, 7).iter().map(|x| ((x + 1.0) * 127.5).round().clamp(0.0, 255.0) * 0.25 - 25.0).collect();
        for row in a.chunks_exact_mut(k) {
            (row[0], row[1]) = (-25.0, 255.0 * 0.25 - 25.0);
        }
        let mut w: Vec<f32> = random(k * n, 8).iter().map(|x| (x * 127.0).round() * 0.125).collect();
        // Column o's largest is put at row o % k: every channel has one.
        for o in 0..n {
            w[(o % k) * n + o] = -127.0 * 0.125;
        }
        let bias = random(n, 9);
        let (float, int8) = both(&a, &w, k, n, &bias, None, kernel);
        for (i, (f, q)) in float.iter().zip(&int8).enumerate() {
            assert!((f - q).abs() <= 1e-3 * f.abs().max(1.0), "at {i}: float {f}, int8 {q}");
        }
    }

    #[test]
    fn a_product_of_the_wrong_size_is_refused() {
        let Some(kernel) = Kernel::detect() else { return };
        let q = Quantised::new(&[1.0; 6], 2, 3, &[0.0; 3], None, kernel);
        assert!(q.mul(&[1.0; 4], &mut [0.0; 5]).is_err());
        assert!(q.mul(&[1.0; 5], &mut [0.0; 6]).is_err());
    }
}
