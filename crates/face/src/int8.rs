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
//! Processors with AVX2 but not VNNI (AMD before Zen 4, Intel before Ice
//! Lake) run the same arithmetic on 16-bit lanes: each activation and weight
//! widened to 16 bits, `vpmaddwd` multiplies 16 pairs and adds each pair into
//! eight 32-bit sums. Every product and pair sum is exact (at most
//! 2 · 255 · 127), so the integer sums, and the floats made from them by the
//! same operations in the same order, are bit for bit the VNNI kernel's.
//! (`vpmaddubsw` would multiply twice the pairs per instruction, but its
//! 16-bit pair sums saturate with bytes on both sides: 2 · 255 · 127 > 32767.)
//! The weights are widened once at load, the activations as they are
//! quantised.
//!
//! [`Kernel::detect`] looks for the instructions at run time (VNNI first,
//! then AVX2); without either no layer is quantised and the float path runs,
//! so the same build runs everywhere. Every `unsafe` block says why it is
//! sound.

#![deny(unsafe_op_in_unsafe_fn)]

use crate::gemm::Epilogue;

/// Output channels per panel: two AVX-512 registers of sixteen 32-bit sums.
const NR: usize = 32;

/// Bytes of one group of four inputs for a whole panel.
const GROUP_BYTES: usize = NR * 4;

/// Rows of the activations summed together, each into `NR` sums.
const MR: usize = 8;

/// Output channels per panel of the AVX2 kernel: two registers of eight sums.
const PAIR_NR: usize = 16;

/// Rows of quantised activations taken together, so that they stay in the
/// second-level cache while every panel of weights passes over them.
const ROW_BLOCK_BYTES: usize = 128 * 1024;

/// The 8-bit instructions found on this processor. Only
/// [`Kernel::available`] makes one (the field is private to this module), so
/// holding a `Kernel` proves that the processor has its instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kernel {
    found: Found,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// AVX-512 F and BW with VNNI.
    Vnni,
    /// AVX2 (the products) with FMA (the store).
    Avx2,
}

impl Kernel {
    /// The fastest kernel this processor has: AVX-512 VNNI, else AVX2.
    pub(crate) fn detect() -> Option<Kernel> {
        Kernel::available().into_iter().next()
    }

    /// Every kernel this processor has, fastest first (the tests run each).
    pub(crate) fn available() -> Vec<Kernel> {
        #[allow(unused_mut)]
        let mut found = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                found.push(Kernel { found: Found::Vnni });
            }
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                found.push(Kernel { found: Found::Avx2 });
            }
        }
        found
    }

    /// The instructions' name, for the bench and the tests' messages.
    pub(crate) fn name(self) -> &'static str {
        match self.found {
            Found::Vnni => "AVX-512 VNNI",
            Found::Avx2 => "AVX2",
        }
    }
}

/// A layer's quantised weights, laid out for the kernel that multiplies them.
#[derive(Debug, Clone)]
enum Weights {
    /// For VNNI: panel `p` of `NR` outputs, group `g`, output `c` of the
    /// panel, input `t` of the group: `((p * groups + g) * NR + c) * 4 + t`.
    Quads(Vec<i8>),
    /// For AVX2, widened: panel `p` of `avx2::NR` outputs, pair `h` of
    /// inputs, output `c`, input `t` of the pair:
    /// `((p * 2 * groups + h) * avx2::NR + c) * 2 + t`.
    Pairs(Vec<i16>),
}

