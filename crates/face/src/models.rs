//! The two bundled ONNX models, their checksums, and the load-time rewrite
//! that makes them runnable.
//!
//! Both files ship ONNX *block* int8 quantization (`DequantizeLinear` with a
//! `block_size` attribute). All those nodes only dequantize constant
//! weights, so we evaluate them once at load and replace each by a float32
//! initializer holding its result. The network then runs in float32, which
//! is also what OpenCV does with these files.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use crate::nn::Network;
use crate::onnx::{self, GraphProto, ModelProto, TensorProto};
use crate::FaceError;

/// One bundled model: its bytes, name and expected digest.
pub(crate) struct BundledModel {
    pub name: &'static str,
    pub bytes: &'static [u8],
    pub sha256: &'static str,
}

/// YuNet face detector (OpenCV Zoo, 2023mar, int8 block-quantized).
pub(crate) const YUNET: BundledModel = BundledModel {
    name: "face_detection_yunet_2023mar_int8bq.onnx",
    bytes: include_bytes!("../models/face_detection_yunet_2023mar_int8bq.onnx"),
    sha256: "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
};

/// SFace face embedder (OpenCV Zoo, 2021dec, int8 block-quantized).
pub(crate) const SFACE: BundledModel = BundledModel {
    name: "face_recognition_sface_2021dec_int8bq.onnx",
    bytes: include_bytes!("../models/face_recognition_sface_2021dec_int8bq.onnx"),
    sha256: "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
};

/// MiniFASNet V2 passive liveness network (Minivision, Apache-2.0), trained
/// on the face box scaled by 2.7.
pub(crate) const MINIFASNET_V2: BundledModel = BundledModel {
    name: "MiniFASNetV2.onnx",
    bytes: include_bytes!("../models/MiniFASNetV2.onnx"),
    sha256: "4eed38f0bde33c9b805942a5f25e42ce1161e2bda545254be622be957727794e",
};

/// MiniFASNet V1SE passive liveness network (Minivision, Apache-2.0), trained
/// on the face box scaled by 4.0.
pub(crate) const MINIFASNET_V1SE: BundledModel = BundledModel {
    name: "MiniFASNetV1SE.onnx",
    bytes: include_bytes!("../models/MiniFASNetV1SE.onnx"),
    sha256: "d819a69bac6b9ade2a0f4d9b60b618e1260f7bf3ba1fddff6c5d82131cb1083f",
};

impl BundledModel {
    /// Checks the digest, rewrites blocked quantization and compiles the
    /// network (see [`crate::nn`]).
    pub(crate) fn load(&self) -> Result<Network, FaceError> {
        let (proto, row_blocked) = self.fold(true)?;
        let graph = proto.graph.ok_or_else(|| self.load_error("no graph".into()))?;
        Network::compile(graph, &row_blocked).map_err(|e| self.load_error(e))
    }

    /// [`BundledModel::load`], with the matrix products in 8 bits when
    /// `int8` is asked for and this processor has the instructions
    /// ([`crate::int8`]); in floats otherwise.
    pub(crate) fn load_int8(&self, int8: bool) -> Result<Network, FaceError> {
        let mut network = self.load()?;
        if let Some(kernel) = crate::int8::Kernel::detect().filter(|_| int8) {
            network.quantise(kernel);
        }
        Ok(network)
    }

    /// The model after checking its digest and folding its blocked
    /// quantization (what [`BundledModel::load`] compiles), with the int8
    /// form of its row-blocked matrices.
    #[cfg(test)]
    pub(crate) fn folded(&self) -> Result<(ModelProto, HashMap<String, RowBlocks>), FaceError> {
        self.fold(false)
    }

