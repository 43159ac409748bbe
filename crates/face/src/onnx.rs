//! The part of the ONNX file format (a protobuf) that the face engine reads:
//! the graph's nodes, their attributes and the weight tensors.
//!
//! Field numbers follow `onnx.proto` (onnx/onnx, IR version 10). Fields not
//! declared here are skipped when decoding. `ValueInfoProto.type` is kept as
//! raw bytes so that a decoded model encodes back to an equivalent file.

use prost::Message;

/// `ModelProto`: the whole file.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct ModelProto {
    #[prost(int64, tag = "1")]
    pub ir_version: i64,
    #[prost(string, tag = "2")]
    pub producer_name: String,
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
}

/// `OperatorSetIdProto`: which version of an operator set the graph uses.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct OperatorSetIdProto {
    #[prost(string, tag = "1")]
    pub domain: String,
    #[prost(int64, tag = "2")]
    pub version: i64,
}

/// `GraphProto`: nodes in topological order, weights, inputs and outputs.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct GraphProto {
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
}

/// `NodeProto`: one operator call.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct NodeProto {
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    #[prost(string, tag = "3")]
    pub name: String,
    #[prost(string, tag = "4")]
    pub op_type: String,
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
    #[prost(string, tag = "7")]
    pub domain: String,
}

/// `AttributeProto`: a named operator setting.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct AttributeProto {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(float, tag = "2")]
    pub f: f32,
    #[prost(int64, tag = "3")]
    pub i: i64,
    #[prost(bytes = "vec", tag = "4")]
    pub s: Vec<u8>,
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
    #[prost(float, repeated, tag = "7")]
    pub floats: Vec<f32>,
    #[prost(int64, repeated, tag = "8")]
    pub ints: Vec<i64>,
    #[prost(int32, tag = "20")]
    pub r#type: i32,
}

/// `TensorProto`: a constant tensor (weights, shapes, scales).
#[derive(Clone, PartialEq, Message)]
pub(crate) struct TensorProto {
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    #[prost(int32, tag = "2")]
    pub data_type: i32,
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    #[prost(int32, repeated, tag = "5")]
    pub int32_data: Vec<i32>,
    #[prost(int64, repeated, tag = "7")]
    pub int64_data: Vec<i64>,
    #[prost(string, tag = "8")]
    pub name: String,
    #[prost(bytes = "vec", tag = "9")]
    pub raw_data: Vec<u8>,
}

/// `ValueInfoProto`: a graph input or output.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct ValueInfoProto {
    #[prost(string, tag = "1")]
    pub name: String,
    /// The `TypeProto` message, undecoded.
    #[prost(bytes = "vec", tag = "2")]
    pub r#type: Vec<u8>,
}

// TensorProto.DataType values.
pub(crate) const FLOAT: i32 = 1;
pub(crate) const UINT8: i32 = 2;
pub(crate) const INT8: i32 = 3;
pub(crate) const INT32: i32 = 6;
pub(crate) const INT64: i32 = 7;

impl TensorProto {
    /// The shape, with negative (invalid) sizes read as 0.
    pub(crate) fn shape(&self) -> Vec<usize> {
        self.dims.iter().map(|&d| d.max(0) as usize).collect()
    }

    /// The values of a float32 tensor.
    pub(crate) fn floats(&self) -> Result<Vec<f32>, String> {
        if self.data_type != FLOAT {
            return Err(format!("tensor {} has type {}, expected float32", self.name, self.data_type));
        }
        if self.raw_data.is_empty() {
            return Ok(self.float_data.clone());
        }
        Ok(self.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// The values of an integer tensor (int8, uint8, int32 or int64).
    pub(crate) fn integers(&self) -> Result<Vec<i64>, String> {
        let raw = &self.raw_data;
        match self.data_type {
            INT8 if !raw.is_empty() => Ok(raw.iter().map(|&b| b as i8 as i64).collect()),
            UINT8 if !raw.is_empty() => Ok(raw.iter().map(|&b| b as i64).collect()),
            INT32 if !raw.is_empty() => Ok(raw.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64).collect()),
            INT64 if !raw.is_empty() => {
                Ok(raw.chunks_exact(8).map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])).collect())
            }
            INT8 | UINT8 | INT32 => Ok(self.int32_data.iter().map(|&v| v as i64).collect()),
            INT64 => Ok(self.int64_data.clone()),
            other => Err(format!("tensor {} has type {other}, expected an integer type", self.name)),
        }
    }
}

impl NodeProto {
    /// An attribute by name.
    pub(crate) fn attr(&self, name: &str) -> Option<&AttributeProto> {
        self.attribute.iter().find(|a| a.name == name)
    }

    /// An integer attribute, or `default` when absent.
    pub(crate) fn attr_int(&self, name: &str, default: i64) -> i64 {
        self.attr(name).map_or(default, |a| a.i)
    }

    /// A list-of-integers attribute, or `default` when absent.
    pub(crate) fn attr_ints(&self, name: &str, default: &[i64]) -> Vec<i64> {
        self.attr(name).map_or_else(|| default.to_vec(), |a| a.ints.clone())
    }

    /// A float attribute, or `default` when absent.
    pub(crate) fn attr_float(&self, name: &str, default: f32) -> f32 {
        self.attr(name).map_or(default, |a| a.f)
    }

    /// A string attribute, or `default` when absent.
    pub(crate) fn attr_str(&self, name: &str, default: &str) -> String {
        self.attr(name).map_or_else(|| default.to_owned(), |a| String::from_utf8_lossy(&a.s).into_owned())
    }
}

/// Decodes a model file.
pub(crate) fn decode(bytes: &[u8]) -> Result<ModelProto, String> {
    ModelProto::decode(bytes).map_err(|e| format!("protobuf: {e}"))
}
