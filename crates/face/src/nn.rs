//! A small CPU runtime for the two bundled networks.
//!
//! YuNet and SFace are plain convolutional networks: 1x1 and 3x3
//! convolutions (dense and depthwise), batch normalisation, ReLU/PReLU,
//! 2x2 max pooling, nearest 2x upsampling, additions and a final dense layer.
//! This module compiles exactly that subset of ONNX into a list of steps
//! and runs them on one thread, the way libfacedetection runs YuNet by hand:
//!
//! - activations are kept channels-last (NHWC), so a 1x1 convolution is one
//!   matrix product (pixels x in-channels times in-channels x out-channels,
//!   with the weights packed at load for [`crate::gemm`]'s SIMD kernel) and a
//!   depthwise 3x3 convolution is nine contiguous multiply-adds per pixel;
//! - the depthwise and first-layer loops are written against `pulp`'s SIMD
//!   types ([`Interior`]), and the whole run is
//!   compiled a second time for AVX2 + FMA, chosen at run time;
//! - a batch normalisation that follows a convolution is folded into its
//!   weights and bias when the model is loaded, and the ReLU or PReLU after
//!   it is applied while the output is still in cache;
//! - the final dense layer keeps the file's int8 blocks ([`RowBlocks`]), so
//!   it streams a quarter of the bytes, and [`Network::run_batch`] streams
//!   them once for several inputs (a burst's faces);
//! - constant sub-graphs (reshaping weights) are evaluated at load.
//!
//! Anything outside the subset is refused at load with the node's name, so a
//! different model file fails loudly instead of computing something else.
//! `tests::agrees_with_tract` checks both networks against tract-onnx on a
//! real photo.

use std::collections::HashMap;
use std::ops::Range;

use crate::gemm::Packed;
use crate::int8::{Kernel, Quantised};
use crate::models::RowBlocks;
use crate::onnx::{GraphProto, NodeProto, TensorProto};

/// The SIMD loops take channel counts that are multiples of this (two AVX2
/// registers); other counts take the plain loops.
const LANES: usize = 16;

/// A tensor flowing through the network.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Value {
    pub shape: Shape,
    pub data: Vec<f32>,
}

/// How a [`Value`]'s numbers are laid out.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// An image-like `[1, C, H, W]` tensor in ONNX terms, stored
    /// channels-last: `data[(y * w + x) * c + channel]`.
    Image { h: usize, w: usize, c: usize },
    /// Any other tensor, stored row-major in its ONNX shape.
    Flat(Vec<usize>),
}

impl Value {
    /// An `h` x `w` image with `c` channels, channels-last.
    pub(crate) fn image(h: usize, w: usize, c: usize, data: Vec<f32>) -> Result<Value, String> {
        if data.len() != h * w * c {
            return Err(format!("{} values for a {h}x{w}x{c} image", data.len()));
        }
        Ok(Value { shape: Shape::Image { h, w, c }, data })
    }
}

/// The buffers of values a run no longer needs, handed to later steps for
/// their outputs: a fresh buffer is zeroed (most of a convolution's time went
/// to `memset` before) and cold in the cache, a spare one was just written.
/// Only for outputs whose every element is written before it is read.
#[derive(Default)]
struct Spare(Vec<Vec<f32>>);

impl Spare {
    /// At most this many buffers are kept (a network holds a few values at a time).
    const KEPT: usize = 8;

    /// A buffer of `n` values holding any numbers: the shortest spare one at least `n` long,
    /// cut to `n`; else the longest one, lengthened (only its new part zeroed); else a new one.
    fn take(&mut self, n: usize) -> Vec<f32> {
        let fits = self.0.iter().enumerate().filter(|(_, v)| v.len() >= n).min_by_key(|(_, v)| v.len());
        let pick = fits.or_else(|| self.0.iter().enumerate().max_by_key(|(_, v)| v.len())).map(|(i, _)| i);
        let mut v = pick.map(|i| self.0.swap_remove(i)).unwrap_or_default();
        v.truncate(n);
        v.resize(n, 0.0);
        v
    }

    /// A buffer holding a copy of `x`.
    fn copy(&mut self, x: &[f32]) -> Vec<f32> {
        let mut v = self.take(x.len());
        v.copy_from_slice(x);
        v
    }

    /// Keeps a buffer for a later [`Spare::take`].
    fn give(&mut self, v: Vec<f32>) {
        if self.0.len() < Self::KEPT {
            self.0.push(v);
        } else if let Some(shortest) = self.0.iter_mut().min_by_key(|s| s.len()).filter(|s| s.len() < v.len()) {
            *shortest = v;
        }
    }
}

/// Element-wise activation applied after a step.
#[derive(Debug, Clone)]
enum Activation {
    None,
    Relu,
    /// One slope per channel.
    Prelu(Vec<f32>),
}

impl Activation {
    /// Applies the activation to channels-last rows of `channels` values.
    #[inline(always)]
    fn apply(&self, data: &mut [f32], channels: usize) {
        match self {
            Activation::None => {}
            Activation::Relu => data.iter_mut().for_each(|v| *v = v.max(0.0)),
            Activation::Prelu(slopes) => {
                for row in data.chunks_exact_mut(channels) {
                    // Branch-free, so that it vectorises.
                    for (v, s) in row.iter_mut().zip(slopes) {
                        *v = v.max(0.0) + s * v.min(0.0);
                    }
                }
            }
        }
    }
}

/// A convolution, its weights rearranged for channels-last data.
#[derive(Debug, Clone)]
struct Conv {
    kernel: [usize; 2],
    stride: [usize; 2],
    /// Top, left, bottom, right.
    pads: [usize; 4],
    cin: usize,
    cout: usize,
    depthwise: bool,
    /// Dense: `[(ky * kw + kx) * cin + ci][co]`; depthwise: `[(ky * kw + kx) * c + ch]`.
    weights: Vec<f32>,
    bias: Vec<f32>,
    activation: Activation,
    /// The weights packed for [`Packed::mul`], with bias and activation, for a
    /// dense convolution that is a matrix product (see [`Conv::packed`]).
    product: Option<Packed>,
    /// The same weights quantised to 8 bits ([`Network::quantise`]); when
    /// present, the product runs in 8-bit arithmetic instead.
    int8: Option<Quantised>,
}

#[derive(Debug, Clone)]
enum Op {
    Conv(Box<Conv>),
    /// `y = x * scale[ch] + shift[ch]` along the channel axis.
    Affine {
        scale: Vec<f32>,
        shift: Vec<f32>,
    },
    Activation(Activation),
    /// `y = x * mul + add` with scalars.
    Scalar {
        mul: f32,
        add: f32,
    },
    MaxPool {
        kernel: usize,
        stride: usize,
    },
    Upsample {
        factor: usize,
    },
    Add,
    /// Element-wise product of two tensors of the same shape, or of an
    /// image and a `1x1` image of its channels (a squeeze-and-excitation
    /// block's per-channel weights), either way round.
    Mul,
    /// The mean of each channel over the image: `[1, C, H, W]` to `[1, C, 1, 1]`.
    GlobalAveragePool,
    Sigmoid,
    /// `[1, C, H, W]` to `[1, H, W, C]`: a relabelling of channels-last data.
    ToChannelsLast,
    Reshape(Vec<i64>),
    Flatten,
    /// `y = x Wᵀ + b` for a `[1, K]` input; `weights` is `[N][K]`.
    Dense {
        weights: Vec<f32>,
        bias: Vec<f32>,
        n: usize,
    },
    /// The same with `W` kept in int8 blocks (a quarter of the memory to
    /// stream: the embedding layer's 6.4 million weights dominate its time).
    /// `scales` already include `alpha` and a folded batch normalisation.
    DenseBlocked {
        weights: RowBlocks,
        scales: Vec<f32>,
        bias: Vec<f32>,
    },
}

#[derive(Debug, Clone)]
struct Step {
    /// Node name, for error messages.
    name: String,
    op: Op,
    inputs: Vec<usize>,
    output: usize,
}

/// A network compiled from an ONNX graph, ready to run.
#[derive(Debug)]
pub(crate) struct Network {
    steps: Vec<Step>,
    slots: usize,
    input: usize,
    outputs: Vec<(String, usize)>,
    /// For each step, the slots whose last reader it is (freed after it runs).
    frees: Vec<Vec<usize>>,
}

/// A constant known at load time.
#[derive(Debug, Clone)]
struct Const {
    shape: Vec<usize>,
    floats: Vec<f32>,
    ints: Vec<i64>,
}

impl Const {
    fn from_tensor(t: &TensorProto) -> Result<Const, String> {
        let shape = t.shape();
        if t.data_type == crate::onnx::FLOAT {
            Ok(Const { shape, floats: t.floats()?, ints: Vec::new() })
        } else {
            Const::from_integers(t, shape)
        }
    }

    /// [`Const::from_tensor`], taking a float tensor's values instead of copying them.
    fn from_owned(mut t: TensorProto) -> Result<Const, String> {
        let shape = t.shape();
        if t.data_type == crate::onnx::FLOAT && t.raw_data.is_empty() {
            Ok(Const { shape, floats: std::mem::take(&mut t.float_data), ints: Vec::new() })
        } else {
            Const::from_tensor(&t)
        }
    }

    fn from_integers(t: &TensorProto, shape: Vec<usize>) -> Result<Const, String> {
        let ints = t.integers()?;
        Ok(Const { shape, floats: ints.iter().map(|&v| v as f32).collect(), ints })
    }

    fn len(&self) -> usize {
        self.floats.len()
    }
}

struct Compiler<'g> {
    consts: HashMap<String, Const>,
    row_blocked: &'g HashMap<String, RowBlocks>,
    /// Value name to slot.
    slots: HashMap<String, usize>,
    next_slot: usize,
    steps: Vec<Step>,
    /// How many nodes read each value (to know when fusing is safe).
    readers: HashMap<&'g str, usize>,
    outputs: Vec<&'g str>,
}