    /// With `lean`, a matrix kept in its int8 row blocks gets no float32
    /// copy (an initializer with its shape and no data): the network runs it
    /// from the blocks, and writing then re-reading the 6.4 million floats
    /// of SFace's embedding layer was most of the load time.
    fn fold(&self, lean: bool) -> Result<(ModelProto, HashMap<String, RowBlocks>), FaceError> {
        self.verify()?;
        let mut proto = onnx::decode(self.bytes).map_err(|e| self.load_error(e))?;
        let graph = proto.graph.as_mut().ok_or_else(|| self.load_error("no graph".into()))?;
        let row_blocked = fold_blocked_dequantize(graph, lean).map_err(|e| self.load_error(e))?;
        Ok((proto, row_blocked))
    }

    fn load_error(&self, reason: String) -> FaceError {
        FaceError::ModelLoad { name: self.name, reason }
    }

    fn verify(&self) -> Result<(), FaceError> {
        let actual = hex::encode(Sha256::digest(self.bytes));
        if actual == self.sha256 {
            Ok(())
        } else {
            Err(FaceError::ModelChecksum { name: self.name, expected: self.sha256, actual })
        }
    }
}

/// Replaces every `DequantizeLinear` with a `block_size` whose inputs are all
/// initializers by a float32 initializer of the same name as its output, then
/// drops initializers and graph inputs that nothing reads any more.
///
/// Returns the int8 form of each folded matrix quantized in blocks along its
/// rows, by the folded name, for [`Network::compile`] to run as is; with
/// `lean`, those matrices' float32 initializers carry their shape only.
pub(crate) fn fold_blocked_dequantize(graph: &mut GraphProto, lean: bool) -> Result<HashMap<String, RowBlocks>, String> {
    let index: HashMap<String, usize> = graph.initializer.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
    let mut folded = Vec::new();
    let mut row_blocked = HashMap::new();
    let mut keep_nodes = Vec::with_capacity(graph.node.len());
    // Only a Gemm runs a matrix from its row blocks; anything else reading it needs the floats.
    let read_by_other: HashSet<String> = graph.node.iter().filter(|n| n.op_type != "Gemm").flat_map(|n| n.input.iter().cloned()).collect();
    for node in std::mem::take(&mut graph.node) {
        let block_size = node.attr_int("block_size", 0);
        let all_const = node.input.iter().all(|i| i.is_empty() || index.contains_key(i));
        if node.op_type != "DequantizeLinear" || block_size <= 0 || !all_const {
            keep_nodes.push(node);
            continue;
        }
        let get = |k: usize| node.input.get(k).filter(|n| !n.is_empty()).and_then(|n| index.get(n)).map(|&i| &graph.initializer[i]);
        let x = get(0).ok_or("DequantizeLinear without input")?;
        let scale = get(1).ok_or("DequantizeLinear without scale")?;
        let axis = node.attr_int("axis", 1);
        let out_name = node.output.first().ok_or("DequantizeLinear without output")?.clone();
        let blocks = RowBlocks::new(x, scale, get(2), axis, block_size as usize);
        let float_data = if lean && blocks.is_some() && !read_by_other.contains(&out_name) {
            Vec::new()
        } else {
            dequantize_blocked(x, scale, get(2), axis, block_size as usize).map_err(|e| format!("{}: {e}", node.name))?
        };
        if let Some(blocks) = blocks {
            row_blocked.insert(out_name.clone(), blocks);
        }
        folded.push(TensorProto { name: out_name, dims: x.dims.clone(), data_type: onnx::FLOAT, float_data, ..Default::default() });
    }
    graph.node = keep_nodes;
    graph.initializer.extend(folded);

    // Old-style graphs (IR < 4) also list weights as graph inputs; the folded
    // weights' former names are now dangling inputs that a runtime would treat as
    // model inputs, so keep only what some node or output still reads.
    let used: HashSet<&str> =
        graph.node.iter().flat_map(|n| n.input.iter().map(String::as_str)).chain(graph.output.iter().map(|o| o.name.as_str())).collect();
    let used: HashSet<String> = used.into_iter().map(str::to_owned).collect();
    graph.initializer.retain(|t| used.contains(&t.name));
    graph.input.retain(|i| used.contains(&i.name));
    Ok(row_blocked)
}

