//! The two bundled ONNX models, their checksums, and the load-time rewrite
//! that makes them runnable in tract.
//!
//! Both files ship ONNX *block* int8 quantization (`DequantizeLinear` with a
//! `block_size` attribute), which tract 0.23 refuses. All those nodes only
//! dequantize constant weights, so we evaluate them once at load and replace
//! each by a float32 initializer holding its result. The network then runs in
//! float32, which is also what OpenCV does with these files.

use std::collections::{HashMap, HashSet};

use prost::Message;
use sha2::{Digest, Sha256};
use tract_onnx::pb;
use tract_onnx::prelude::*;

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

/// A model ready to run: optimised for one fixed input shape.
pub(crate) type Plan = Arc<TypedSimplePlan>;

// ONNX TensorProto.DataType values we handle.
const ONNX_FLOAT: i32 = 1;
const ONNX_UINT8: i32 = 2;
const ONNX_INT8: i32 = 3;

impl BundledModel {
    /// Checks the digest, rewrites blocked quantization and returns a plan for
    /// a float32 input of `input_shape`. Also returns the graph's output names
    /// in the plan's output order, so callers can find outputs by name.
    pub(crate) fn load(&self, input_shape: &[usize]) -> Result<(Plan, Vec<String>), FaceError> {
        self.verify()?;
        let load_err = |reason: String| FaceError::ModelLoad { name: self.name, reason };
        let mut proto = pb::ModelProto::decode(self.bytes).map_err(|e| load_err(format!("protobuf: {e}")))?;
        let graph = proto.graph.as_mut().ok_or_else(|| load_err("no graph".into()))?;
        fold_blocked_dequantize(graph).map_err(load_err)?;
        let outputs = graph.output.iter().map(|o| o.name.clone()).collect();
        // The files record intermediate shapes for one input size; ignoring
        // them lets the fully convolutional detector run at other sizes.
        let plan = tract_onnx::onnx()
            .with_ignore_value_info(true)
            .model_for_proto_model(&proto)
            .and_then(|m| m.with_input_fact(0, f32::fact(input_shape).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| load_err(format!("{e:#}")))?;
        Ok((plan, outputs))
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
/// Returns how many nodes were folded.
pub(crate) fn fold_blocked_dequantize(graph: &mut pb::GraphProto) -> Result<usize, String> {
    let index: HashMap<String, usize> = graph.initializer.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
    let mut folded = Vec::new();
    let mut keep_nodes = Vec::with_capacity(graph.node.len());
    for node in std::mem::take(&mut graph.node) {
        let block_size = attr_int(&node, "block_size").unwrap_or(0);
        let all_const = node.input.iter().all(|i| i.is_empty() || index.contains_key(i));
        if node.op_type != "DequantizeLinear" || block_size <= 0 || !all_const {
            keep_nodes.push(node);
            continue;
        }
        let get = |k: usize| node.input.get(k).filter(|n| !n.is_empty()).and_then(|n| index.get(n)).map(|&i| &graph.initializer[i]);
        let x = get(0).ok_or("DequantizeLinear without input")?;
        let scale = get(1).ok_or("DequantizeLinear without scale")?;
        let axis = attr_int(&node, "axis").unwrap_or(1);
        let values = dequantize_blocked(x, scale, get(2), axis, block_size as usize).map_err(|e| format!("{}: {e}", node.name))?;
        let out_name = node.output.first().ok_or("DequantizeLinear without output")?.clone();
        folded.push(pb::TensorProto {
            name: out_name,
            dims: x.dims.clone(),
            data_type: ONNX_FLOAT,
            raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ..Default::default()
        });
    }
    let count = folded.len();
    graph.node = keep_nodes;
    graph.initializer.extend(folded);

    // Old-style graphs (IR < 4) also list weights as graph inputs; the folded
    // weights' former names are now dangling inputs that tract would treat as
    // model inputs, so keep only what some node or output still reads.
    let used: HashSet<&str> =
        graph.node.iter().flat_map(|n| n.input.iter().map(String::as_str)).chain(graph.output.iter().map(|o| o.name.as_str())).collect();
    let used: HashSet<String> = used.into_iter().map(str::to_owned).collect();
    graph.initializer.retain(|t| used.contains(&t.name));
    graph.input.retain(|i| used.contains(&i.name));
    Ok(count)
}

fn attr_int(node: &pb::NodeProto, name: &str) -> Option<i64> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.i)
}

/// `y = (x - zero_point) * scale`, where along `axis` each run of
/// `block_size` elements shares one scale and zero point, and every other
/// axis indexes scale and zero point one to one (ONNX opset 21 semantics).
fn dequantize_blocked(
    x: &pb::TensorProto,
    scale: &pb::TensorProto,
    zero_point: Option<&pb::TensorProto>,
    axis: i64,
    block_size: usize,
) -> Result<Vec<f32>, String> {
    let dims: Vec<usize> = x.dims.iter().map(|&d| d.max(0) as usize).collect();
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

    let q = integer_values(x)?;
    let s = float_values(scale)?;
    let z = match zero_point {
        Some(t) => integer_values(t)?,
        None => vec![0; s.len()],
    };
    if q.len() != outer * len * inner {
        return Err(format!("{} values for shape {dims:?}", q.len()));
    }
    if s.len() != outer * blocks * inner || z.len() != s.len() {
        return Err(format!("scale has {} values and zero point {}, expected {}", s.len(), z.len(), outer * blocks * inner));
    }
    let mut out = Vec::with_capacity(q.len());
    for o in 0..outer {
        for a in 0..len {
            let srow = (o * blocks + a / block_size) * inner;
            let qrow = (o * len + a) * inner;
            for k in 0..inner {
                let zp = z[srow + k];
                out.push((q[qrow + k] - zp) as f32 * s[srow + k]);
            }
        }
    }
    Ok(out)
}

fn integer_values(t: &pb::TensorProto) -> Result<Vec<i32>, String> {
    let from_raw = !t.raw_data.is_empty();
    match t.data_type {
        ONNX_INT8 if from_raw => Ok(t.raw_data.iter().map(|&b| b as i8 as i32).collect()),
        ONNX_UINT8 if from_raw => Ok(t.raw_data.iter().map(|&b| b as i32).collect()),
        ONNX_INT8 | ONNX_UINT8 => Ok(t.int32_data.clone()),
        other => Err(format!("tensor {} has unsupported quantized type {other}", t.name)),
    }
}

fn float_values(t: &pb::TensorProto) -> Result<Vec<f32>, String> {
    if t.data_type != ONNX_FLOAT {
        return Err(format!("scale {} has unsupported type {}", t.name, t.data_type));
    }
    if t.raw_data.is_empty() {
        return Ok(t.float_data.clone());
    }
    Ok(t.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(name: &str, dims: &[i64], data_type: i32, raw: Vec<u8>) -> pb::TensorProto {
        pb::TensorProto { name: name.into(), dims: dims.to_vec(), data_type, raw_data: raw, ..Default::default() }
    }

    #[test]
    fn blocks_run_along_the_axis() {
        // x is 2x4, blocks of 2 along axis 1: scales are 2x2.
        let x = tensor("x", &[2, 4], ONNX_INT8, [1i8, 2, 3, 4, -1, -2, -3, -4].map(|v| v as u8).to_vec());
        let s = tensor("s", &[2, 2], ONNX_FLOAT, [1.0f32, 10.0, 0.5, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect());
        let z = tensor("z", &[2, 2], ONNX_INT8, vec![0, 1, 0, 0]);
        let y = dequantize_blocked(&x, &s, Some(&z), 1, 2).unwrap();
        assert_eq!(y, vec![1.0, 2.0, 20.0, 30.0, -0.5, -1.0, -6.0, -8.0]);
    }

    #[test]
    fn last_block_may_be_short() {
        let x = tensor("x", &[3], ONNX_INT8, vec![2, 4, 6]);
        let s = tensor("s", &[2], ONNX_FLOAT, [1.0f32, 0.5].iter().flat_map(|v| v.to_le_bytes()).collect());
        let y = dequantize_blocked(&x, &s, None, 0, 2).unwrap();
        assert_eq!(y, vec![2.0, 4.0, 3.0]);
    }

    #[test]
    fn a_model_with_the_wrong_digest_is_refused() {
        let tampered = BundledModel { name: "tampered.onnx", bytes: b"not the model", sha256: YUNET.sha256 };
        match tampered.load(&[1, 3, 32, 32]) {
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
            let mut proto = pb::ModelProto::decode(model.bytes).unwrap();
            let graph = proto.graph.as_mut().unwrap();
            assert_eq!(fold_blocked_dequantize(graph).unwrap(), expected, "{}", model.name);
            assert!(graph.node.iter().all(|n| n.op_type != "DequantizeLinear"));
            assert!(graph.initializer.iter().all(|t| t.data_type == ONNX_FLOAT || !t.name.ends_with("_quantized")));
            // Only the image input is left for the caller to feed.
            let inits: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
            let fed: Vec<&str> = graph.input.iter().map(|i| i.name.as_str()).filter(|n| !inits.contains(n)).collect();
            assert_eq!(fed.len(), 1, "{}: {fed:?}", model.name);
        }
    }
}