impl Network {
    /// Compiles `graph`, whose blocked quantization must already be folded;
    /// `row_blocked` holds the int8 form of some of its weights, by name.
    pub(crate) fn compile(mut graph: GraphProto, row_blocked: &HashMap<String, RowBlocks>) -> Result<Network, String> {
        let initializers = std::mem::take(&mut graph.initializer);
        let graph = &graph;
        let mut readers: HashMap<&str, usize> = HashMap::new();
        for n in &graph.node {
            for i in n.input.iter().filter(|i| !i.is_empty()) {
                *readers.entry(i.as_str()).or_default() += 1;
            }
        }
        let mut c = Compiler {
            consts: HashMap::new(),
            row_blocked,
            slots: HashMap::new(),
            next_slot: 0,
            steps: Vec::new(),
            readers,
            outputs: graph.output.iter().map(|o| o.name.as_str()).collect(),
        };
        for t in initializers {
            c.consts.insert(t.name.clone(), Const::from_owned(t)?);
        }
        let fed: Vec<&str> = graph.input.iter().map(|i| i.name.as_str()).filter(|n| !c.consts.contains_key(*n)).collect();
        let [input_name] = fed[..] else {
            return Err(format!("expected one image input, found {fed:?}"));
        };
        let input = c.slot(input_name);
        let mut i = 0;
        while i < graph.node.len() {
            i += c.node(&graph.node, i).map_err(|e| format!("node {} ({}): {e}", graph.node[i].name, graph.node[i].op_type))?;
        }
        let outputs = graph
            .output
            .iter()
            .map(|o| c.slots.get(&o.name).map(|&s| (o.name.clone(), s)).ok_or_else(|| format!("output {} is never computed", o.name)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut last_read = vec![None; c.next_slot];
        for (k, step) in c.steps.iter().enumerate() {
            for &s in &step.inputs {
                last_read[s] = Some(k);
            }
        }
        let mut frees = vec![Vec::new(); c.steps.len()];
        for (slot, last) in last_read.iter().enumerate() {
            if let Some(k) = last {
                if outputs.iter().all(|(_, o)| *o != slot) {
                    frees[*k].push(slot);
                }
            }
        }
        Ok(Network { steps: c.steps, slots: c.next_slot, input, outputs, frees })
    }

    /// The graph's output names, in the order [`Network::run`] returns them.
    pub(crate) fn output_names(&self) -> Vec<String> {
        self.outputs.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Quantises the weights of every layer that runs as a matrix product
    /// (every dense convolution but the first layers' few-input ones) to 8
    /// bits, so that [`Network::run`] multiplies them with `kernel`'s
    /// instructions; see [`crate::int8`].
    pub(crate) fn quantise(&mut self, kernel: Kernel) {
        for step in &mut self.steps {
            if let Op::Conv(conv) = &mut step.op {
                if conv.product.is_some() {
                    let k = conv.kernel[0] * conv.kernel[1] * conv.cin;
                    let slopes = conv.slopes();
                    conv.int8 = Some(Quantised::new(&conv.weights, k, conv.cout, &conv.bias, slopes.as_deref(), kernel));
                }
            }
        }
    }

    /// How many layers run in 8 bits.
    pub(crate) fn quantised_layers(&self) -> usize {
        self.steps.iter().filter(|s| matches!(&s.op, Op::Conv(c) if c.int8.is_some())).count()
    }

    /// Runs the network on one input.
    pub(crate) fn run(&self, input: Value) -> Result<Vec<Value>, String> {
        // The loops below are compiled a second time for AVX2 + FMA and that
        // copy runs when the processor has them (pulp checks at run time).
        pulp::Arch::new().dispatch(RunSteps { network: self, input, multiply_adds: None })
    }

    /// Runs the network on several inputs; the outputs of each are exactly
    /// (bit for bit) what [`Network::run`] gives it. Each input goes alone
    /// through the layers before the first int8-block dense layer (its
    /// activations stay in cache); from there the steps run over the whole
    /// batch, and a dense layer reads its weights once for all inputs.
    pub(crate) fn run_batch(&self, inputs: Vec<Value>) -> Result<Vec<Vec<Value>>, String> {
        pulp::Arch::new().dispatch(RunBatch { network: self, inputs })
    }

    /// How many multiply-adds the convolutions and dense layers do on `input`
    /// (running the network to learn every layer's size): the arithmetic a
    /// processor's peak rate must get through, for the bench.
    pub(crate) fn multiply_adds(&self, input: Value) -> Result<u64, String> {
        let mut count = 0;
        pulp::Arch::new().dispatch(RunSteps { network: self, input, multiply_adds: Some(&mut count) })?;
        Ok(count)
    }

    #[inline(always)]
    fn run_steps(&self, input: Value, mut multiply_adds: Option<&mut u64>) -> Result<Vec<Value>, String> {
        let (mut slots, mut spare) = (self.start(input), Spare::default());
        for k in 0..self.steps.len() {
            self.step(k, &mut slots, &mut spare, multiply_adds.as_deref_mut())?;
        }
        self.finish(slots)
    }

    #[inline(always)]
    fn run_batch_steps(&self, inputs: Vec<Value>) -> Result<Vec<Vec<Value>>, String> {
        let split = self.steps.iter().position(|s| matches!(s.op, Op::DenseBlocked { .. })).unwrap_or(self.steps.len());
        // One input at a time, so the buffers one frees serve the next.
        let mut spare = Spare::default();
        let mut batch = inputs
            .into_iter()
            .map(|input| {
                let mut slots = self.start(input);
                for k in 0..split {
                    self.step(k, &mut slots, &mut spare, None)?;
                }
                Ok(slots)
            })
            .collect::<Result<Vec<_>, String>>()?;
        for (k, step) in self.steps.iter().enumerate().skip(split) {
            match &step.op {
                Op::DenseBlocked { weights, scales, bias } if batch.len() > 1 => {
                    let xs = batch
                        .iter()
                        .map(|slots| {
                            let s = *step.inputs.first().ok_or_else(|| format!("{}: no input", step.name))?;
                            slots[s].as_ref().ok_or_else(|| format!("{}: input not computed", step.name))
                        })
                        .collect::<Result<Vec<&Value>, String>>()?;
                    let outs = dense_blocked_batch(weights, scales, bias, &xs).map_err(|e| format!("{}: {e}", step.name))?;
                    for (slots, out) in batch.iter_mut().zip(outs) {
                        self.keep(k, slots, &mut spare, out);
                    }
                }
                _ => {
                    for slots in &mut batch {
                        self.step(k, slots, &mut spare, None)?;
                    }
                }
            }
        }
        batch.into_iter().map(|slots| self.finish(slots)).collect()
    }

    /// The slots of one run, holding its input.
    fn start(&self, input: Value) -> Vec<Option<Value>> {
        let mut slots = vec![None; self.slots];
        slots[self.input] = Some(input);
        slots
    }

    /// Runs step `k` on one run's slots.
    #[inline(always)]
    fn step(&self, k: usize, slots: &mut [Option<Value>], spare: &mut Spare, multiply_adds: Option<&mut u64>) -> Result<(), String> {
        let step = &self.steps[k];
        let inputs = step
            .inputs
            .iter()
            .map(|&s| slots[s].as_ref().ok_or_else(|| format!("{}: input not computed", step.name)))
            .collect::<Result<Vec<_>, _>>()?;
        let out = step.op.run(&inputs, spare).map_err(|e| format!("{}: {e}", step.name))?;
        if let Some(count) = multiply_adds {
            *count += step.op.multiply_adds(&out);
        }
        self.keep(k, slots, spare, out);
        Ok(())
    }

    /// Stores step `k`'s output and frees the values it was the last to read.
    fn keep(&self, k: usize, slots: &mut [Option<Value>], spare: &mut Spare, out: Value) {
        for &s in &self.frees[k] {
            if let Some(freed) = slots[s].take() {
                spare.give(freed.data);
            }
        }
        slots[self.steps[k].output] = Some(out);
    }

    /// The graph's outputs from one run's slots.
    fn finish(&self, slots: Vec<Option<Value>>) -> Result<Vec<Value>, String> {
        self.outputs.iter().map(|(name, s)| slots[*s].clone().ok_or_else(|| format!("output {name} missing"))).collect()
    }
}

/// [`Network::run_steps`] as pulp wants it: a type whose `with_simd` is
/// inlined into pulp's AVX2 entry point, and the steps with it.
struct RunSteps<'a> {
    network: &'a Network,
    input: Value,
    multiply_adds: Option<&'a mut u64>,
}

impl pulp::WithSimd for RunSteps<'_> {
    type Output = Result<Vec<Value>, String>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> Self::Output {
        self.network.run_steps(self.input, self.multiply_adds)
    }
}

/// [`Network::run_batch_steps`] for pulp, as [`RunSteps`].
struct RunBatch<'a> {
    network: &'a Network,
    inputs: Vec<Value>,
}

impl pulp::WithSimd for RunBatch<'_> {
    type Output = Result<Vec<Vec<Value>>, String>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> Self::Output {
        self.network.run_batch_steps(self.inputs)
    }
}

impl<'g> Compiler<'g> {
    fn slot(&mut self, name: &str) -> usize {
        if let Some(&s) = self.slots.get(name) {
            return s;
        }
        let s = self.next_slot;
        self.next_slot += 1;
        self.slots.insert(name.to_owned(), s);
        s
    }

    fn input_slot(&self, name: &str) -> Result<usize, String> {
        self.slots.get(name).copied().ok_or_else(|| format!("input {name} is neither computed nor a constant"))
    }

    fn constant(&self, name: &str) -> Result<&Const, String> {
        self.consts.get(name).ok_or_else(|| format!("{name} is not a constant"))
    }

