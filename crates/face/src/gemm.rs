//! The matrix product behind the dense convolutions: `out = a · W + bias`,
//! then a ReLU or PReLU, with `W` packed once when the model is loaded.
//!
//! A general-purpose product (such as `matrixmultiply`) packs both operands
//! on every call; for these layers that cost a third of the time: the
//! weights are the larger operand (a 1024x1024 layer seen by 49 pixels), and
//! they never change. Here the weights are laid out at load in panels of
//! `NV` SIMD registers of output channels, k-major, and the activations are
//! read in place: each step of the kernel broadcasts one input of `MR`
//! pixels and multiplies it into `MR x NV` accumulators that stay in
//! registers for the whole sum. Bias and activation are applied before the
//! accumulators are stored, so the output is written once.

use pulp::{Simd, WithSimd};

/// Registers of output channels per panel.
const NV: usize = 2;

/// Rows of the activations taken together, so that they stay in the
/// second-level cache while every panel of weights passes over them.
const ROW_BLOCK_BYTES: usize = 192 * 1024;

/// What is applied to each output before it is stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Epilogue {
    /// Nothing.
    Linear,
    /// `max(v, 0) + slope * min(v, 0)`, one slope per output channel (0 for a ReLU).
    Rectify,
}

/// Weights `k x n` (row-major in the model: input-major), packed for
/// [`Packed::mul`], with the bias and activation slopes that go with them.
#[derive(Debug, Clone)]
pub(crate) struct Packed {
    k: usize,
    n: usize,
    /// Output channels per panel: `NV` registers of the SIMD width in use.
    nr: usize,
    /// Panel `p` holds, for each input `i`, the weights of outputs
    /// `p * nr .. (p + 1) * nr` (zero past `n`).
    weights: Vec<f32>,
    /// Bias and slopes, zero-padded to whole panels.
    bias: Vec<f32>,
    slopes: Vec<f32>,
    epilogue: Epilogue,
}

/// The SIMD width, in floats, that [`pulp::Arch`] picks on this processor.
struct Width;

impl WithSimd for Width {
    type Output = usize;

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) -> usize {
        S::F32_LANES
    }
}

impl Packed {
    /// Packs `weights` (`k` rows of `n`); `slopes` is `None` for no
    /// activation, else one slope per output (zeros for a ReLU).
    pub(crate) fn new(weights: &[f32], k: usize, n: usize, bias: &[f32], slopes: Option<&[f32]>) -> Packed {
        let nr = pulp::Arch::new().dispatch(Width) * NV;
        let padded = n.div_ceil(nr) * nr;
        let mut packed = vec![0f32; k * padded];
        for (p, panel) in packed.chunks_exact_mut(k * nr).enumerate() {
            for (i, row) in panel.chunks_exact_mut(nr).enumerate() {
                let cols = p * nr..(p * nr + nr).min(n);
                row[..cols.len()].copy_from_slice(&weights[i * n..][cols]);
            }
        }
        let pad = |v: &[f32]| v.iter().copied().chain(std::iter::repeat(0.0)).take(padded).collect::<Vec<f32>>();
        Packed {
            k,
            n,
            nr,
            weights: packed,
            bias: pad(bias),
            slopes: pad(slopes.unwrap_or(&[])),
            epilogue: if slopes.is_some() { Epilogue::Rectify } else { Epilogue::Linear },
        }
    }

    /// `out` (`m x n`) = `a` (`m x k`, row-major) times the weights, plus
    /// the bias, then the activation.
    #[inline(always)]
    pub(crate) fn mul(&self, a: &[f32], out: &mut [f32]) -> Result<(), String> {
        let m = a.len() / self.k.max(1);
        if a.len() != m * self.k || out.len() != m * self.n {
            return Err(format!("a product of {} inputs and {} outputs for {}x{} weights", a.len(), out.len(), self.k, self.n));
        }
        pulp::Arch::new().dispatch(Mul { w: self, a, m, out })
    }
}

struct Mul<'a> {
    w: &'a Packed,
    a: &'a [f32],
    m: usize,
    out: &'a mut [f32],
}

impl WithSimd for Mul<'_> {
    type Output = Result<(), String>;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Result<(), String> {
        // MR x NV accumulators, the NV weights and a broadcast input must fit
        // in the registers: 16 with AVX2, 32 with AVX-512.
        match S::F32_LANES {
            16 => self.run::<S, 12>(simd),
            8 => self.run::<S, 6>(simd),
            _ => self.run::<S, 4>(simd),
        }
    }
}

