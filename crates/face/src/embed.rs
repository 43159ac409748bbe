//! Face embeddings (SFace, 128 numbers) and how they are compared.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::align::CROP_SIZE;
use crate::models::SFACE;
use crate::nn::{Network, Value};
use crate::FaceError;

/// Length of an SFace embedding.
pub const EMBEDDING_LEN: usize = 128;

/// Tuned on `faces/dev/pairs.csv` (8 people x 5 photos: 80 genuine and 700
/// impostor pairs; `cargo run --release --example bench`). There the
/// impostor scores topped out at 0.335 and the genuine ones started at 0.437,
/// so every threshold in between gives 0 false accepts and 0 false rejects;
/// the lowest threshold keeping false accepts at or under 1% (7 of 700) was
/// 0.310. We ship 0.363, the cut-off OpenCV publishes for SFace, measured on
/// LFW's far larger impostor set: it lies inside the clean gap here and
/// errs on the side of refusing impostors. A set of 700 pairs from 8 people
/// cannot justify going lower.
pub const MATCH_THRESHOLD: f32 = 0.363;

/// An L2-normalised SFace embedding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f32>", into = "Vec<f32>")]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// Builds an embedding from 128 numbers, normalising them; `None` when
    /// the length is wrong or the vector is zero or not finite.
    pub fn from_vec(values: Vec<f32>) -> Option<Embedding> {
        if values.len() != EMBEDDING_LEN || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm <= f32::EPSILON {
            return None;
        }
        Some(Embedding(values.into_iter().map(|v| v / norm).collect()))
    }

    /// The 128 normalised values.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// 512 bytes (little-endian f32), for storing in a database column.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// Reads what [`Embedding::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Option<Embedding> {
        if bytes.len() != EMBEDDING_LEN * 4 {
            return None;
        }
        let values = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        Embedding::from_vec(values)
    }
}

impl TryFrom<Vec<f32>> for Embedding {
    type Error = String;
    fn try_from(values: Vec<f32>) -> Result<Self, Self::Error> {
        Embedding::from_vec(values).ok_or_else(|| format!("an embedding is {EMBEDDING_LEN} finite, non-zero numbers"))
    }
}

impl From<Embedding> for Vec<f32> {
    fn from(e: Embedding) -> Vec<f32> {
        e.0
    }
}

/// Cosine similarity of two embeddings, -1 to 1 (higher is more alike).
pub fn compare(a: &Embedding, b: &Embedding) -> f32 {
    a.0.iter().zip(&b.0).map(|(x, y)| x * y).sum::<f32>().clamp(-1.0, 1.0)
}

/// SFace, loaded and compiled.
pub(crate) struct Embedder {
    network: Network,
}

impl Embedder {
    /// Loads SFace; `int8` as in [`crate::EngineOptions::int8`].
    pub(crate) fn load(int8: bool) -> Result<Embedder, FaceError> {
        Ok(Embedder { network: SFACE.load_int8(int8)? })
    }

    /// How many of its layers run in 8 bits.
    pub(crate) fn quantised_layers(&self) -> usize {
        self.network.quantised_layers()
    }

    /// Multiply-adds in one embedding.
    pub(crate) fn multiply_adds(&self) -> Result<u64, FaceError> {
        let n = CROP_SIZE as usize;
        let input = Value::image(n, n, 3, vec![128.0; n * n * 3]).map_err(FaceError::Inference)?;
        self.network.multiply_adds(input).map_err(FaceError::Inference)
    }

    /// Embeds an aligned 112x112 RGB crop.
    pub(crate) fn embed(&self, crop: &RgbImage) -> Result<Embedding, FaceError> {
        let out = self.network.run(Self::input(crop)?).map_err(FaceError::Inference)?;
        Self::embedding(out)
    }

    /// Embeds several crops in one batch: each embedding is exactly what
    /// [`Embedder::embed`] gives it, and the embedding layer's weights are
    /// read once for all of them ([`Network::run_batch`]).
    pub(crate) fn embed_batch(&self, crops: &[&RgbImage]) -> Result<Vec<Embedding>, FaceError> {
        let inputs = crops.iter().map(|c| Self::input(c)).collect::<Result<Vec<_>, _>>()?;
        let outs = self.network.run_batch(inputs).map_err(FaceError::Inference)?;
        outs.into_iter().map(Self::embedding).collect()
    }

    /// The network's input for a crop.
    fn input(crop: &RgbImage) -> Result<Value, FaceError> {
        let n = CROP_SIZE as usize;
        if crop.dimensions() != (CROP_SIZE, CROP_SIZE) {
            return Err(FaceError::Inference(format!("crop must be {n}x{n}")));
        }
        // SFace reads RGB, 0-255 (the graph normalises); channels-last is the crop's own layout.
        let data = crop.as_raw().iter().map(|&v| f32::from(v)).collect();
        Value::image(n, n, 3, data).map_err(FaceError::Inference)
    }

    /// The embedding among the network's outputs.
    fn embedding(out: Vec<Value>) -> Result<Embedding, FaceError> {
        let values = out.into_iter().next().ok_or_else(|| FaceError::Inference("embedder returned nothing".into()))?.data;
        Embedding::from_vec(values).ok_or_else(|| FaceError::Inference("embedder returned a degenerate vector".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_normalise_and_round_trip() {
        let e = Embedding::from_vec((0..128).map(|i| i as f32 - 60.0).collect()).unwrap();
        assert!((compare(&e, &e) - 1.0).abs() < 1e-5);
        let read = Embedding::from_bytes(&e.to_bytes()).unwrap();
        assert!((compare(&e, &read) - 1.0).abs() < 1e-6);
        assert!(Embedding::from_bytes(&[0; 12]).is_none());
        assert!(Embedding::from_vec(vec![0.0; 128]).is_none());
        assert!(Embedding::from_vec(vec![1.0; 3]).is_none());
        let json = serde_json::to_string(&e).unwrap();
        let back: Embedding = serde_json::from_str(&json).unwrap();
        assert!((compare(&e, &back) - 1.0).abs() < 1e-5);
    }
}