    /// The node that alone reads `value`, if `value` is not a graph output.
    fn sole_reader<'n>(&self, nodes: &'n [NodeProto], after: usize, value: &str) -> Option<(usize, &'n NodeProto)> {
        if self.readers.get(value) != Some(&1) || self.outputs.contains(&value) {
            return None;
        }
        nodes.iter().enumerate().skip(after + 1).find(|(_, n)| n.input.first().map(String::as_str) == Some(value))
    }

    fn push(&mut self, node: &NodeProto, op: Op, inputs: Vec<usize>, output: &str) {
        let output = self.slot(output);
        self.steps.push(Step { name: node.name.clone(), op, inputs, output });
    }

    /// Compiles `nodes[i]` (and the nodes fused into it); returns how many
    /// nodes were consumed.
    fn node(&mut self, nodes: &'g [NodeProto], i: usize) -> Result<usize, String> {
        let node = &nodes[i];
        let out = node.output.first().ok_or("no output")?.as_str();
        let args: Vec<&str> = node.input.iter().map(String::as_str).collect();
        let all_const = args.iter().all(|a| a.is_empty() || self.consts.contains_key(*a));
        if node.op_type == "Constant" {
            let t = node.attr("value").and_then(|a| a.t.as_ref()).ok_or("Constant without a tensor value")?;
            self.consts.insert(out.to_owned(), Const::from_tensor(t)?);
            return Ok(1);
        }
        if all_const && node.op_type == "Reshape" {
            let x = self.constant(args[0])?.clone();
            let shape = reshape(&x.shape, &self.constant(args.get(1).ok_or("no shape")?)?.ints)?;
            self.consts.insert(out.to_owned(), Const { shape, ..x });
            return Ok(1);
        }
        match node.op_type.as_str() {
            "Conv" => return self.conv(nodes, i),
            "Identity" | "Dropout" => {
                let s = self.input_slot(args[0])?;
                self.slots.insert(out.to_owned(), s);
            }
            "BatchNormalization" => {
                let (scale, shift) = self.batch_norm(node)?;
                let x = self.input_slot(args[0])?;
                self.push(node, Op::Affine { scale, shift }, vec![x], out);
            }
            "Relu" => {
                let x = self.input_slot(args[0])?;
                self.push(node, Op::Activation(Activation::Relu), vec![x], out);
            }
            "PRelu" => {
                let slopes = self.constant(args.get(1).ok_or("no slope")?)?.floats.clone();
                let x = self.input_slot(args[0])?;
                self.push(node, Op::Activation(Activation::Prelu(slopes)), vec![x], out);
            }
            "Sigmoid" => {
                let x = self.input_slot(args[0])?;
                self.push(node, Op::Sigmoid, vec![x], out);
            }
            "Sub" | "Mul" | "Add" => return self.binary(node).map(|()| 1),
            "MaxPool" => {
                let k = node.attr_ints("kernel_shape", &[]);
                let s = node.attr_ints("strides", &[1, 1]);
                let pads = node.attr_ints("pads", &[0, 0, 0, 0]);
                let square = k.len() == 2 && k[0] == k[1] && s.len() == 2 && s[0] == s[1] && k[0] > 0 && s[0] > 0;
                if !square || pads.iter().any(|&p| p != 0) || node.attr_int("ceil_mode", 0) != 0 {
                    return Err(format!("unsupported pooling: kernel {k:?}, strides {s:?}, pads {pads:?}"));
                }
                let x = self.input_slot(args[0])?;
                self.push(node, Op::MaxPool { kernel: k[0] as usize, stride: s[0] as usize }, vec![x], out);
            }
            "Resize" => {
                let scales = self.constant(args.get(2).ok_or("Resize without scales")?)?;
                let f = &scales.floats;
                let nearest = node.attr_str("mode", "nearest") == "nearest"
                    && node.attr_str("coordinate_transformation_mode", "half_pixel") == "asymmetric"
                    && node.attr_str("nearest_mode", "round_prefer_floor") == "floor";
                let factor = f.get(2).copied().unwrap_or(0.0);
                if !nearest || f.len() != 4 || f[0] != 1.0 || f[1] != 1.0 || f[2] != f[3] || factor < 1.0 || factor.fract() != 0.0 {
                    return Err(format!("only nearest upsampling by a whole factor is supported (scales {f:?})"));
                }
                let x = self.input_slot(args[0])?;
                self.push(node, Op::Upsample { factor: factor as usize }, vec![x], out);
            }
            "Transpose" => {
                if node.attr_ints("perm", &[]) != [0, 2, 3, 1] {
                    return Err("only the NCHW to NHWC transpose is supported".into());
                }
                let x = self.input_slot(args[0])?;
                self.push(node, Op::ToChannelsLast, vec![x], out);
            }
            "Reshape" => {
                let shape = self.constant(args.get(1).ok_or("no shape")?)?.ints.clone();
                let x = self.input_slot(args[0])?;
                self.push(node, Op::Reshape(shape), vec![x], out);
            }
            "Flatten" => {
                if node.attr_int("axis", 1) != 1 {
                    return Err("only Flatten(axis = 1) is supported".into());
                }
                let x = self.input_slot(args[0])?;
                self.push(node, Op::Flatten, vec![x], out);
            }
            "GlobalAveragePool" => {
                let x = self.input_slot(args[0])?;
                self.push(node, Op::GlobalAveragePool, vec![x], out);
            }
            "Gemm" => return self.gemm(nodes, i),
            "MatMul" => return self.matmul(nodes, i),
            other => return Err(format!("operator {other} is not supported")),
        }
        Ok(1)
    }

    /// `scale` and `shift` of an inference-mode batch normalisation.
    fn batch_norm(&self, node: &NodeProto) -> Result<(Vec<f32>, Vec<f32>), String> {
        let get =
            |k: usize| node.input.get(k).ok_or_else(|| "missing input".to_owned()).and_then(|n| self.constant(n)).map(|c| c.floats.clone());
        let (gamma, beta, mean, var) = (get(1)?, get(2)?, get(3)?, get(4)?);
        let eps = node.attr_float("epsilon", 1e-5);
        let n = gamma.len();
        if [beta.len(), mean.len(), var.len()].iter().any(|&l| l != n) {
            return Err("batch normalisation parameters differ in length".into());
        }
        let scale: Vec<f32> = gamma.iter().zip(&var).map(|(g, v)| g / (v + eps).sqrt()).collect();
        let shift = beta.iter().zip(&mean).zip(&scale).map(|((b, m), s)| b - m * s).collect();
        Ok((scale, shift))
    }

    fn conv(&mut self, nodes: &'g [NodeProto], i: usize) -> Result<usize, String> {
        let node = &nodes[i];
        let w = self.constant(node.input.get(1).ok_or("no weights")?)?;
        let [cout, per_group, kh, kw] = w.shape[..] else {
            return Err(format!("weights of shape {:?}", w.shape));
        };
        let group = node.attr_int("group", 1).max(1) as usize;
        let strides = node.attr_ints("strides", &[1, 1]);
        let pads = node.attr_ints("pads", &[0, 0, 0, 0]);
        let dilations = node.attr_ints("dilations", &[1, 1]);
        if strides.len() != 2 || pads.len() != 4 || dilations.iter().any(|&d| d != 1) || node.attr_str("auto_pad", "NOTSET") != "NOTSET" {
            return Err(format!("unsupported geometry: strides {strides:?}, pads {pads:?}, dilations {dilations:?}"));
        }
        let cin = per_group * group;
        let depthwise = group > 1;
        if depthwise && (per_group != 1 || group != cout) {
            return Err(format!("grouped convolution with {group} groups of {per_group} is not supported"));
        }
        let mut bias = match node.input.get(2).filter(|b| !b.is_empty()) {
            Some(b) => self.constant(b)?.floats.clone(),
            None => vec![0.0; cout],
        };
        if bias.len() != cout || w.len() != cout * per_group * kh * kw {
            return Err("weights and bias do not match the output channels".into());
        }
        let taps = kh * kw;
        let mut weights = vec![0f32; w.len()];
        // A transpose: taken 16 output channels at a time, so that each write
        // fills a cache line instead of striding across the whole matrix.
        for first in (0..cout).step_by(16) {
            for ci in 0..per_group {
                for t in 0..taps {
                    let at = if depthwise { t * cout } else { (t * cin + ci) * cout };
                    for co in first..(first + 16).min(cout) {
                        weights[at + co] = w.floats[(co * per_group + ci) * taps + t];
                    }
                }
            }
        }

        // Fold a following batch normalisation, then an activation.
        let mut consumed = 1;
        let mut out = node.output.first().ok_or("no output")?.as_str();
        if let Some((j, bn)) = self.sole_reader(nodes, i, out).filter(|(_, n)| n.op_type == "BatchNormalization") {
            if j == i + consumed {
                let (scale, shift) = self.batch_norm(bn)?;
                if scale.len() != cout {
                    return Err("batch normalisation does not match the output channels".into());
                }
                for row in weights.chunks_exact_mut(cout) {
                    row.iter_mut().zip(&scale).for_each(|(v, s)| *v *= s);
                }
                for ((b, s), t) in bias.iter_mut().zip(&scale).zip(&shift) {
                    *b = *b * s + t;
                }
                consumed += 1;
                out = bn.output.first().ok_or("no output")?.as_str();
            }
        }
        let mut activation = Activation::None;
        if let Some((j, act)) = self.sole_reader(nodes, i, out).filter(|(_, n)| n.op_type == "Relu" || n.op_type == "PRelu") {
            if j == i + consumed {
                activation = if act.op_type == "Relu" {
                    Activation::Relu
                } else {
                    let slopes = self.constant(act.input.get(1).ok_or("no slope")?)?.floats.clone();
                    if slopes.len() != cout {
                        return Err("PReLU slopes do not match the output channels".into());
                    }
                    Activation::Prelu(slopes)
                };
                consumed += 1;
                out = act.output.first().ok_or("no output")?.as_str();
            }
        }
        let p = |k: usize| pads[k].max(0) as usize;
        let conv = Conv {
            kernel: [kh, kw],
            stride: [strides[0].max(1) as usize, strides[1].max(1) as usize],
            pads: [p(0), p(1), p(2), p(3)],
            cin,
            cout,
            depthwise,
            weights,
            bias,
            activation,
            product: None,
            int8: None,
        }
        .packed();
        let x = self.input_slot(&node.input[0])?;
        self.push(node, Op::Conv(Box::new(conv)), vec![x], out);
        Ok(consumed)
    }

    fn binary(&mut self, node: &NodeProto) -> Result<(), String> {
        let out = node.output.first().ok_or("no output")?;
        let [a, b] = &node.input[..] else {
            return Err("expected two inputs".into());
        };
        match (self.consts.get(b), node.op_type.as_str()) {
            (Some(c), op) if c.len() == 1 && !self.consts.contains_key(a) => {
                let v = c.floats[0];
                let (mul, add) = match op {
                    "Sub" => (1.0, -v),
                    "Mul" => (v, 0.0),
                    _ => (1.0, v),
                };
                let x = self.input_slot(a)?;
                self.push(node, Op::Scalar { mul, add }, vec![x], out);
            }
            (None, "Add") => {
                let (x, y) = (self.input_slot(a)?, self.input_slot(b)?);
                self.push(node, Op::Add, vec![x, y], out);
            }
            (None, "Mul") => {
                let (x, y) = (self.input_slot(a)?, self.input_slot(b)?);
                self.push(node, Op::Mul, vec![x, y], out);
            }
            _ => return Err("only a tensor with a scalar constant, or Add or Mul of two tensors, is supported".into()),
        }
        Ok(())
    }

    /// Folds a batch normalisation that alone reads `nodes[i]`'s output, if
    /// it comes right after, into a dense layer's row factors and bias;
    /// returns how many nodes were consumed and the output name.
    fn fold_batch_norm(&self, nodes: &'g [NodeProto], i: usize, factor: &mut [f32], bias: &mut [f32]) -> Result<(usize, &'g str), String> {
        let out = nodes[i].output.first().ok_or("no output")?.as_str();
        let Some((j, bn)) = self.sole_reader(nodes, i, out).filter(|(_, n)| n.op_type == "BatchNormalization") else {
            return Ok((1, out));
        };
        if j != i + 1 {
            return Ok((1, out));
        }
        let (scale, shift) = self.batch_norm(bn)?;
        if scale.len() != factor.len() {
            return Err("batch normalisation does not match the outputs".into());
        }
        for (((f, b), s), t) in factor.iter_mut().zip(bias.iter_mut()).zip(&scale).zip(&shift) {
            *f *= s;
            *b = *b * s + t;
        }
        Ok((2, bn.output.first().ok_or("no output")?.as_str()))
    }

    /// `y = x B` with a constant `[K, N]` matrix `B` (MiniFASNet's last two
    /// layers): a dense layer with the transposed weights, and a following
    /// batch normalisation folded in.
    fn matmul(&mut self, nodes: &'g [NodeProto], i: usize) -> Result<usize, String> {
        let node = &nodes[i];
        let [a, b] = &node.input[..] else {
            return Err("expected two inputs".into());
        };
        let w = self.constant(b).map_err(|_| "only a product with a constant matrix is supported".to_owned())?;
        let [k, n] = w.shape[..] else {
            return Err(format!("a constant of shape {:?}, expected a matrix", w.shape));
        };
        if w.floats.len() != n * k {
            return Err(format!("weights {b} have no values"));
        }
        let mut weights = vec![0f32; n * k];
        for (r, row) in w.floats.chunks_exact(n).enumerate() {
            for (c, v) in row.iter().enumerate() {
                weights[c * k + r] = *v;
            }
        }
        let (mut factor, mut bias) = (vec![1.0; n], vec![0.0; n]);
        let (consumed, out) = self.fold_batch_norm(nodes, i, &mut factor, &mut bias)?;
        for (row, f) in weights.chunks_exact_mut(k).zip(&factor) {
            row.iter_mut().for_each(|v| *v *= f);
        }
        let x = self.input_slot(a)?;
        self.push(node, Op::Dense { weights, bias, n }, vec![x], out);
        Ok(consumed)
    }

    fn gemm(&mut self, nodes: &'g [NodeProto], i: usize) -> Result<usize, String> {
        let node = &nodes[i];
        if node.attr_int("transA", 0) != 0 || node.attr_int("transB", 0) != 1 {
            return Err("only Gemm with transB = 1 is supported".into());
        }
        let (alpha, beta) = (node.attr_float("alpha", 1.0), node.attr_float("beta", 1.0));
        let name = node.input.get(1).ok_or("no weights")?;
        let w = self.constant(name)?;
        let [n, k] = w.shape[..] else {
            return Err(format!("weights of shape {:?}", w.shape));
        };
        let mut bias = match node.input.get(2).filter(|b| !b.is_empty()) {
            Some(b) => self.constant(b)?.floats.iter().map(|v| v * beta).collect(),
            None => vec![0.0; n],
        };
        if bias.len() != n {
            return Err("bias does not match the outputs".into());
        }
        // Row o of the weights is multiplied by factor[o]: alpha, and a following batch normalisation.
        let mut factor = vec![alpha; n];
        let (consumed, out) = self.fold_batch_norm(nodes, i, &mut factor, &mut bias)?;
        let op = match self.row_blocked.get(name).filter(|b| b.rows == n && b.cols == k) {
            Some(blocks) => {
                let per_row = k / blocks.block;
                let scales = blocks.scales.iter().enumerate().map(|(i, s)| s * factor[i / per_row]).collect();
                Op::DenseBlocked { weights: blocks.clone(), scales, bias }
            }
            None if w.floats.len() != n * k => return Err(format!("weights {name} have no values")),
            None => {
                let weights = w.floats.chunks_exact(k).zip(&factor).flat_map(|(row, f)| row.iter().map(move |v| v * f)).collect();
                Op::Dense { weights, bias, n }
            }
        };
        let x = self.input_slot(&node.input[0])?;
        self.push(node, op, vec![x], out);
        Ok(consumed)
    }
}