impl Mul<'_> {
    #[inline(always)]
    fn run<S: Simd, const MR: usize>(self, simd: S) -> Result<(), String> {
        let Mul { w, a, m, out } = self;
        let (k, n, nr) = (w.k, w.n, w.nr);
        if S::F32_LANES * NV != nr {
            // Both come from pulp's choice on this processor, so this does not happen.
            return Err(format!("weights packed for {nr} outputs per panel, run with {} lanes", S::F32_LANES));
        }
        let block = (ROW_BLOCK_BYTES / (k * 4).max(1)).max(1).div_ceil(MR) * MR;
        let mut spare_a = Vec::new();
        let mut spare_out = vec![0f32; MR * nr];
        for start in (0..m).step_by(block) {
            let rows = start..(start + block).min(m);
            for (p, panel) in w.weights.chunks_exact(k * nr).enumerate() {
                let (panel, _) = S::as_simd_f32s(panel);
                let cols = p * nr..(p * nr + nr).min(n);
                let (bias, _) = S::as_simd_f32s(&w.bias[p * nr..][..nr]);
                let (slopes, _) = S::as_simd_f32s(&w.slopes[p * nr..][..nr]);
                let epilogue = Tile { panel, bias, slopes, epilogue: w.epilogue };
                let mut r = rows.start;
                while r < rows.end {
                    let whole = r + MR <= rows.end;
                    let tile = if whole {
                        epilogue.compute::<S, MR>(simd, &a[r * k..][..MR * k], k)
                    } else {
                        // The last few rows, padded with zeros to a whole tile.
                        let left = rows.end - r;
                        spare_a.clear();
                        spare_a.extend_from_slice(&a[r * k..][..left * k]);
                        spare_a.resize(MR * k, 0.0);
                        epilogue.compute::<S, MR>(simd, &spare_a, k)
                    };
                    let count = MR.min(rows.end - r);
                    for (i, acc) in tile.iter().enumerate().take(count) {
                        let dst = &mut out[(r + i) * n..][cols.clone()];
                        if dst.len() == nr {
                            S::as_mut_simd_f32s(dst).0.copy_from_slice(acc);
                        } else {
                            S::as_mut_simd_f32s(&mut spare_out[..nr]).0.copy_from_slice(acc);
                            dst.copy_from_slice(&spare_out[..dst.len()]);
                        }
                    }
                    r += count;
                }
            }
        }
        Ok(())
    }
}

/// One panel's weights, bias and slopes, as registers.
struct Tile<'a, V> {
    panel: &'a [V],
    bias: &'a [V],
    slopes: &'a [V],
    epilogue: Epilogue,
}

impl<V: Copy> Tile<'_, V> {
    /// The `MR` rows of `a` (each `k` long) times the panel, with bias and activation.
    #[inline(always)]
    fn compute<S: Simd<f32s = V>, const MR: usize>(&self, simd: S, a: &[f32], k: usize) -> [[V; NV]; MR] {
        let bias: [V; NV] = std::array::from_fn(|v| self.bias[v]);
        let mut acc = [bias; MR];
        let rows: [&[f32]; MR] = std::array::from_fn(|r| &a[r * k..][..k]);
        for (i, b) in self.panel.chunks_exact(NV).enumerate().take(k) {
            let b: [V; NV] = std::array::from_fn(|v| b[v]);
            for (acc, row) in acc.iter_mut().zip(&rows) {
                let x = simd.splat_f32s(row[i]);
                for (acc, b) in acc.iter_mut().zip(&b) {
                    *acc = simd.mul_add_f32s(x, *b, *acc);
                }
            }
        }
        if self.epilogue == Epilogue::Rectify {
            let zero = simd.splat_f32s(0.0);
            for row in &mut acc {
                for (v, s) in row.iter_mut().zip(self.slopes) {
                    *v = simd.mul_add_f32s(*s, simd.min_f32s(*v, zero), simd.max_f32s(*v, zero));
                }
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(n: usize, step: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * step) % 29) as f32 / 9.0 - 1.5).collect()
    }

    /// Sizes that leave partial tiles, partial panels and several row blocks.
    #[test]
    fn products_match_the_definition() {
        for (m, k, n) in [(1, 1, 1), (7, 3, 5), (13, 16, 32), (49, 64, 40), (2000, 40, 17), (5, 1030, 70)] {
            let (a, w) = (ramp(m * k, 7), ramp(k * n, 11));
            let bias = ramp(n, 5);
            let slopes = ramp(n, 3);
            for prelu in [false, true] {
                let packed = Packed::new(&w, k, n, &bias, prelu.then_some(&slopes[..]));
                let mut out = vec![f32::NAN; m * n];
                packed.mul(&a, &mut out).unwrap();
                for r in 0..m {
                    for c in 0..n {
                        let mut want = bias[c] + (0..k).map(|i| a[r * k + i] * w[i * n + c]).sum::<f32>();
                        if prelu {
                            want = want.max(0.0) + slopes[c] * want.min(0.0);
                        }
                        let got = out[r * n + c];
                        assert!(
                            (got - want).abs() <= 1e-3 * want.abs().max(1.0),
                            "{m}x{k}x{n} prelu {prelu} at ({r}, {c}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_product_of_the_wrong_size_is_refused() {
        let packed = Packed::new(&[1.0; 6], 2, 3, &[0.0; 3], None);
        assert!(packed.mul(&[1.0; 4], &mut [0.0; 5]).is_err());
        assert!(packed.mul(&[1.0; 5], &mut [0.0; 6]).is_err());
    }
}