/// An int8 matrix whose rows are quantized in blocks of `block` columns,
/// each block with its own scale and zero point: `w[r][c] = (q[r][c] -
/// zero[r][c / block]) * scale[r][c / block]`.
#[derive(Debug, Clone)]
pub(crate) struct RowBlocks {
    pub rows: usize,
    pub cols: usize,
    pub block: usize,
    pub q: Vec<i8>,
    pub scales: Vec<f32>,
    pub zero_points: Vec<f32>,
}

impl RowBlocks {
    /// `Some` for a 2-D int8 tensor blocked along axis 1 into whole blocks.
    fn new(x: &TensorProto, scale: &TensorProto, zero: Option<&TensorProto>, axis: i64, block: usize) -> Option<RowBlocks> {
        let [rows, cols] = x.shape()[..] else { return None };
        if axis != 1 || x.data_type != onnx::INT8 || block == 0 || !cols.is_multiple_of(block) {
            return None;
        }
        let q: Vec<i8> = if x.raw_data.is_empty() {
            x.integers().ok()?.into_iter().map(|v| i8::try_from(v).ok()).collect::<Option<_>>()?
        } else {
            x.raw_data.iter().map(|&b| b as i8).collect()
        };
        let scales = scale.floats().ok()?;
        let zero_points = match zero {
            Some(z) => z.integers().ok()?.into_iter().map(|v| v as f32).collect(),
            None => vec![0.0; scales.len()],
        };
        let n = rows * (cols / block);
        (q.len() == rows * cols && scales.len() == n && zero_points.len() == n).then_some(RowBlocks {
            rows,
            cols,
            block,
            q,
            scales,
            zero_points,
        })
    }
}