/// ONNX Reshape semantics: 0 copies the input's size, -1 takes the rest.
fn reshape(from: &[usize], to: &[i64]) -> Result<Vec<usize>, String> {
    let total: usize = from.iter().product();
    let mut shape: Vec<usize> = to
        .iter()
        .enumerate()
        .map(|(i, &d)| match d {
            0 => from.get(i).copied().unwrap_or(0),
            d if d < 0 => 1,
            d => d as usize,
        })
        .collect();
    if let Some(pos) = to.iter().position(|&d| d < 0) {
        let known: usize = shape.iter().enumerate().filter(|(i, _)| *i != pos).map(|(_, d)| d).product();
        if known == 0 || !total.is_multiple_of(known) {
            return Err(format!("cannot reshape {from:?} to {to:?}"));
        }
        shape[pos] = total / known;
    }
    if shape.iter().product::<usize>() != total {
        return Err(format!("cannot reshape {from:?} to {to:?}"));
    }
    Ok(shape)
}

fn image_dims(v: &Value) -> Result<(usize, usize, usize), String> {
    match v.shape {
        Shape::Image { h, w, c } => Ok((h, w, c)),
        Shape::Flat(ref s) => Err(format!("expected an image-like tensor, got shape {s:?}")),
    }
}

impl Op {
    /// Multiply-adds done to compute `out`.
    fn multiply_adds(&self, out: &Value) -> u64 {
        let per_output = match self {
            Op::Conv(c) => c.kernel[0] * c.kernel[1] * if c.depthwise { 1 } else { c.cin },
            Op::DenseBlocked { weights, .. } => weights.cols,
            Op::Dense { weights, n, .. } => weights.len() / (*n).max(1),
            _ => 0,
        };
        (out.data.len() * per_output) as u64
    }

    #[inline(always)]
    fn run(&self, inputs: &[&Value], spare: &mut Spare) -> Result<Value, String> {
        let x = inputs.first().ok_or("no input")?;
        match self {
            Op::Conv(conv) => conv.run(x, spare),
            Op::Affine { scale, shift } => {
                let c = match &x.shape {
                    Shape::Image { c, .. } => *c,
                    Shape::Flat(s) if s.len() == 2 => s[1],
                    Shape::Flat(s) => return Err(format!("cannot normalise shape {s:?}")),
                };
                if c != scale.len() {
                    return Err(format!("{c} channels, {} scales", scale.len()));
                }
                let mut data = spare.copy(&x.data);
                for row in data.chunks_exact_mut(c) {
                    for ((v, s), t) in row.iter_mut().zip(scale).zip(shift) {
                        *v = *v * s + t;
                    }
                }
                Ok(Value { shape: x.shape.clone(), data })
            }
            Op::Activation(a) => {
                let c = match &x.shape {
                    Shape::Image { c, .. } => *c,
                    Shape::Flat(s) => s.last().copied().unwrap_or(1),
                };
                let mut data = spare.copy(&x.data);
                a.apply(&mut data, c);
                Ok(Value { shape: x.shape.clone(), data })
            }
            Op::Scalar { mul, add } => {
                let mut data = spare.take(x.data.len());
                data.iter_mut().zip(&x.data).for_each(|(d, v)| *d = v * mul + add);
                Ok(Value { shape: x.shape.clone(), data })
            }
            Op::Sigmoid => {
                let mut data = spare.take(x.data.len());
                data.iter_mut().zip(&x.data).for_each(|(d, v)| *d = 1.0 / (1.0 + (-v).exp()));
                Ok(Value { shape: x.shape.clone(), data })
            }
            Op::Add => {
                let y = inputs.get(1).ok_or("no second input")?;
                if x.shape != y.shape {
                    return Err(format!("adding {:?} and {:?}", x.shape, y.shape));
                }
                let mut data = spare.take(x.data.len());
                data.iter_mut().zip(x.data.iter().zip(&y.data)).for_each(|(d, (a, b))| *d = a + b);
                Ok(Value { shape: x.shape.clone(), data })
            }
            Op::Mul => {
                let y = inputs.get(1).ok_or("no second input")?;
                multiply(x, y, spare)
            }
            Op::GlobalAveragePool => {
                let (h, w, c) = image_dims(x)?;
                let mut sums = vec![0f32; c];
                for row in x.data.chunks_exact(c) {
                    sums.iter_mut().zip(row).for_each(|(s, v)| *s += v);
                }
                let n = (h * w).max(1) as f32;
                Value::image(1, 1, c, sums.into_iter().map(|s| s / n).collect())
            }
            Op::MaxPool { kernel, stride } => max_pool(x, *kernel, *stride, spare),
            Op::Upsample { factor } => upsample(x, *factor),
            Op::ToChannelsLast => {
                let (h, w, c) = image_dims(x)?;
                Ok(Value { shape: Shape::Flat(vec![1, h, w, c]), data: spare.copy(&x.data) })
            }
            Op::Reshape(to) => match &x.shape {
                Shape::Flat(from) => Ok(Value { shape: Shape::Flat(reshape(from, to)?), data: spare.copy(&x.data) }),
                Shape::Image { .. } => Err("reshaping a channels-last tensor is not supported".into()),
            },
            Op::Flatten => match &x.shape {
                Shape::Image { h, w, c } => {
                    // ONNX flattens [1, C, H, W] channel by channel.
                    let (hw, c) = (h * w, *c);
                    // Every element is written: the flattening is a permutation.
                    let mut data = spare.take(x.data.len());
                    for (p, row) in x.data.chunks_exact(c).enumerate() {
                        for (ch, v) in row.iter().enumerate() {
                            data[ch * hw + p] = *v;
                        }
                    }
                    Ok(Value { shape: Shape::Flat(vec![1, x.data.len()]), data })
                }
                Shape::Flat(s) => Ok(Value {
                    shape: Shape::Flat(vec![s.first().copied().unwrap_or(1), s.iter().skip(1).product()]),
                    data: spare.copy(&x.data),
                }),
            },
            Op::DenseBlocked { weights, scales, bias } => {
                let (k, block) = (weights.cols, weights.block);
                if x.data.len() != k {
                    return Err(format!("{} inputs for a layer of {k}", x.data.len()));
                }
                let sums = block_sums(&x.data, block);
                let per_row = k / block;
                let data = (0..weights.rows)
                    .map(|o| {
                        let q = &weights.q[o * k..][..k];
                        dot_i8_blocks(q, &x.data, block, &scales[o * per_row..][..per_row]) - zero_shift(weights, scales, &sums, o)
                            + bias[o]
                    })
                    .collect();
                Ok(Value { shape: Shape::Flat(vec![1, weights.rows]), data })
            }
            Op::Dense { weights, bias, n } => {
                let k = x.data.len();
                if weights.len() != n * k {
                    return Err(format!("{k} inputs for a layer of {} weights", weights.len()));
                }
                let data = weights.chunks_exact(k).zip(bias).map(|(row, b)| dot(row, &x.data) + b).collect();
                Ok(Value { shape: Shape::Flat(vec![1, *n]), data })
            }
        }
    }
}

/// The sum of each block of `block` inputs, which the zero points multiply.
#[inline(always)]
fn block_sums(x: &[f32], block: usize) -> Vec<f32> {
    x.chunks_exact(block).map(|c| c.iter().sum()).collect()
}

/// What row `o`'s zero points add to its product with inputs whose block sums are `sums`.
#[inline(always)]
fn zero_shift(weights: &RowBlocks, scales: &[f32], sums: &[f32], o: usize) -> f32 {
    let per_row = weights.cols / weights.block;
    let (scales, zero_points) = (&scales[o * per_row..][..per_row], &weights.zero_points[o * per_row..][..per_row]);
    scales.iter().zip(zero_points).zip(sums).map(|((s, z), sum)| s * z * sum).sum()
}

/// [`Op::DenseBlocked`] on several inputs at once, each output exactly what
/// the layer gives that input alone: the same sums in the same order, with
/// the weights read once (a block widened to floats once) for all inputs
/// instead of once per input.
#[inline(always)]
fn dense_blocked_batch(weights: &RowBlocks, scales: &[f32], bias: &[f32], xs: &[&Value]) -> Result<Vec<Value>, String> {
    let (k, block, rows) = (weights.cols, weights.block, weights.rows);
    if let Some(x) = xs.iter().find(|x| x.data.len() != k) {
        return Err(format!("{} inputs for a layer of {k}", x.data.len()));
    }
    let inputs: Vec<&[f32]> = xs.iter().map(|x| x.data.as_slice()).collect();
    let dots = dots_i8_blocks(&weights.q, rows, k, block, scales, &inputs);
    Ok(inputs
        .iter()
        .zip(dots.chunks_exact(rows.max(1)))
        .map(|(x, dots)| {
            let sums = block_sums(x, block);
            let data = dots.iter().enumerate().map(|(o, d)| d - zero_shift(weights, scales, &sums, o) + bias[o]).collect();
            Value { shape: Shape::Flat(vec![1, rows]), data }
        })
        .collect())
}

/// [`dot_i8_blocks`] of every row of `q` (`rows` of `k`) with each of `xs`:
/// `out[x * rows + row]`, each bit for bit what [`dot_i8_blocks`] gives.
#[inline(always)]
fn dots_i8_blocks(q: &[i8], rows: usize, k: usize, block: usize, scales: &[f32], xs: &[&[f32]]) -> Vec<f32> {
    let per_row = k / block.max(1);
    #[cfg(target_arch = "x86_64")]
    if block.is_multiple_of(16) && block > 0 {
        if let Some(v3) = pulp::x86::V3::try_new() {
            return v3.vectorize(|| dots_i8_blocks_avx2(v3, q, rows, k, block, scales, xs));
        }
    }
    let mut out = vec![0f32; xs.len() * rows];
    for o in 0..rows {
        let (q, scales) = (&q[o * k..][..k], &scales[o * per_row..][..per_row]);
        for (i, x) in xs.iter().enumerate() {
            out[i * rows + o] = dot_i8_blocks(q, x, block, scales);
        }
    }
    out
}