/// A layer's weights `k x n` quantised and packed for [`Quantised::mul`],
/// with the bias and activation that go with them.
#[derive(Debug, Clone)]
pub(crate) struct Quantised {
    k: usize,
    n: usize,
    /// Groups of four inputs (`k` rounded up to a multiple of 4, over 4).
    groups: usize,
    /// Zero past `k` and `n`.
    weights: Weights,
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
        let mut packed = match kernel.found {
            Found::Vnni => Weights::Quads(vec![0i8; panels * groups * GROUP_BYTES]),
            Found::Avx2 => Weights::Pairs(vec![0i16; n.div_ceil(PAIR_NR) * groups * 4 * PAIR_NR]),
        };
        let mut sums = vec![0f32; padded];
        for (i, row) in weights.chunks_exact(n).take(k).enumerate() {
            for (o, w) in row.iter().enumerate() {
                // f32::round, without its library call: add the largest float below one half
                // (with the value's sign) and truncate, as the compiler does on SSE4.1.
                let x = w * inverse[o];
                let q = ((x + 0.499_999_97_f32.copysign(x)) as i32).clamp(-127, 127) as i8;
                match &mut packed {
                    Weights::Quads(packed) => packed[(((o / NR) * groups + i / 4) * NR + o % NR) * 4 + i % 4] = q,
                    Weights::Pairs(packed) => {
                        packed[(((o / PAIR_NR) * 2 * groups + i / 2) * PAIR_NR + o % PAIR_NR) * 2 + i % 2] = i16::from(q)
                    }
                }
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
        let mut row_scales = vec![[0f32; 2]; m];
        // The values past `k` in each row meet zero weights: any value will do.
        #[cfg(target_arch = "x86_64")]
        match (self.kernel.found, &self.weights) {
            (Found::Vnni, Weights::Quads(weights)) => {
                let mut rows = vec![0u8; m * stride];
                // SAFETY: a `Kernel` holding `Vnni` exists only if `Kernel::available` found
                // AVX-512 F, BW and VNNI on this processor, which is all these two functions are
                // compiled for.
                unsafe {
                    avx512::quantise_rows(a, self.k, stride, &mut rows, &mut row_scales);
                    avx512::mul(self, weights, &rows, &row_scales, m, out);
                }
            }
            (Found::Avx2, Weights::Pairs(weights)) => {
                let mut rows = vec![0i16; m * stride];
                // SAFETY: a `Kernel` holding `Avx2` exists only if `Kernel::available` found
                // AVX2 and FMA on this processor, which is all these two functions are compiled for.
                unsafe {
                    avx2::quantise_rows(a, self.k, stride, &mut rows, &mut row_scales);
                    avx2::mul(self, weights, &rows, &row_scales, m, out);
                }
            }
            _ => return Err("weights packed for another kernel".to_string()),
        }
        Ok(())
    }

    /// [`Quantised::mul`] on rows already quantised (`m` rows of `k`
    /// values 0..=255, and each row's `[step, smallest]`), for the tests
    /// that hold the kernels to exact integer sums.
    #[cfg(all(test, target_arch = "x86_64"))]
    fn mul_quantised(&self, rows: &[u8], row_scales: &[[f32; 2]], out: &mut [f32]) {
        let (m, stride) = (row_scales.len(), self.groups * 4);
        let mut padded = vec![0u8; m * stride];
        for (p, r) in padded.chunks_exact_mut(stride).zip(rows.chunks_exact(self.k)) {
            p[..self.k].copy_from_slice(r);
        }
        match (self.kernel.found, &self.weights) {
            // SAFETY: as in `mul`, the kernel proves the instructions.
            (Found::Vnni, Weights::Quads(weights)) => unsafe { avx512::mul(self, weights, &padded, row_scales, m, out) },
            (Found::Avx2, Weights::Pairs(weights)) => {
                let wide: Vec<i16> = padded.iter().map(|&v| i16::from(v)).collect();
                // SAFETY: as in `mul`, the kernel proves the instructions.
                unsafe { avx2::mul(self, weights, &wide, row_scales, m, out) }
            }
            _ => unreachable!("weights packed for another kernel"),
        }
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
    pub(super) fn mul(q: &Quantised, weights: &[i8], rows: &[u8], row_scales: &[[f32; 2]], m: usize, out: &mut [f32]) {
        let (n, groups) = (q.n, q.groups);
        let stride = groups * 4;
        let block = (ROW_BLOCK_BYTES / stride.max(1)).max(MR) / MR * MR;
        for start in (0..m).step_by(block) {
            let end = (start + block).min(m);
            for (p, panel) in weights.chunks_exact(groups * GROUP_BYTES).enumerate() {
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

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256, __m256i, _mm256_add_epi32, _mm256_castps256_ps128, _mm256_cvtepi32_ps, _mm256_cvtps_epi32, _mm256_extractf128_ps,
        _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_max_epi32, _mm256_max_ps, _mm256_min_epi32,
        _mm256_min_ps, _mm256_mul_ps, _mm256_packs_epi32, _mm256_permute4x64_epi64, _mm256_set1_epi32, _mm256_set1_ps, _mm256_setzero_ps,
        _mm256_setzero_si256, _mm256_storeu_ps, _mm256_storeu_si256, _mm256_sub_ps, _mm_cvtss_f32, _mm_max_ps, _mm_min_ps, _mm_movehl_ps,
        _mm_shuffle_ps,
    };

    use super::{Epilogue, Quantised, ROW_BLOCK_BYTES};

    /// Output channels per panel: two registers of eight 32-bit sums.
    const NR: usize = super::PAIR_NR;

    /// Rows summed together: 12 registers of sums, 2 of weights and 1 of
    /// the row's pair of inputs, of the 16.
    const MR: usize = 6;

    /// Lanes of 32 bits in a register.
    const L: usize = 8;

    /// As [`super::avx512::quantise_rows`], with each byte widened to 16
    /// bits: the same operations on every value, so the same numbers.
    #[target_feature(enable = "avx2")]
    pub(super) fn quantise_rows(a: &[f32], k: usize, stride: usize, rows: &mut [i16], scales: &mut [[f32; 2]]) {
        assert!(stride >= k && a.len() / k.max(1) <= scales.len() && rows.len() >= scales.len() * stride);
        let whole = k / L * L;
        let twice = k / (2 * L) * (2 * L);
        for ((row, q), scale) in a.chunks_exact(k.max(1)).zip(rows.chunks_exact_mut(stride)).zip(scales.iter_mut()) {
            let p = row.as_ptr();
            let (mut low, mut high) = (_mm256_set1_ps(f32::INFINITY), _mm256_set1_ps(f32::NEG_INFINITY));
            for i in (0..whole).step_by(L) {
                // SAFETY: i + 8 <= whole <= k = row.len().
                let v = unsafe { _mm256_loadu_ps(p.add(i)) };
                (low, high) = (_mm256_min_ps(low, v), _mm256_max_ps(high, v));
            }
            let (mut low, mut high) = (reduce(low, |x, y| _mm_min_ps(x, y)), reduce(high, |x, y| _mm_max_ps(x, y)));
            for &v in &row[whole..] {
                (low, high) = (low.min(v), high.max(v));
            }
            let range = high - low;
            let (step, inverse) = if range > 0.0 && range.is_finite() { (range / 255.0, 255.0 / range) } else { (0.0, 0.0) };
            *scale = [step, if low.is_finite() { low } else { 0.0 }];
            let (inverse_v, low_v) = (_mm256_set1_ps(inverse), _mm256_set1_ps(scale[1]));
            let (zero, top) = (_mm256_setzero_si256(), _mm256_set1_epi32(255));
            // Rounded to nearest (the default rounding mode), then held to 0..=255.
            let quantise = |v: __m256| {
                _mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_sub_ps(v, low_v), inverse_v)), zero), top)
            };
            let out = q.as_mut_ptr();
            for i in (0..twice).step_by(2 * L) {
                // SAFETY: i + 16 <= k = row.len() for the loads, and <= stride = q.len() for the 16 values stored.
                unsafe {
                    let (x, y) = (quantise(_mm256_loadu_ps(p.add(i))), quantise(_mm256_loadu_ps(p.add(i + L))));
                    // The pack interleaves the halves of x and y; the permute puts them back in order.
                    _mm256_storeu_si256(out.add(i).cast(), _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(x, y)));
                }
            }
            let low = scale[1];
            for (q, &v) in q[twice..k].iter_mut().zip(&row[twice..]) {
                // The scalar twin of `quantise`: ties to even, as `vcvtps2dq` rounds.
                *q = (((v - low) * inverse).round_ties_even() as i32).clamp(0, 255) as i16;
            }
        }
    }

    /// The smallest (or largest) of a register's eight lanes.
    #[target_feature(enable = "avx2")]
    fn reduce(v: __m256, op: impl Fn(std::arch::x86_64::__m128, std::arch::x86_64::__m128) -> std::arch::x86_64::__m128) -> f32 {
        let x = op(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let x = op(x, _mm_movehl_ps(x, x));
        _mm_cvtss_f32(op(x, _mm_shuffle_ps::<0b01>(x, x)))
    }

    /// `R` rows of quantised activations (rows `stride` values apart) times
    /// one panel (`pairs` pairs of inputs).
    #[target_feature(enable = "avx2")]
    fn tile<const R: usize>(rows: &[i16], stride: usize, panel: &[i16], pairs: usize) -> [[__m256i; 2]; R] {
        assert!(rows.len() >= (R - 1) * stride + pairs * 2 && panel.len() >= pairs * 2 * NR);
        let mut acc = [[_mm256_setzero_si256(); 2]; R];
        let (a, w) = (rows.as_ptr(), panel.as_ptr());
        for h in 0..pairs {
            // SAFETY: (h + 1) * 2 * NR <= panel.len(), asserted above.
            let (w0, w1) = unsafe { (_mm256_loadu_si256(w.add(h * 2 * NR).cast()), _mm256_loadu_si256(w.add(h * 2 * NR + NR).cast())) };
            for (r, acc) in acc.iter_mut().enumerate() {
                // SAFETY: r * stride + 2 * h + 2 <= (R - 1) * stride + pairs * 2 <= rows.len(), asserted above.
                let x = _mm256_set1_epi32(unsafe { a.add(r * stride + 2 * h).cast::<i32>().read_unaligned() });
                acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(x, w0));
                acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(x, w1));
            }
        }
        acc
    }

    /// As [`super::avx512`]'s store, eight outputs to a register: the same
    /// operations in the same order.
    #[target_feature(enable = "avx2,fma")]
    fn store(acc: [__m256i; 2], [step, smallest]: [f32; 2], q: &Quantised, first: usize, dst: &mut [f32]) {
        assert!(q.scales.len() >= first + NR && q.sums.len() >= first + NR && q.bias.len() >= first + NR);
        assert!(q.slopes.len() >= first + NR && dst.len() <= NR);
        let (zero, step, smallest) = (_mm256_setzero_ps(), _mm256_set1_ps(step), _mm256_set1_ps(smallest));
        for (v, acc) in acc.into_iter().enumerate() {
            let len = dst.len().saturating_sub(v * L).min(L);
            if len == 0 {
                break;
            }
            let at = first + v * L;
            // SAFETY: at + 8 <= first + NR <= each slice's length, asserted above.
            let [scale, sum, bias, slope] =
                [&q.scales, &q.sums, &q.bias, &q.slopes].map(|x| unsafe { _mm256_loadu_ps(x.as_ptr().add(at)) });
            let shift = _mm256_fmadd_ps(smallest, sum, bias);
            let mut y = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), _mm256_mul_ps(scale, step), shift);
            if q.epilogue == Epilogue::Rectify {
                y = _mm256_fmadd_ps(slope, _mm256_min_ps(y, zero), _mm256_max_ps(y, zero));
            }
            let mut lanes = [0f32; L];
            // SAFETY: `lanes` holds the eight values stored.
            unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), y) };
            dst[v * L..][..len].copy_from_slice(&lanes[..len]);
        }
    }

    /// [`Quantised::mul`] on rows already quantised and widened.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn mul(q: &Quantised, weights: &[i16], rows: &[i16], row_scales: &[[f32; 2]], m: usize, out: &mut [f32]) {
        let (n, pairs) = (q.n, q.groups * 2);
        let stride = pairs * 2;
        let block = (ROW_BLOCK_BYTES / (2 * stride).max(1)).max(MR) / MR * MR;
        for start in (0..m).step_by(block) {
            let end = (start + block).min(m);
            for (p, panel) in weights.chunks_exact(pairs * 2 * NR).enumerate() {
                let cols = p * NR..(p * NR + NR).min(n);
                let mut r = start;
                while r + MR <= end {
                    let acc = tile::<MR>(&rows[r * stride..], stride, panel, pairs);
                    for (i, acc) in acc.into_iter().enumerate() {
                        store(acc, row_scales[r + i], q, p * NR, &mut out[(r + i) * n..][cols.clone()]);
                    }
                    r += MR;
                }
                for r in r..end {
                    let [acc] = tile::<1>(&rows[r * stride..], stride, panel, pairs);
                    store(acc, row_scales[r], q, p * NR, &mut out[r * n..][cols.clone()]);
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

    /// Every kernel this processor has; without any, checks that the
    /// loader quantises nothing (the float path is all there is).
    pub(crate) fn kernels() -> Vec<Kernel> {
        let kernels = Kernel::available();
        if kernels.is_empty() {
            assert!(crate::models::SFACE.load_int8(true).unwrap().quantised_layers() == 0);
        }
        // Says which path ran (`cargo test -- --nocapture`).
        println!("8-bit kernels run: {:?}", kernels.iter().map(|k| k.name()).collect::<Vec<_>>());
        kernels
    }

    #[test]
    fn products_stay_within_the_rounding_bound_of_the_float_path() {
        for kernel in kernels() {
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
                            assert!(
                                (f - q).abs() <= b,
                                "{} {m}x{k}x{n} prelu {prelu} at ({r}, {o}): float {f}, int8 {q}, bound {b}",
                                kernel.name()
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn operands_on_the_grid_give_the_float_product() {
        for kernel in kernels() {
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
                assert!((f - q).abs() <= 1e-3 * f.abs().max(1.0), "{} at {i}: float {f}, int8 {q}", kernel.name());
            }
        }
    }

    #[test]
    fn a_product_of_the_wrong_size_is_refused() {
        for kernel in kernels() {
            let q = Quantised::new(&[1.0; 6], 2, 3, &[0.0; 3], None, kernel);
            assert!(q.mul(&[1.0; 4], &mut [0.0; 5]).is_err());
            assert!(q.mul(&[1.0; 5], &mut [0.0; 6]).is_err());
        }
    }

    /// The quantised weight of input `i`, output `o`, read back from the kernel's layout.
    fn weight(q: &Quantised, i: usize, o: usize) -> i32 {
        match &q.weights {
            Weights::Quads(w) => i32::from(w[(((o / NR) * q.groups + i / 4) * NR + o % NR) * 4 + i % 4]),
            Weights::Pairs(w) => i32::from(w[(((o / PAIR_NR) * 2 * q.groups + i / 2) * PAIR_NR + o % PAIR_NR) * 2 + i % 2]),
        }
    }

    /// Sizes that leave partial tiles of rows (8 for VNNI, 6 for AVX2), partial panels (32, 16),
    /// inputs not a multiple of four or of two, and more than one row block.
    const SIZES: [(usize, usize, usize); 7] = [(1, 1, 1), (7, 3, 5), (13, 1, 17), (9, 33, 31), (25, 16, 33), (20, 515, 40), (1100, 130, 3)];

    #[test]
    fn the_kernels_sum_the_integer_products_exactly() {
        for kernel in kernels() {
            for (case, (m, k, n)) in SIZES.into_iter().enumerate() {
                // Whole weights with a largest magnitude of 127 in every channel, so the scale is
                // 1 and each is its own quantised value (-128 never occurs: the quantiser holds
                // weights to -127..=127); activations 0..=255 with a step of 1 from 0.
                let mut w: Vec<f32> = random(k * n, case as u64 + 40).iter().map(|x| (x * 127.5).round().clamp(-127.0, 127.0)).collect();
                let mut rows: Vec<u8> =
                    random(m * k, case as u64 + 50).iter().map(|x| ((x + 1.0) * 128.0).clamp(0.0, 255.0) as u8).collect();
                for o in 0..n {
                    w[(o % k) * n + o] = if o % 2 == 0 { 127.0 } else { -127.0 };
                }
                // Edge rows: all 255 against the extremes; all 0; alternating 0 and 255.
                rows[..k].iter_mut().for_each(|v| *v = 255);
                if m > 2 {
                    rows[k..2 * k].iter_mut().for_each(|v| *v = 0);
                    rows[2 * k..3 * k].iter_mut().enumerate().for_each(|(i, v)| *v = if i % 2 == 0 { 0 } else { 255 });
                }
                if k > 1 && n > 1 {
                    // Channel 1 all at the extremes too.
                    (0..k).for_each(|i| w[i * n + 1] = if i % 3 == 0 { -127.0 } else { 127.0 });
                }
                let q = Quantised::new(&w, k, n, &vec![0.0; n], None, kernel);
                let mut out = vec![f32::NAN; m * n];
                q.mul_quantised(&rows, &vec![[1.0, 0.0]; m], &mut out);
                for r in 0..m {
                    for o in 0..n {
                        let want: i32 = (0..k).map(|i| i32::from(rows[r * k + i]) * weight(&q, i, o)).sum();
                        assert_eq!(weight(&q, o % k, o), w[(o % k) * n + o] as i32);
                        // |want| <= 515 * 255 * 127 < 2^24: the float holds it exactly.
                        assert_eq!(out[r * n + o], want as f32, "{} {m}x{k}x{n} at ({r}, {o})", kernel.name());
                    }
                }
            }
        }
    }

    /// The whole product in plain Rust: the same quantisation and the same
    /// rounding of every float step as the kernels (`mul_add` is one rounding,
    /// as a fused multiply-add is).
    fn scalar_twin(q: &Quantised, a: &[f32]) -> Vec<f32> {
        let (k, n) = (q.k, q.n);
        let mut out = Vec::with_capacity(a.len() / k * n);
        for row in a.chunks_exact(k) {
            let (low, high) = row.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
            let range = high - low;
            let (step, inverse) = if range > 0.0 && range.is_finite() { (range / 255.0, 255.0 / range) } else { (0.0, 0.0) };
            let low = if low.is_finite() { low } else { 0.0 };
            let qa: Vec<i32> = row.iter().map(|&v| (((v - low) * inverse).round_ties_even() as i32).clamp(0, 255)).collect();
            for o in 0..n {
                let acc: i32 = qa.iter().enumerate().map(|(i, &x)| x * weight(q, i, o)).sum();
                let shift = low.mul_add(q.sums[o], q.bias[o]);
                let mut y = (acc as f32).mul_add(q.scales[o] * step, shift);
                if q.epilogue == Epilogue::Rectify {
                    y = q.slopes[o].mul_add(y.min(0.0), y.max(0.0));
                }
                out.push(y);
            }
        }
        out
    }

    #[test]
    fn every_kernel_gives_bit_for_bit_the_numbers_of_its_scalar_twin() {
        // So the VNNI and AVX2 kernels give the same numbers as each other, on any input.
        for kernel in kernels() {
            for (case, (m, k, n)) in SIZES.into_iter().enumerate() {
                let mut a: Vec<f32> = random(m * k, case as u64 + 60).iter().map(|x| x * 3.0).collect();
                // A row of zeros, and a row whose smallest and largest sit at its end (past the last whole register).
                a[..k].iter_mut().for_each(|v| *v = 0.0);
                if m > 1 && k > 1 {
                    (a[2 * k - 2], a[2 * k - 1]) = (-7.0, 9.0);
                }
                let (w, bias, slopes) = (random(k * n, case as u64 + 70), random(n, case as u64 + 80), random(n, case as u64 + 90));
                for prelu in [false, true] {
                    let q = Quantised::new(&w, k, n, &bias, prelu.then_some(&slopes[..]), kernel);
                    let mut out = vec![f32::NAN; m * n];
                    q.mul(&a, &mut out).unwrap();
                    let want = scalar_twin(&q, &a);
                    for (i, (got, want)) in out.iter().zip(&want).enumerate() {
                        // `==`, not bits: a PReLU of zero may give either sign of zero.
                        assert!(got == want, "{} {m}x{k}x{n} prelu {prelu} at {i}: kernel {got}, twin {want}", kernel.name());
                    }
                }
            }
        }
    }
}