/// `y = (x - zero_point) * scale`, where along `axis` each run of
/// `block_size` elements shares one scale and zero point, and every other
/// axis indexes scale and zero point one to one (ONNX opset 21 semantics).
fn dequantize_blocked(
    x: &TensorProto,
    scale: &TensorProto,
    zero_point: Option<&TensorProto>,
    axis: i64,
    block_size: usize,
) -> Result<Vec<f32>, String> {
    let dims = x.shape();
    let rank = dims.len() as i64;
    let axis = if axis < 0 { axis + rank } else { axis };
    if !(0..rank).contains(&axis) {
        return Err(format!("axis {axis} out of range for rank {rank}"));
    }
    let axis = axis as usize;
    let outer: usize = dims[..axis].iter().product();
    let len = dims[axis];
    let inner: usize = dims[axis + 1..].iter().product();
    let blocks = len.div_ceil(block_size);

    let s = scale.floats()?;
    let z = match zero_point {
        Some(t) => t.integers()?,
        None => vec![0; s.len()],
    };
    if s.len() != outer * blocks * inner || z.len() != s.len() {
        return Err(format!("scale has {} values and zero point {}, expected {}", s.len(), z.len(), outer * blocks * inner));
    }
    // int8 weights are read from their bytes (widened to i64 first they would take eight times the memory).
    let widened;
    let mut q: Box<dyn ExactSizeIterator<Item = i64> + '_> = if x.data_type == onnx::INT8 && !x.raw_data.is_empty() {
        Box::new(x.raw_data.iter().map(|&b| i64::from(b as i8)))
    } else {
        widened = x.integers()?;
        Box::new(widened.iter().copied())
    };
    if q.len() != outer * len * inner {
        return Err(format!("{} values for shape {dims:?}", q.len()));
    }
    let mut out = Vec::with_capacity(outer * len * inner);
    for o in 0..outer {
        for a in 0..len {
            let srow = (o * blocks + a / block_size) * inner;
            for ((v, zp), sc) in q.by_ref().take(inner).zip(&z[srow..][..inner]).zip(&s[srow..][..inner]) {
                out.push((v - zp) as f32 * sc);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(name: &str, dims: &[i64], data_type: i32, raw: Vec<u8>) -> TensorProto {
        TensorProto { name: name.into(), dims: dims.to_vec(), data_type, raw_data: raw, ..Default::default() }
    }

    #[test]
    fn blocks_run_along_the_axis() {
        // x is 2x4, blocks of 2 along axis 1: scales are 2x2.
        let x = tensor("x", &[2, 4], onnx::INT8, [1i8, 2, 3, 4, -1, -2, -3, -4].map(|v| v as u8).to_vec());
        let s = tensor("s", &[2, 2], onnx::FLOAT, [1.0f32, 10.0, 0.5, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect());
        let z = tensor("z", &[2, 2], onnx::INT8, vec![0, 1, 0, 0]);
        let y = dequantize_blocked(&x, &s, Some(&z), 1, 2).unwrap();
        assert_eq!(y, vec![1.0, 2.0, 20.0, 30.0, -0.5, -1.0, -6.0, -8.0]);
    }

    #[test]
    fn last_block_may_be_short() {
        let x = tensor("x", &[3], onnx::INT8, vec![2, 4, 6]);
        let s = tensor("s", &[2], onnx::FLOAT, [1.0f32, 0.5].iter().flat_map(|v| v.to_le_bytes()).collect());
        let y = dequantize_blocked(&x, &s, None, 0, 2).unwrap();
        assert_eq!(y, vec![2.0, 4.0, 3.0]);
    }

    #[test]
    fn a_model_with_the_wrong_digest_is_refused() {
        let tampered = BundledModel { name: "tampered.onnx", bytes: b"not the model", sha256: YUNET.sha256 };
        match tampered.load() {
            Err(FaceError::ModelChecksum { name, actual, .. }) => {
                assert_eq!(name, "tampered.onnx");
                assert_ne!(actual, YUNET.sha256);
            }
            other => panic!("expected a checksum error, got {other:?}"),
        }
    }

    #[test]
    fn every_blocked_dequantize_is_folded() {
        for (model, expected) in [(&YUNET, 64), (&SFACE, 29)] {
            let mut proto = onnx::decode(model.bytes).unwrap();
            let graph = proto.graph.as_mut().unwrap();
            let before = graph.node.len();
            let row_blocked = fold_blocked_dequantize(graph, false).unwrap();
            assert_eq!(before - graph.node.len(), expected, "{}", model.name);
            assert!(graph.node.iter().all(|n| n.op_type != "DequantizeLinear"));
            assert!(graph.initializer.iter().all(|t| t.data_type == onnx::FLOAT || !t.name.ends_with("_quantized")));
            // Only the image input is left for the caller to feed.
            let inits: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
            let fed: Vec<&str> = graph.input.iter().map(|i| i.name.as_str()).filter(|n| !inits.contains(n)).collect();
            assert_eq!(fed.len(), 1, "{}: {fed:?}", model.name);
            // The int8 form of each row-blocked matrix is the folded float matrix.
            for (name, m) in &row_blocked {
                let floats = graph.initializer.iter().find(|t| t.name == *name).unwrap().floats().unwrap();
                assert_eq!(floats.len(), m.rows * m.cols);
                let blocks = m.cols / m.block;
                for (i, f) in floats.iter().enumerate().step_by(997) {
                    let b = (i / m.cols) * blocks + (i % m.cols) / m.block;
                    assert_eq!(*f, (f32::from(m.q[i]) - m.zero_points[b]) * m.scales[b], "{name}[{i}]");
                }
            }
        }
        let (sface, _) = SFACE.folded().unwrap();
        let gemm = sface.graph.unwrap().node.into_iter().find(|n| n.op_type == "Gemm").unwrap();
        let (_, row_blocked) = SFACE.folded().unwrap();
        assert!(row_blocked.contains_key(&gemm.input[1]), "the embedding layer's weights keep their int8 form");
    }
}