/// [`dots_i8_blocks`] with AVX2, for blocks of whole 16s. The columns are
/// taken a slice at a time (`SLICE` inputs of every `x` stay in the
/// first-level cache), and in each slice every row's blocks are widened to
/// floats once and multiplied into every `x`; each `(x, row)` keeps the two
/// registers of running sums [`dot_i8_blocks_avx2`] keeps, updated by the
/// same operations in the same order, so the results are the same bits.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn dots_i8_blocks_avx2(v3: pulp::x86::V3, q: &[i8], rows: usize, k: usize, block: usize, scales: &[f32], xs: &[&[f32]]) -> Vec<f32> {
    use pulp::{f32x8, i16x16, i16x8, i8x16};
    /// Inputs of each `x` per slice: 8 KB of floats.
    const SLICE: usize = 2048;
    let per_row = k / block;
    let per_block = block / 16;
    let slice = (SLICE / block).max(1);
    let zero = v3.splat_f32x8(0.0);
    let mut totals = vec![[zero; 2]; xs.len() * rows];
    let mut wide = vec![[zero; 2]; per_block];
    for first in (0..per_row).step_by(slice) {
        let blocks = first..(first + slice).min(per_row);
        for o in 0..rows {
            for b in blocks.clone() {
                let qb: &[i8x16] = pulp::bytemuck::cast_slice(&q[o * k + b * block..][..block]);
                for (w, q) in wide.iter_mut().zip(qb) {
                    let halves: [i16x8; 2] = pulp::bytemuck::cast::<i16x16, _>(v3.convert_i8x16_to_i16x16(*q));
                    *w = halves.map(|h| v3.convert_i32x8_to_f32x8(v3.convert_i16x8_to_i32x8(h)));
                }
                let s = v3.splat_f32x8(scales[o * per_row + b]);
                for (i, x) in xs.iter().enumerate() {
                    let x: &[[f32x8; 2]] = pulp::bytemuck::cast_slice(&x[b * block..][..block]);
                    let mut acc = [zero; 2];
                    for (w, x) in wide.iter().zip(x) {
                        for ((a, w), x) in acc.iter_mut().zip(w).zip(x) {
                            *a = v3.mul_add_f32x8(*w, *x, *a);
                        }
                    }
                    let total = &mut totals[i * rows + o];
                    for (t, a) in total.iter_mut().zip(acc) {
                        *t = v3.mul_add_f32x8(s, a, *t);
                    }
                }
            }
        }
    }
    totals.iter().map(|t| pulp::Simd::reduce_sum_f32s(v3, v3.add_f32x8(t[0], t[1]))).collect()
}

/// `Σ_b scale[b] (q_b · x_b)` over the blocks of `block` values of int8 `q`,
/// in 16 independent lanes so that it vectorises: each block's products are
/// scaled lane by lane, and the lanes are summed once at the end.
#[inline(always)]
fn dot_i8_blocks(q: &[i8], x: &[f32], block: usize, scales: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if block.is_multiple_of(16) {
        if let Some(v3) = pulp::x86::V3::try_new() {
            return v3.vectorize(|| dot_i8_blocks_avx2(v3, q, x, block, scales));
        }
    }
    let mut total = [0f32; 16];
    let mut tail = 0.0;
    for ((q, x), s) in q.chunks_exact(block).zip(x.chunks_exact(block)).zip(scales) {
        let mut acc = [0f32; 16];
        let (qc, xc) = (q.chunks_exact(16), x.chunks_exact(16));
        tail += s * qc.remainder().iter().zip(xc.remainder()).map(|(q, x)| f32::from(*q) * x).sum::<f32>();
        for (q, x) in qc.zip(xc) {
            for ((a, q), x) in acc.iter_mut().zip(q).zip(x) {
                *a += f32::from(*q) * x;
            }
        }
        for (t, a) in total.iter_mut().zip(&acc) {
            *t += s * a;
        }
    }
    total.iter().sum::<f32>() + tail
}

/// [`dot_i8_blocks`] for blocks of whole 16s with AVX2: sixteen weights
/// are loaded at once and widened to floats in registers (the plain loop
/// left that widening to the compiler, which did not keep it in SIMD).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn dot_i8_blocks_avx2(v3: pulp::x86::V3, q: &[i8], x: &[f32], block: usize, scales: &[f32]) -> f32 {
    use pulp::{f32x8, i16x16, i16x8, i8x16};
    let q: &[i8x16] = pulp::bytemuck::cast_slice(&q[..q.len() / 16 * 16]);
    let x: &[[f32x8; 2]] = pulp::bytemuck::cast_slice(&x[..x.len() / 16 * 16]);
    let per_block = block / 16;
    let mut total = [v3.splat_f32x8(0.0); 2];
    for ((q, x), s) in q.chunks_exact(per_block).zip(x.chunks_exact(per_block)).zip(scales) {
        let mut acc = [v3.splat_f32x8(0.0); 2];
        for (q, x) in q.iter().zip(x) {
            let wide: i16x16 = v3.convert_i8x16_to_i16x16(*q);
            let halves: [i16x8; 2] = pulp::bytemuck::cast(wide);
            for ((a, h), x) in acc.iter_mut().zip(halves).zip(x) {
                *a = v3.mul_add_f32x8(v3.convert_i32x8_to_f32x8(v3.convert_i16x8_to_i32x8(h)), *x, *a);
            }
        }
        let s = v3.splat_f32x8(*s);
        for (t, a) in total.iter_mut().zip(acc) {
            *t = v3.mul_add_f32x8(s, a, *t);
        }
    }
    pulp::Simd::reduce_sum_f32s(v3, v3.add_f32x8(total[0], total[1]))
}

/// A dot product in 16 independent lanes, so that it vectorises.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let (ac, bc) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ac.remainder().iter().zip(bc.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ac.zip(bc) {
        for ((a, x), y) in acc.iter_mut().zip(x).zip(y) {
            *a += x * y;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// [`Op::Mul`]: the same shapes element by element, or an image by a
/// `1x1` image of its channels.
#[inline(always)]
fn multiply(x: &Value, y: &Value, spare: &mut Spare) -> Result<Value, String> {
    if x.shape == y.shape {
        let mut data = spare.take(x.data.len());
        data.iter_mut().zip(x.data.iter().zip(&y.data)).for_each(|(d, (a, b))| *d = a * b);
        return Ok(Value { shape: x.shape.clone(), data });
    }
    let (image, channels) = match (&x.shape, &y.shape) {
        (Shape::Image { c, .. }, Shape::Image { h: 1, w: 1, c: k }) if c == k => (x, &y.data),
        (Shape::Image { h: 1, w: 1, c: k }, Shape::Image { c, .. }) if c == k => (y, &x.data),
        _ => return Err(format!("multiplying {:?} and {:?}", x.shape, y.shape)),
    };
    let (_, _, c) = image_dims(image)?;
    let mut data = spare.copy(&image.data);
    for row in data.chunks_exact_mut(c) {
        row.iter_mut().zip(channels).for_each(|(v, s)| *v *= s);
    }
    Ok(Value { shape: image.shape.clone(), data })
}

#[inline(always)]
fn max_pool(x: &Value, k: usize, s: usize, spare: &mut Spare) -> Result<Value, String> {
    let (h, w, c) = image_dims(x)?;
    if h < k || w < k {
        return Err(format!("{h}x{w} is smaller than the pooling window"));
    }
    let (oh, ow) = ((h - k) / s + 1, (w - k) / s + 1);
    let mut data = spare.take(oh * ow * c);
    data.fill(f32::NEG_INFINITY);
    for oy in 0..oh {
        for ox in 0..ow {
            let out = &mut data[(oy * ow + ox) * c..][..c];
            for ky in 0..k {
                for kx in 0..k {
                    let src = &x.data[((oy * s + ky) * w + ox * s + kx) * c..][..c];
                    out.iter_mut().zip(src).for_each(|(o, v)| *o = o.max(*v));
                }
            }
        }
    }
    Value::image(oh, ow, c, data)
}

#[inline(always)]
fn upsample(x: &Value, f: usize) -> Result<Value, String> {
    let (h, w, c) = image_dims(x)?;
    let (oh, ow) = (h * f, w * f);
    let mut data = Vec::with_capacity(oh * ow * c);
    for oy in 0..oh {
        let row = &x.data[(oy / f) * w * c..][..w * c];
        for ox in 0..ow {
            data.extend_from_slice(&row[(ox / f) * c..][..c]);
        }
    }
    Value::image(oh, ow, c, data)
}

impl Conv {
    #[inline(always)]
    fn run(&self, x: &Value, spare: &mut Spare) -> Result<Value, String> {
        let (h, w, c) = image_dims(x)?;
        if c != self.cin {
            return Err(format!("{c} channels in, expected {}", self.cin));
        }
        let [kh, kw] = self.kernel;
        let [sy, sx] = self.stride;
        let [pt, pl, pb, pr] = self.pads;
        let (ph, pw) = (h + pt + pb, w + pl + pr);
        if ph < kh || pw < kw {
            return Err(format!("{h}x{w} input is smaller than the {kh}x{kw} kernel"));
        }
        let (oh, ow) = ((ph - kh) / sy + 1, (pw - kw) / sx + 1);
        // Every path below writes each output before anything reads it (the products store
        // whole tiles; the convolutions start each pixel from the bias).
        let mut out = spare.take(oh * ow * self.cout);
        match (&self.int8, &self.product) {
            // The product applies the bias and the activation itself.
            (Some(q), _) => self.product(|a, out| q.mul(a, out), x, (h, w), (oh, ow), &mut out, spare)?,
            (None, Some(product)) => self.product(|a, out| product.mul(a, out), x, (h, w), (oh, ow), &mut out, spare)?,
            (None, None) if self.depthwise => {
                self.depthwise(x, (h, w), (oh, ow), &mut out);
                self.activation.apply(&mut out, self.cout);
            }
            (None, None) => {
                self.direct(x, (h, w), (oh, ow), &mut out);
                self.activation.apply(&mut out, self.cout);
            }
        }
        Value::image(oh, ow, self.cout, out)
    }

    /// Packs the weights of a dense convolution that runs as a matrix
    /// product: every one but the first layers' few-input ones, which
    /// [`Conv::direct`] sums in registers.
    fn packed(mut self) -> Conv {
        let pointwise = self.kernel == [1, 1] && self.stride == [1, 1] && self.pads == [0; 4];
        let direct = !pointwise && self.cout.is_multiple_of(LANES) && self.kernel[0] * self.kernel[1] * self.cin <= 32;
        if !self.depthwise && !direct {
            let slopes = self.slopes();
            let k = self.kernel[0] * self.kernel[1] * self.cin;
            self.product = Some(Packed::new(&self.weights, k, self.cout, &self.bias, slopes.as_deref()));
        }
        self
    }

    /// Input row and column read by output `(o, tap)`, if inside the image.
    fn source(o: usize, tap: usize, stride: usize, pad: usize, size: usize) -> Option<usize> {
        (o * stride + tap).checked_sub(pad).filter(|&i| i < size)
    }

    /// The outputs along `axis` (0 rows, 1 columns) whose every tap reads
    /// inside the image: there the loops need no bounds checks per tap.
    fn interior(&self, out_len: usize, in_len: usize, axis: usize) -> Range<usize> {
        let (k, s, p) = (self.kernel[axis], self.stride[axis], self.pads[axis]);
        let lo = p.div_ceil(s).min(out_len);
        // Last o with o * s - p + k - 1 < in_len.
        let hi = if in_len + p >= k { ((in_len + p - k) / s + 1).min(out_len) } else { 0 };
        lo..hi.max(lo)
    }

    /// Channels-last depthwise convolution: inside the image a 3x3 kernel
    /// runs in [`Interior`]; borders and other shapes take the general loop.
    #[inline(always)]
    fn depthwise(&self, x: &Value, (h, w): (usize, usize), (oh, ow): (usize, usize), out: &mut [f32]) {
        let fast = self.kernel == [3, 3];
        let inside = fast.then(|| self.interior_pixels((h, w), (oh, ow)));
        if let Some((rows, cols)) = inside.clone() {
            pulp::Arch::new().dispatch(Interior { conv: self, x: &x.data, w, ow, rows, cols, out: &mut *out });
        }
        self.general(x, (h, w), (oh, ow), out, inside);
    }

    /// A dense convolution with few inputs per output (the first layer of
    /// each network: 3x3 over 3 colours), summed directly in registers; the
    /// matrix product would spend more on im2col and packing than on maths.
    #[inline(always)]
    fn direct(&self, x: &Value, (h, w): (usize, usize), (oh, ow): (usize, usize), out: &mut [f32]) {
        let (rows, cols) = self.interior_pixels((h, w), (oh, ow));
        pulp::Arch::new().dispatch(Interior { conv: self, x: &x.data, w, ow, rows: rows.clone(), cols: cols.clone(), out: &mut *out });
        self.general(x, (h, w), (oh, ow), out, Some((rows, cols)));
    }

    /// The output rows and columns whose every tap reads inside the image.
    fn interior_pixels(&self, (h, w): (usize, usize), (oh, ow): (usize, usize)) -> (Range<usize>, Range<usize>) {
        (self.interior(oh, h, 0), self.interior(ow, w, 1))
    }

    /// Every output pixel outside `inside` (rows, columns), the plain way:
    /// each tap checked against the image's edges.
    #[inline(always)]
    fn general(
        &self,
        x: &Value,
        (h, w): (usize, usize),
        (oh, ow): (usize, usize),
        out: &mut [f32],
        inside: Option<(Range<usize>, Range<usize>)>,
    ) {
        let (cin, cout) = (self.cin, self.cout);
        let [kh, kw] = self.kernel;
        for oy in 0..oh {
            for ox in 0..ow {
                if inside.as_ref().is_some_and(|(rows, cols)| rows.contains(&oy) && cols.contains(&ox)) {
                    continue;
                }
                let acc = &mut out[(oy * ow + ox) * cout..][..cout];
                acc.copy_from_slice(&self.bias);
                for ky in 0..kh {
                    let Some(iy) = Self::source(oy, ky, self.stride[0], self.pads[0], h) else { continue };
                    for kx in 0..kw {
                        let Some(ix) = Self::source(ox, kx, self.stride[1], self.pads[1], w) else { continue };
                        let (src, tap) = (&x.data[(iy * w + ix) * cin..][..cin], ky * kw + kx);
                        if self.depthwise {
                            let k = &self.weights[tap * cout..][..cout];
                            acc.iter_mut().zip(src).zip(k).for_each(|((a, v), k)| *a += v * k);
                        } else {
                            for (ci, v) in src.iter().enumerate() {
                                let k = &self.weights[(tap * cin + ci) * cout..][..cout];
                                acc.iter_mut().zip(k).for_each(|(a, k)| *a += v * k);
                            }
                        }
                    }
                }
            }
        }
    }

    /// A dense convolution as one matrix product: pixels times their
    /// inputs (the image itself for a 1x1 convolution, else im2col) times
    /// the packed weights.
    #[inline(always)]
    fn product(
        &self,
        mul: impl FnOnce(&[f32], &mut [f32]) -> Result<(), String>,
        x: &Value,
        (h, w): (usize, usize),
        (oh, ow): (usize, usize),
        out: &mut [f32],
        spare: &mut Spare,
    ) -> Result<(), String> {
        let [kh, kw] = self.kernel;
        let cin = self.cin;
        let k = kh * kw * cin;
        if kh == 1 && kw == 1 && self.stride == [1, 1] && self.pads == [0; 4] {
            return mul(&x.data, out);
        }
        // im2col: one row of kh*kw*cin inputs per output pixel, zeros for the taps outside the
        // image (written here: a spare buffer holds old numbers).
        let mut m = spare.take(oh * ow * k);
        for oy in 0..oh {
            for ox in 0..ow {
                let row = &mut m[(oy * ow + ox) * k..][..k];
                for ky in 0..kh {
                    let iy = Self::source(oy, ky, self.stride[0], self.pads[0], h);
                    for kx in 0..kw {
                        let dst = &mut row[(ky * kw + kx) * cin..][..cin];
                        match (iy, Self::source(ox, kx, self.stride[1], self.pads[1], w)) {
                            (Some(iy), Some(ix)) => dst.copy_from_slice(&x.data[(iy * w + ix) * cin..][..cin]),
                            _ => dst.fill(0.0),
                        }
                    }
                }
            }
        }
        let done = mul(&m, out);
        spare.give(m);
        done
    }

    /// The activation's slopes as the products take them: `None` for none,
    /// zeros for a ReLU.
    fn slopes(&self) -> Option<Vec<f32>> {
        match &self.activation {
            Activation::None => None,
            Activation::Relu => Some(vec![0.0; self.cout]),
            Activation::Prelu(s) => Some(s.clone()),
        }
    }
}

/// The inside of a convolution (the output pixels whose every tap reads the
/// image), in explicit SIMD: a 3x3 depthwise one, or a dense one with few
/// inputs per output (see [`Conv::direct`]).
struct Interior<'a> {
    conv: &'a Conv,
    x: &'a [f32],
    w: usize,
    ow: usize,
    rows: Range<usize>,
    cols: Range<usize>,
    out: &'a mut [f32],
}

impl pulp::WithSimd for Interior<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) {
        let width = std::mem::size_of::<S::f32s>() / std::mem::size_of::<f32>();
        match (self.conv.depthwise, self.conv.cout / width) {
            (true, _) => self.depthwise(simd),
            (false, 1) => self.direct::<S, 1>(simd),
            (false, 2) => self.direct::<S, 2>(simd),
            (false, 3) => self.direct::<S, 3>(simd),
            (false, 4) => self.direct::<S, 4>(simd),
            (false, _) => self.direct_wide(),
        }
    }
}

impl Interior<'_> {
    /// Each register of channels is summed over the nine taps with fused
    /// multiply-adds and stored once.
    #[inline(always)]
    fn depthwise<S: pulp::Simd>(self, simd: S) {
        let Interior { conv, x, w, ow, rows, cols, out } = self;
        let c = conv.cout;
        // Whole registers of channels, then the channels left over (MiniFASNet has counts such
        // as 13, 26 and 103), one at a time.
        let (bias, bias_tail) = S::as_simd_f32s(&conv.bias);
        let head = c - bias_tail.len();
        let taps: [&[S::f32s]; 9] = std::array::from_fn(|t| S::as_simd_f32s(&conv.weights[t * c..][..c]).0);
        let tap_tails: [&[f32]; 9] = std::array::from_fn(|t| &conv.weights[t * c + head..][..c - head]);
        for oy in rows {
            let iy = oy * conv.stride[0] - conv.pads[0];
            for ox in cols.clone() {
                let ix = ox * conv.stride[1] - conv.pads[1];
                let pixels: [&[f32]; 9] = std::array::from_fn(|t| &x[((iy + t / 3) * w + ix + t % 3) * c..][..c]);
                let src: [&[S::f32s]; 9] = pixels.map(|p| S::as_simd_f32s(p).0);
                let (acc_row, acc_tail) = S::as_mut_simd_f32s(&mut out[(oy * ow + ox) * c..][..c]);
                for (j, (o, b)) in acc_row.iter_mut().zip(bias).enumerate() {
                    let mut acc = *b;
                    for (s, k) in src.iter().zip(&taps) {
                        acc = simd.mul_add_f32s(s[j], k[j], acc);
                    }
                    *o = acc;
                }
                for (j, (o, b)) in acc_tail.iter_mut().zip(bias_tail).enumerate() {
                    let mut acc = *b;
                    for (p, k) in pixels.iter().zip(&tap_tails) {
                        acc += p[head + j] * k[j];
                    }
                    *o = acc;
                }
            }
        }
    }

    /// A dense convolution whose `N` registers of output channels (the
    /// whole output) stay in registers while every input value is broadcast
    /// into them.
    #[inline(always)]
    fn direct<S: pulp::Simd, const N: usize>(self, simd: S) {
        let Interior { conv, x, w, ow, rows, cols, out } = self;
        let (cin, cout) = (conv.cin, conv.cout);
        let span = conv.kernel[1] * cin;
        let (bias, _) = S::as_simd_f32s(&conv.bias);
        let bias: [S::f32s; N] = std::array::from_fn(|n| bias[n]);
        // weights[i][n]: input i (tap-major) times output register n.
        let weights: Vec<[S::f32s; N]> =
            conv.weights.chunks_exact(cout).map(|row| S::as_simd_f32s(row).0).map(|v| std::array::from_fn(|n| v[n])).collect();
        for oy in rows {
            let iy = oy * conv.stride[0] - conv.pads[0];
            for ox in cols.clone() {
                let ix = ox * conv.stride[1] - conv.pads[1];
                let mut acc = bias;
                for ky in 0..conv.kernel[0] {
                    let row = &x[((iy + ky) * w + ix) * cin..][..span];
                    for (v, k) in row.iter().zip(&weights[ky * span..][..span]) {
                        let v = simd.splat_f32s(*v);
                        for (a, k) in acc.iter_mut().zip(k) {
                            *a = simd.mul_add_f32s(v, *k, *a);
                        }
                    }
                }
                let (dst, _) = S::as_mut_simd_f32s(&mut out[(oy * ow + ox) * cout..][..cout]);
                dst.copy_from_slice(&acc);
            }
        }
    }

    /// Wider dense outputs: the plain loop, left to the compiler.
    #[inline(always)]
    fn direct_wide(self) {
        let Interior { conv, x, w, ow, rows, cols, out } = self;
        let (cin, cout) = (conv.cin, conv.cout);
        let span = conv.kernel[1] * cin;
        for oy in rows {
            let iy = oy * conv.stride[0] - conv.pads[0];
            for ox in cols.clone() {
                let ix = ox * conv.stride[1] - conv.pads[1];
                let acc = &mut out[(oy * ow + ox) * cout..][..cout];
                acc.copy_from_slice(&conv.bias);
                for ky in 0..conv.kernel[0] {
                    for (j, v) in x[((iy + ky) * w + ix) * cin..][..span].iter().enumerate() {
                        let k = &conv.weights[(ky * span + j) * cout..][..cout];
                        acc.iter_mut().zip(k).for_each(|(a, k)| *a += v * k);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(kernel: usize, stride: usize, pad: usize, cin: usize, cout: usize, depthwise: bool, weights: Vec<f32>) -> Conv {
        Conv {
            kernel: [kernel; 2],
            stride: [stride; 2],
            pads: [pad; 4],
            cin,
            cout,
            depthwise,
            weights,
            bias: vec![0.5; cout],
            activation: Activation::None,
            product: None,
            int8: None,
        }
        .packed()
    }

    /// Direct NCHW-style convolution, written the obvious way.
    fn reference(x: &Value, c: &Conv) -> Vec<f32> {
        let (h, w, cin) = image_dims(x).unwrap();
        let [k, _] = c.kernel;
        let (s, p) = (c.stride[0], c.pads[0]);
        let (oh, ow) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
        let mut out = vec![0f32; oh * ow * c.cout];
        for oy in 0..oh {
            for ox in 0..ow {
                for co in 0..c.cout {
                    let mut acc = c.bias[co];
                    for ky in 0..k {
                        for kx in 0..k {
                            let (iy, ix) = ((oy * s + ky) as isize - p as isize, (ox * s + kx) as isize - p as isize);
                            if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                continue;
                            }
                            let at = |ci: usize| x.data[(iy as usize * w + ix as usize) * cin + ci];
                            let t = ky * k + kx;
                            if c.depthwise {
                                acc += at(co) * c.weights[t * c.cout + co];
                            } else {
                                for ci in 0..cin {
                                    acc += at(ci) * c.weights[(t * cin + ci) * c.cout + co];
                                }
                            }
                        }
                    }
                    out[(oy * ow + ox) * c.cout + co] = acc;
                }
            }
        }
        out
    }

    fn ramp(n: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * 37) % 23) as f32 / 7.0 - 1.5).collect()
    }

    #[test]
    fn convolutions_match_the_textbook_definition() {
        // Channel counts reach every path: the matrix product (with and without
        // im2col), the direct sum for few inputs, and the depthwise loops with
        // whole blocks of LANES channels, a partial block, or fewer channels.
        for channels in [3, 4, 16, 20] {
            let x = Value::image(9, 7, channels, ramp(9 * 7 * channels)).unwrap();
            for (k, s, p) in [(1, 1, 0), (3, 1, 1), (3, 2, 1), (3, 2, 0)] {
                let dense = conv(k, s, p, channels, 5, false, ramp(k * k * channels * 5));
                let wide = conv(k, s, p, channels, 16, false, ramp(k * k * channels * 16));
                let dw = conv(k, s, p, channels, channels, true, ramp(k * k * channels));
                for c in [dense, wide, dw] {
                    let got = c.run(&x, &mut Spare::default()).unwrap();
                    // Reused buffers full of NaN (longer, shorter, as long): any element a
                    // path failed to write (an im2col tap outside the image, a border pixel)
                    // would show.
                    let mut dirty = Spare::default();
                    for n in [got.data.len() * 9 + 5, got.data.len() / 2, got.data.len()] {
                        dirty.give(vec![f32::NAN; n]);
                    }
                    let again = c.run(&x, &mut dirty).unwrap();
                    assert!(
                        got.data.iter().zip(&again.data).all(|(a, b)| a.to_bits() == b.to_bits()),
                        "a reused buffer changed the output"
                    );
                    let want = reference(&x, &c);
                    let what = format!("{channels} channels, kernel {k} stride {s} pad {p}, {} out, depthwise {}", c.cout, c.depthwise);
                    assert_eq!(got.data.len(), want.len(), "{what}");
                    for (g, w) in got.data.iter().zip(&want) {
                        assert!((g - w).abs() < 1e-3, "{what}: {g} vs {w}");
                    }
                }
            }
        }
    }

    #[test]
    fn eight_bit_products_stay_within_their_rounding_bound_on_real_layer_inputs() {
        use crate::models::{MINIFASNET_V1SE, SFACE};
        for kernel in crate::int8::tests::kernels() {
            let photo = image::load_from_memory(include_bytes!("../tests/fixtures/obama-1.jpg")).unwrap().to_rgb8();
            for (model, size) in [(&SFACE, 112), (&MINIFASNET_V1SE, 80)] {
                let network = model.load().unwrap();
                let small = image::imageops::resize(&photo, size, size, image::imageops::FilterType::Triangle);
                let n = size as usize;
                let mut slots: Vec<Option<Value>> = vec![None; network.slots];
                slots[network.input] = Some(Value::image(n, n, 3, small.as_raw().iter().map(|&v| f32::from(v)).collect()).unwrap());
                let mut checked = 0;
                for (step, frees) in network.steps.iter().zip(&network.frees) {
                    let inputs: Vec<&Value> = step.inputs.iter().map(|&s| slots[s].as_ref().unwrap()).collect();
                    if let Op::Conv(c) = &step.op {
                        // A pointwise layer's input is its matrix as it is: the activations the float network computed.
                        if let (Some(product), [1, 1], [1, 1], [0, 0, 0, 0]) = (&c.product, c.kernel, c.stride, c.pads) {
                            let a = &inputs[0].data;
                            let m = a.len() / c.cin;
                            let (mut float, mut int8) = (vec![0f32; m * c.cout], vec![0f32; m * c.cout]);
                            product.mul(a, &mut float).unwrap();
                            let slopes = c.slopes();
                            Quantised::new(&c.weights, c.cin, c.cout, &c.bias, slopes.as_deref(), kernel).mul(a, &mut int8).unwrap();
                            for r in 0..m {
                                for o in 0..c.cout {
                                    let (f, q) = (float[r * c.cout + o], int8[r * c.cout + o]);
                                    let b = crate::int8::tests::bound(a, &c.weights, c.cin, c.cout, r, o);
                                    assert!(
                                        (f - q).abs() <= b,
                                        "{} {} {}: ({r}, {o}) float {f}, int8 {q}, bound {b}",
                                        kernel.name(),
                                        model.name,
                                        step.name
                                    );
                                }
                            }
                            checked += 1;
                        }
                    }
                    let out = step.op.run(&inputs, &mut Spare::default()).unwrap();
                    for &s in frees {
                        slots[s] = None;
                    }
                    slots[step.output] = Some(out);
                }
                assert!(checked >= 10, "{}: only {checked} pointwise layers", model.name);
            }
        }
    }

    #[test]
    fn multiply_adds_count_every_tap_of_every_output() {
        let x = Value::image(6, 7, 4, ramp(6 * 7 * 4)).unwrap();
        let dense = conv(3, 1, 1, 4, 5, false, ramp(9 * 4 * 5));
        let out = dense.run(&x, &mut Spare::default()).unwrap();
        // 6x7 outputs of 5 channels, each summing 3x3 taps of 4 channels.
        assert_eq!(Op::Conv(Box::new(dense)).multiply_adds(&out), 6 * 7 * 5 * 9 * 4);
        let dw = conv(3, 2, 1, 4, 4, true, ramp(9 * 4));
        let out = dw.run(&x, &mut Spare::default()).unwrap();
        // Stride 2: 3x4 outputs of 4 channels, each summing 3x3 taps of its own channel.
        assert_eq!(Op::Conv(Box::new(dw)).multiply_adds(&out), 3 * 4 * 4 * 9);
        assert_eq!(Op::Add.multiply_adds(&out), 0);
    }

    #[test]
    fn pooling_upsampling_and_flatten_follow_onnx() {
        let x = Value::image(2, 2, 2, vec![1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 4.0, -4.0]).unwrap();
        assert_eq!(max_pool(&x, 2, 2, &mut Spare::default()).unwrap().data, vec![4.0, -1.0]);
        let up = upsample(&x, 2).unwrap();
        assert_eq!(up.shape, Shape::Image { h: 4, w: 4, c: 2 });
        // Row 1 of the output repeats row 0 of the input, each pixel twice.
        assert_eq!(&up.data[8..16], &[1.0, -1.0, 1.0, -1.0, 2.0, -2.0, 2.0, -2.0]);
        let flat = Op::Flatten.run(&[&x], &mut Spare::default()).unwrap();
        assert_eq!(flat.data, vec![1.0, 2.0, 3.0, 4.0, -1.0, -2.0, -3.0, -4.0]);
        assert_eq!(reshape(&[1, 4, 5, 6], &[0, -1, 6]).unwrap(), vec![1, 20, 6]);
        assert!(reshape(&[1, 4, 5, 6], &[7, -1]).is_err());
    }

    /// Runs a bundled model in tract-onnx and here, on a real photo.
    fn both_runtimes(model: &crate::models::BundledModel, size: u32) -> Vec<(String, Vec<f32>, Vec<f32>)> {
        use prost::Message;
        use tract_onnx::prelude::*;

        let photo = image::load_from_memory(include_bytes!("../tests/fixtures/obama-1.jpg")).unwrap().to_rgb8();
        let photo = image::imageops::resize(&photo, size, size, image::imageops::FilterType::Triangle);
        let n = size as usize;
        let ours =
            model.load().unwrap().run(Value::image(n, n, 3, photo.as_raw().iter().map(|&v| f32::from(v)).collect()).unwrap()).unwrap();

        let bytes = model.folded().unwrap().0.encode_to_vec();
        let plan = tract_onnx::onnx()
            .with_ignore_value_info(true)
            .model_for_read(&mut &bytes[..])
            .and_then(|m| m.with_input_fact(0, f32::fact([1, 3, n, n]).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .unwrap();
        let nchw = tract_ndarray::Array4::from_shape_fn((1, 3, n, n), |(_, c, y, x)| f32::from(photo.get_pixel(x as u32, y as u32)[c]));
        let theirs = plan.run(tvec!(Tensor::from(nchw).into())).unwrap();
        let names = model.load().unwrap().output_names();
        assert_eq!(ours.len(), theirs.len());
        names
            .into_iter()
            .zip(ours)
            .zip(theirs.iter())
            .map(|((name, o), t)| (name, o.data, t.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec()))
            .collect()
    }

    #[test]
    fn agrees_with_tract() {
        use crate::models::{MINIFASNET_V1SE, MINIFASNET_V2, SFACE, YUNET};
        for (model, size) in [(&YUNET, 320), (&SFACE, 112), (&MINIFASNET_V2, 80), (&MINIFASNET_V1SE, 80)] {
            for (name, ours, theirs) in both_runtimes(model, size) {
                assert_eq!(ours.len(), theirs.len(), "{}: {name}", model.name);
                let scale = theirs.iter().fold(1.0f32, |m, v| m.max(v.abs()));
                let worst = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
                assert!(worst <= 1e-4 * scale, "{}: output {name} differs by {worst} (values up to {scale})", model.name);
            }
        }
    }

    fn node(op: &str, inputs: &[&str], output: &str, attributes: Vec<crate::onnx::AttributeProto>) -> NodeProto {
        NodeProto {
            name: format!("{op}_{output}"),
            op_type: op.into(),
            input: inputs.iter().map(|i| (*i).to_owned()).collect(),
            output: vec![output.into()],
            attribute: attributes,
            ..Default::default()
        }
    }

    fn ints(name: &str, values: &[i64]) -> crate::onnx::AttributeProto {
        crate::onnx::AttributeProto { name: name.into(), ints: values.to_vec(), r#type: 7, ..Default::default() }
    }

    fn weights(name: &str, dims: &[i64], seed: usize) -> TensorProto {
        let n = dims.iter().product::<i64>() as usize;
        let float_data = (0..n).map(|i| (((i + seed) * 7919) % 101) as f32 / 50.0 - 1.0).collect();
        TensorProto { name: name.into(), dims: dims.to_vec(), data_type: crate::onnx::FLOAT, float_data, ..Default::default() }
    }

    /// A batch normalisation's four parameter tensors for `n` channels, named `{name}.*`.
    fn batch_norm_params(name: &str, n: i64) -> Vec<TensorProto> {
        let mut params =
            vec![weights(&format!("{name}.g"), &[n], 1), weights(&format!("{name}.b"), &[n], 2), weights(&format!("{name}.m"), &[n], 3)];
        let mut var = weights(&format!("{name}.v"), &[n], 4);
        var.float_data.iter_mut().for_each(|v| *v = v.abs() + 0.1);
        params.push(var);
        params
    }

    /// ONNX's `TypeProto` for a float tensor, as tract wants on a graph input.
    #[derive(Clone, PartialEq, prost::Message)]
    struct TypeProto {
        #[prost(message, optional, tag = "1")]
        tensor_type: Option<TensorTypeProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    struct TensorTypeProto {
        #[prost(int32, tag = "1")]
        elem_type: i32,
        #[prost(message, optional, tag = "2")]
        shape: Option<ShapeProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    struct ShapeProto {
        #[prost(message, repeated, tag = "1")]
        dim: Vec<DimProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    struct DimProto {
        #[prost(int64, tag = "1")]
        dim_value: i64,
    }

    /// Runs a one-input graph (input `x` of `[1, c, h, w]`, output `y`) here and in tract.
    fn tiny_graph(nodes: Vec<NodeProto>, initializer: Vec<TensorProto>, (c, h, w): (usize, usize, usize)) -> (Vec<f32>, Vec<f32>) {
        use crate::onnx::{ModelProto, OperatorSetIdProto, ValueInfoProto};
        use prost::Message;
        use tract_onnx::prelude::*;

        let graph = GraphProto {
            node: nodes,
            name: "tiny".into(),
            initializer,
            input: vec![ValueInfoProto { name: "x".into(), r#type: float_type(&[1, c, h, w]) }],
            output: vec![ValueInfoProto { name: "y".into(), r#type: float_type(&[]) }],
        };
        let model = ModelProto {
            ir_version: 8,
            producer_name: "nn tests".into(),
            graph: Some(graph.clone()),
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 17 }],
        };
        let x: Vec<f32> = (0..c * h * w).map(|i| ((i * 31) % 17) as f32 / 4.0 - 2.0).collect();
        // Ours takes channels-last data.
        let nhwc = (0..h * w).flat_map(|p| (0..c).map(move |ch| (p, ch))).map(|(p, ch)| x[ch * h * w + p]).collect();
        let ours = Network::compile(graph, &HashMap::new()).unwrap().run(Value::image(h, w, c, nhwc).unwrap()).unwrap().remove(0);
        let ours = match ours.shape {
            // Back to ONNX's channel-major order to compare.
            Shape::Image { h, w, c } => {
                (0..c).flat_map(|ch| (0..h * w).map(move |p| (p, ch))).map(|(p, ch)| ours.data[p * c + ch]).collect()
            }
            Shape::Flat(_) => ours.data,
        };
        let bytes = model.encode_to_vec();
        let plan = tract_onnx::onnx()
            .with_ignore_value_info(true)
            .model_for_read(&mut &bytes[..])
            .and_then(|m| m.with_input_fact(0, f32::fact([1, c, h, w]).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .unwrap();
        let input = tract_ndarray::Array4::from_shape_vec((1, c, h, w), x).unwrap();
        let theirs = plan.run(tvec!(Tensor::from(input).into())).unwrap();
        (ours, theirs[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec())
    }

    fn float_type(dims: &[usize]) -> Vec<u8> {
        use prost::Message;
        let dim = dims.iter().map(|&d| DimProto { dim_value: d as i64 }).collect();
        let shape = (!dims.is_empty()).then_some(ShapeProto { dim });
        TypeProto { tensor_type: Some(TensorTypeProto { elem_type: crate::onnx::FLOAT, shape }) }.encode_to_vec()
    }

    fn assert_close(what: &str, (ours, theirs): (Vec<f32>, Vec<f32>)) {
        assert_eq!(ours.len(), theirs.len(), "{what}: lengths");
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "{what}[{i}]: {a} here, {b} in tract");
        }
    }

    #[test]
    fn pooling_flatten_and_matrix_products_agree_with_tract() {
        // MiniFASNet's head: a product with a constant, a batch normalisation folded into it, another product.
        let nodes = vec![
            node("GlobalAveragePool", &["x"], "p", vec![]),
            node("Flatten", &["p"], "f", vec![]),
            node("MatMul", &["f", "w1"], "m", vec![]),
            node("BatchNormalization", &["m", "bn.g", "bn.b", "bn.m", "bn.v"], "n", vec![]),
            node("MatMul", &["n", "w2"], "y", vec![]),
        ];
        let mut inits = vec![weights("w1", &[6, 5], 0), weights("w2", &[5, 3], 9)];
        inits.extend(batch_norm_params("bn", 5));
        assert_close("head", tiny_graph(nodes, inits, (6, 4, 3)));
    }

    #[test]
    fn a_lone_batch_norm_relu_and_sigmoid_agree_with_tract() {
        // On an image, and on a flat tensor (nothing before them to fold into).
        let nodes = vec![
            node("BatchNormalization", &["x", "a.g", "a.b", "a.m", "a.v"], "n", vec![]),
            node("Relu", &["n"], "r", vec![]),
            node("Sigmoid", &["r"], "y", vec![]),
        ];
        assert_close("image", tiny_graph(nodes, batch_norm_params("a", 4), (4, 3, 5)));
        let nodes = vec![
            node("Flatten", &["x"], "f", vec![]),
            node("BatchNormalization", &["f", "a.g", "a.b", "a.m", "a.v"], "n", vec![]),
            node("Relu", &["n"], "y", vec![]),
        ];
        assert_close("flat", tiny_graph(nodes, batch_norm_params("a", 12), (4, 1, 3)));
    }

    #[test]
    fn squeeze_and_excitation_agrees_with_tract() {
        // MiniFASNet V1SE's block: pool, two 1x1 convolutions, sigmoid, channel weights multiplied in.
        for swapped in [false, true] {
            let mul = if swapped { ["s", "x"] } else { ["x", "s"] };
            let nodes = vec![
                node("GlobalAveragePool", &["x"], "p", vec![]),
                node("Conv", &["p", "w1", "b1"], "c1", vec![ints("kernel_shape", &[1, 1])]),
                node("Relu", &["c1"], "r", vec![]),
                node("Conv", &["r", "w2", "b2"], "c2", vec![ints("kernel_shape", &[1, 1])]),
                node("Sigmoid", &["c2"], "s", vec![]),
                node("Mul", &mul, "y", vec![]),
            ];
            let inits =
                vec![weights("w1", &[2, 8, 1, 1], 0), weights("b1", &[2], 1), weights("w2", &[8, 2, 1, 1], 2), weights("b2", &[8], 3)];
            assert_close("squeeze and excitation", tiny_graph(nodes, inits, (8, 5, 4)));
        }
    }

    #[test]
    fn a_product_with_a_computed_matrix_is_refused_by_name() {
        let nodes = vec![node("Flatten", &["x"], "f", vec![]), node("MatMul", &["f", "f"], "y", vec![])];
        let graph = GraphProto {
            node: nodes,
            input: vec![crate::onnx::ValueInfoProto { name: "x".into(), ..Default::default() }],
            output: vec![crate::onnx::ValueInfoProto { name: "y".into(), ..Default::default() }],
            ..Default::default()
        };
        let err = Network::compile(graph, &HashMap::new()).unwrap_err();
        assert!(err.contains("MatMul_y") && err.contains("constant"), "{err}");
    }

    #[test]
    fn batched_block_products_are_bit_for_bit_the_single_ones() {
        // Blocks of 32 take the AVX2 loop (several slices of columns, the last one partial);
        // blocks of 24 the plain one. One input, and several.
        for (block, per_row) in [(32, 150), (24, 7)] {
            let (rows, k) = (5, block * per_row);
            let q: Vec<i8> = (0..rows * k).map(|i| ((i * 7919) % 255) as i8).collect();
            let scales: Vec<f32> = (0..rows * per_row).map(|i| 0.001 + ((i * 13) % 17) as f32 * 1e-4).collect();
            let xs: Vec<Vec<f32>> = (0..6).map(|s| (0..k).map(|i| (((i + 31 * s) * 37) % 101) as f32 / 9.0 - 5.0).collect()).collect();
            for n in [1, 6] {
                let refs: Vec<&[f32]> = xs.iter().take(n).map(Vec::as_slice).collect();
                let batch = dots_i8_blocks(&q, rows, k, block, &scales, &refs);
                for (i, x) in refs.iter().enumerate() {
                    for o in 0..rows {
                        let one = dot_i8_blocks(&q[o * k..][..k], x, block, &scales[o * per_row..][..per_row]);
                        assert_eq!(batch[i * rows + o].to_bits(), one.to_bits(), "block {block}, {n} inputs: input {i}, row {o}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_batch_gives_each_input_exactly_its_own_outputs() {
        use crate::models::{MINIFASNET_V2, SFACE};
        let photo = image::load_from_memory(include_bytes!("../tests/fixtures/obama-1.jpg")).unwrap().to_rgb8();
        // SFace ends in the int8-block layer that runs batched; MiniFASNet has none.
        for (model, size) in [(&SFACE, 112u32), (&MINIFASNET_V2, 80)] {
            let network = model.load().unwrap();
            let n = size as usize;
            let inputs: Vec<Value> = [(0, 0, 400, 400), (50, 20, 300, 360), (100, 80, 250, 250)]
                .into_iter()
                .map(|(x, y, w, h)| {
                    let crop = image::imageops::crop_imm(&photo, x, y, w, h).to_image();
                    let small = image::imageops::resize(&crop, size, size, image::imageops::FilterType::Triangle);
                    Value::image(n, n, 3, small.as_raw().iter().map(|&v| f32::from(v)).collect()).unwrap()
                })
                .collect();
            let batch = network.run_batch(inputs.clone()).unwrap();
            assert_eq!(batch.len(), inputs.len());
            for (i, (input, outputs)) in inputs.into_iter().zip(&batch).enumerate() {
                let alone = network.run(input).unwrap();
                let bits = |v: &[Value]| v.iter().map(|o| o.data.iter().map(|f| f.to_bits()).collect::<Vec<_>>()).collect::<Vec<_>>();
                assert_eq!(bits(outputs), bits(&alone), "{}: input {i}", model.name);
            }
        }
    }

    #[test]
    fn dot_products_cover_the_tail() {
        let a = ramp(37);
        let want: f32 = a.iter().map(|v| v * v).sum();
        assert!((dot(&a, &a) - want).abs() < 1e-3);
    }
}
