//! Reading a `.tflite` file into a graph and running it.
//!
//! Field numbers follow `tensorflow/lite/schema/schema.fbs` (schema version 3).

use std::collections::HashMap;
use std::sync::Arc;

use super::fb::Table;
use super::ops::{self, Activation, Conv, Padding, Pool};
use super::TfliteError;

type Result<T> = std::result::Result<T, TfliteError>;

/// A decoded constant: weights and parameters, always dense.
#[derive(Clone, Debug)]
pub(crate) enum Const {
    F32(Arc<Vec<f32>>),
    I32(Arc<Vec<i32>>),
}

#[derive(Clone, Debug)]
pub(crate) struct TensorDef {
    pub name: String,
    pub shape: Vec<usize>,
}

#[derive(Clone, Debug)]
pub(crate) enum OpKind {
    Conv2d(Conv),
    DepthwiseConv2d(Conv),
    MaxPool(Pool),
    AvgPool(Pool),
    Add(Activation),
    Mul(Activation),
    Concat {
        axis: i32,
        activation: Activation,
    },
    Reshape,
    Pad,
    Prelu,
    Relu,
    Relu6,
    Logistic,
    Tanh,
    ResizeBilinear {
        align_corners: bool,
        half_pixel_centers: bool,
    },
    DepthToSpace {
        block: usize,
    },
    /// Mean over constant axes; the output shape already says whether dimensions are kept.
    Mean,
    Softmax {
        beta: f32,
    },
    /// DEQUANTIZE and DENSIFY: constants are decoded at load, so at run time they copy.
    Identity,
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub kind: OpKind,
    /// `None` for an optional input the model leaves out (a convolution without bias).
    pub inputs: Vec<Option<usize>>,
    pub outputs: Vec<usize>,
}

/// A loaded model: tensors, decoded constants and operators in execution order.
#[derive(Debug)]
pub struct Model {
    pub(crate) tensors: Vec<TensorDef>,
    pub(crate) constants: HashMap<usize, Const>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) inputs: Vec<usize>,
    pub(crate) outputs: Vec<usize>,
}

// BuiltinOperator codes used by the models we run.
const ADD: i32 = 0;
const AVERAGE_POOL_2D: i32 = 1;
const CONCATENATION: i32 = 2;
const CONV_2D: i32 = 3;
const DEPTHWISE_CONV_2D: i32 = 4;
const DEPTH_TO_SPACE: i32 = 5;
const DEQUANTIZE: i32 = 6;
const LOGISTIC: i32 = 14;
const MAX_POOL_2D: i32 = 17;
const MUL: i32 = 18;
const RELU: i32 = 19;
const RELU6: i32 = 21;
const RESHAPE: i32 = 22;
const RESIZE_BILINEAR: i32 = 23;
const SOFTMAX: i32 = 25;
const TANH: i32 = 28;
const PAD: i32 = 34;
const MEAN: i32 = 40;
const PRELU: i32 = 54;
const DENSIFY: i32 = 124;

// TensorType codes.
const FLOAT32: u8 = 0;
const FLOAT16: u8 = 1;
const INT32: u8 = 2;
const UINT8: u8 = 3;
const INT64: u8 = 4;
const INT8: u8 = 9;

impl Model {
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| TfliteError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(buf: &[u8]) -> Result<Self> {
        if buf.get(4..8) != Some(b"TFL3") {
            return Err(TfliteError::Corrupt("missing the TFL3 identifier".into()));
        }
        let root = Table::root(buf)?;
        let codes = root
            .tables(1)?
            .iter()
            .map(|c| {
                // Files written before code 127 existed keep it in the deprecated byte; newer
                // ones in the int. The larger of the two is the real one.
                let deprecated = c.u8(0, 0)? as i32;
                let builtin = c.i32(3, 0)?;
                Ok(deprecated.max(builtin))
            })
            .collect::<Result<Vec<i32>>>()?;
        let buffers = root.tables(4)?;
        let subgraphs = root.tables(2)?;
        let graph = subgraphs
            .first()
            .ok_or_else(|| TfliteError::Corrupt("no subgraph".into()))?;

        let mut tensors = Vec::new();
        let mut constants = HashMap::new();
        for (index, t) in graph.tables(0)?.iter().enumerate() {
            let shape = t
                .i32s(0)?
                .into_iter()
                .map(|d| usize::try_from(d).unwrap_or(1))
                .collect::<Vec<_>>();
            let name = t.string(3)?;
            let data = match buffers.get(t.u32(2, 0)? as usize) {
                Some(b) => buffer_bytes(buf, b)?,
                None => &[],
            };
            if !data.is_empty() {
                let value = decode_constant(t, data, &shape)
                    .map_err(|e| annotate(e, &format!("tensor {name:?}")))?;
                constants.insert(index, value);
            }
            tensors.push(TensorDef { name, shape });
        }

        let mut nodes = Vec::new();
        for op in graph.tables(3)? {
            let code = *codes
                .get(op.u32(0, 0)? as usize)
                .ok_or_else(|| TfliteError::Corrupt("opcode index out of range".into()))?;
            let inputs = op
                .i32s(1)?
                .into_iter()
                .map(|i| usize::try_from(i).ok())
                .collect::<Vec<_>>();
            let outputs = op
                .i32s(2)?
                .into_iter()
                .map(|i| usize::try_from(i).map_err(|_| TfliteError::Corrupt("bad output".into())))
                .collect::<Result<Vec<_>>>()?;
            if inputs
                .iter()
                .flatten()
                .chain(&outputs)
                .any(|&i| i >= tensors.len())
            {
                return Err(TfliteError::Corrupt("tensor index out of range".into()));
            }
            let options = op.table(4)?;
            let kind = op_kind(code, options.as_ref())?;
            nodes.push(Node {
                kind,
                inputs,
                outputs,
            });
        }
        let to_indices = |v: Vec<i32>| -> Result<Vec<usize>> {
            v.into_iter()
                .map(|i| {
                    usize::try_from(i)
                        .ok()
                        .filter(|&i| i < tensors.len())
                        .ok_or_else(|| TfliteError::Corrupt("bad graph input/output".into()))
                })
                .collect()
        };
        let inputs = to_indices(graph.i32s(1)?)?;
        let outputs = to_indices(graph.i32s(2)?)?;
        let mut model = Model {
            tensors,
            constants,
            nodes,
            inputs,
            outputs,
        };
        model.fold_constants()?;
        Ok(model)
    }

    /// Runs every operator whose inputs are all constants once, now (DEQUANTIZE of fp16
    /// weights, DENSIFY of sparse ones), so inference never repeats it.
    fn fold_constants(&mut self) -> Result<()> {
        let mut kept = Vec::new();
        for node in std::mem::take(&mut self.nodes) {
            let all_const = node
                .inputs
                .iter()
                .flatten()
                .all(|i| self.constants.contains_key(i));
            if !all_const {
                kept.push(node);
                continue;
            }
            if let (OpKind::Identity, [Some(input)], [output]) =
                (&node.kind, node.inputs.as_slice(), node.outputs.as_slice())
            {
                let value = self.constants[input].clone();
                self.constants.insert(*output, value);
                continue;
            }
            let mut values = HashMap::new();
            for i in node.inputs.iter().flatten() {
                if let Const::F32(v) = &self.constants[i] {
                    values.insert(*i, v.as_ref().clone());
                }
            }
            let out = self.execute(&node, &values)?;
            self.constants
                .insert(node.outputs[0], Const::F32(Arc::new(out)));
        }
        self.nodes = kept;
        Ok(())
    }

    pub fn tensor_index(&self, name: &str) -> Result<usize> {
        self.tensors
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| TfliteError::UnknownTensor(name.to_string()))
    }

    /// Names of the graph's outputs, in order.
    pub fn output_names(&self) -> Vec<&str> {
        self.outputs
            .iter()
            .map(|&i| self.tensors[i].name.as_str())
            .collect()
    }

    pub fn input_shape(&self) -> &[usize] {
        &self.tensors[self.inputs[0]].shape
    }

    fn f32_input<'a>(
        &'a self,
        node: &Node,
        slot: usize,
        values: &'a HashMap<usize, Vec<f32>>,
    ) -> Result<(&'a [f32], &'a [usize])> {
        let index = node
            .inputs
            .get(slot)
            .copied()
            .flatten()
            .ok_or_else(|| TfliteError::Corrupt(format!("missing input {slot}")))?;
        let shape = self.tensors[index].shape.as_slice();
        if let Some(v) = values.get(&index) {
            return Ok((v, shape));
        }
        match self.constants.get(&index) {
            Some(Const::F32(v)) => Ok((v.as_slice(), shape)),
            _ => Err(TfliteError::Corrupt(format!(
                "tensor {:?} has no value",
                self.tensors[index].name
            ))),
        }
    }

    fn optional_f32<'a>(
        &'a self,
        node: &Node,
        slot: usize,
        values: &'a HashMap<usize, Vec<f32>>,
    ) -> Result<Option<&'a [f32]>> {
        match node.inputs.get(slot).copied().flatten() {
            None => Ok(None),
            Some(_) => Ok(Some(self.f32_input(node, slot, values)?.0)),
        }
    }

    fn i32_param(&self, node: &Node, slot: usize) -> Result<&[i32]> {
        match node
            .inputs
            .get(slot)
            .copied()
            .flatten()
            .and_then(|i| self.constants.get(&i))
        {
            Some(Const::I32(v)) => Ok(v.as_slice()),
            _ => Err(TfliteError::Unsupported(format!(
                "a non-constant int32 parameter in {:?}",
                node.kind
            ))),
        }
    }

    /// Runs one operator; the result has the output tensor's declared shape.
    fn execute(&self, node: &Node, values: &HashMap<usize, Vec<f32>>) -> Result<Vec<f32>> {
        let out_shape = self.tensors[node.outputs[0]].shape.as_slice();
        let (x, x_shape) = self.f32_input(node, 0, values)?;
        let out = match &node.kind {
            OpKind::Conv2d(conv) => {
                let (w, w_shape) = self.f32_input(node, 1, values)?;
                let bias = self.optional_f32(node, 2, values)?;
                ops::conv2d(x, x_shape, w, w_shape, bias, out_shape, conv)
            }
            OpKind::DepthwiseConv2d(conv) => {
                let (w, w_shape) = self.f32_input(node, 1, values)?;
                let bias = self.optional_f32(node, 2, values)?;
                ops::depthwise_conv2d(x, x_shape, w, w_shape, bias, out_shape, conv)
            }
            OpKind::MaxPool(pool) => ops::pool(x, x_shape, out_shape, pool, true),
            OpKind::AvgPool(pool) => ops::pool(x, x_shape, out_shape, pool, false),
            OpKind::Add(act) => {
                let (y, y_shape) = self.f32_input(node, 1, values)?;
                ops::broadcast(x, x_shape, y, y_shape, out_shape, |a, b| act.apply(a + b))
            }
            OpKind::Mul(act) => {
                let (y, y_shape) = self.f32_input(node, 1, values)?;
                ops::broadcast(x, x_shape, y, y_shape, out_shape, |a, b| act.apply(a * b))
            }
            OpKind::Prelu => {
                let (alpha, a_shape) = self.f32_input(node, 1, values)?;
                ops::broadcast(x, x_shape, alpha, a_shape, out_shape, |v, a| {
                    if v >= 0.0 {
                        v
                    } else {
                        v * a
                    }
                })
            }
            OpKind::Concat { axis, activation } => {
                let mut parts = Vec::new();
                for slot in 0..node.inputs.len() {
                    parts.push(self.f32_input(node, slot, values)?);
                }
                let mut out = ops::concat(&parts, *axis, out_shape)?;
                activation.apply_all(&mut out);
                out
            }
            OpKind::Reshape | OpKind::Identity => x.to_vec(),
            OpKind::Pad => ops::pad(x, x_shape, self.i32_param(node, 1)?, out_shape)?,
            OpKind::Relu => x.iter().map(|&v| v.max(0.0)).collect(),
            OpKind::Relu6 => x.iter().map(|&v| v.clamp(0.0, 6.0)).collect(),
            OpKind::Logistic => x.iter().map(|&v| 1.0 / (1.0 + (-v).exp())).collect(),
            OpKind::Tanh => x.iter().map(|&v| v.tanh()).collect(),
            OpKind::ResizeBilinear {
                align_corners,
                half_pixel_centers,
            } => ops::resize_bilinear(x, x_shape, out_shape, *align_corners, *half_pixel_centers),
            OpKind::DepthToSpace { block } => ops::depth_to_space(x, x_shape, out_shape, *block),
            OpKind::Mean => ops::mean(x, x_shape, self.i32_param(node, 1)?, out_shape)?,
            OpKind::Softmax { beta } => ops::softmax(x, x_shape, *beta),
        };
        let expected: usize = out_shape.iter().product();
        if out.len() != expected {
            return Err(TfliteError::Corrupt(format!(
                "{:?} produced {} values for output shape {:?}",
                node.kind,
                out.len(),
                out_shape
            )));
        }
        Ok(out)
    }

    /// A runner that computes only what `outputs` need (pose models also emit a segmentation
    /// mask and heatmaps that we never read).
    pub fn runner(self: &Arc<Self>, outputs: &[&str]) -> Result<Runner> {
        let wanted = outputs
            .iter()
            .map(|n| self.tensor_index(n))
            .collect::<Result<Vec<_>>>()?;
        let producer: HashMap<usize, usize> = self
            .nodes
            .iter()
            .enumerate()
            .flat_map(|(n, node)| node.outputs.iter().map(move |&t| (t, n)))
            .collect();
        let mut needed = vec![false; self.nodes.len()];
        let mut stack = wanted.clone();
        while let Some(t) = stack.pop() {
            if let Some(&n) = producer.get(&t) {
                if !needed[n] {
                    needed[n] = true;
                    stack.extend(self.nodes[n].inputs.iter().flatten());
                }
            }
        }
        let plan: Vec<usize> = (0..self.nodes.len()).filter(|&n| needed[n]).collect();
        // The last step that reads each tensor, so buffers are freed as soon as possible.
        let mut last_use = HashMap::new();
        for (step, &n) in plan.iter().enumerate() {
            for &t in self.nodes[n].inputs.iter().flatten() {
                last_use.insert(t, step);
            }
        }
        for &t in &wanted {
            last_use.insert(t, usize::MAX);
        }
        Ok(Runner {
            model: Arc::clone(self),
            plan,
            last_use,
            wanted,
        })
    }
}

/// Runs a model for a fixed set of outputs. Immutable and shareable across threads; each call
/// allocates its own activations.
#[derive(Debug)]
pub struct Runner {
    model: Arc<Model>,
    plan: Vec<usize>,
    last_use: HashMap<usize, usize>,
    wanted: Vec<usize>,
}

impl Runner {
    /// The expected input shape (NHWC).
    pub fn input_shape(&self) -> &[usize] {
        self.model.input_shape()
    }

    /// Runs the model on one input (NHWC, f32) and returns the wanted outputs in order.
    pub fn run(&self, input: &[f32]) -> Result<Vec<Vec<f32>>> {
        self.run_inner(input, None)
    }

    /// Like [`Runner::run`], adding each operator kind's time (seconds) to `profile`.
    pub fn run_profiled(
        &self,
        input: &[f32],
        profile: &mut HashMap<String, f64>,
    ) -> Result<Vec<Vec<f32>>> {
        self.run_inner(input, Some(profile))
    }

    fn run_inner(
        &self,
        input: &[f32],
        mut profile: Option<&mut HashMap<String, f64>>,
    ) -> Result<Vec<Vec<f32>>> {
        let model = &self.model;
        let input_index = model.inputs[0];
        let expected: usize = model.tensors[input_index].shape.iter().product();
        if input.len() != expected {
            return Err(TfliteError::InputSize {
                expected,
                got: input.len(),
            });
        }
        let mut values: HashMap<usize, Vec<f32>> = HashMap::new();
        values.insert(input_index, input.to_vec());
        for (step, &n) in self.plan.iter().enumerate() {
            let node = &model.nodes[n];
            let start = profile.is_some().then(std::time::Instant::now);
            let out = model.execute(node, &values)?;
            if let (Some(p), Some(start)) = (profile.as_deref_mut(), start) {
                let kind = format!("{:?}", node.kind);
                let kind = kind
                    .split(['(', ' ', '{'])
                    .next()
                    .unwrap_or("?")
                    .to_string();
                *p.entry(kind).or_default() += start.elapsed().as_secs_f64();
            }
            values.insert(node.outputs[0], out);
            for t in node.inputs.iter().flatten() {
                if self.last_use.get(t) == Some(&step) {
                    values.remove(t);
                }
            }
        }
        self.wanted
            .iter()
            .map(|t| match values.remove(t) {
                Some(v) => Ok(v),
                None => match model.constants.get(t) {
                    Some(Const::F32(v)) => Ok(v.as_ref().clone()),
                    _ => Err(TfliteError::Corrupt("an output was never computed".into())),
                },
            })
            .collect()
    }
}

fn annotate(e: TfliteError, context: &str) -> TfliteError {
    match e {
        TfliteError::Corrupt(m) => TfliteError::Corrupt(format!("{context}: {m}")),
        TfliteError::Unsupported(m) => TfliteError::Unsupported(format!("{m} ({context})")),
        other => other,
    }
}

fn buffer_bytes<'a>(file: &'a [u8], buffer: &Table<'a>) -> Result<&'a [u8]> {
    if let Some(v) = buffer.vector(0, 1)? {
        return Ok(v.bytes());
    }
    // Files over 2 GB keep data after the flatbuffer, addressed by offset and size.
    let offset = buffer.u64(1, 0)? as usize;
    let size = buffer.u64(2, 0)? as usize;
    if offset <= 1 || size == 0 {
        return Ok(&[]);
    }
    file.get(offset..offset.saturating_add(size))
        .ok_or_else(|| TfliteError::Corrupt("buffer out of bounds".into()))
}

/// Decodes a constant tensor to dense f32 (or i32 for shapes and paddings).
fn decode_constant(t: &Table, data: &[u8], shape: &[usize]) -> Result<Const> {
    let dtype = t.u8(1, FLOAT32)?;
    if dtype == INT32 {
        return Ok(Const::I32(Arc::new(
            data.chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        )));
    }
    if dtype == INT64 {
        return Ok(Const::I32(Arc::new(
            data.chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().unwrap_or_default()) as i32)
                .collect(),
        )));
    }
    let mut values: Vec<f32> = match dtype {
        FLOAT32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        FLOAT16 => data
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        INT8 | UINT8 => {
            let q = t
                .table(4)?
                .ok_or_else(|| TfliteError::Corrupt("8-bit tensor without scales".into()))?;
            let scales = q.f32s(2)?;
            let zero_points = q.i64s(3)?;
            let axis = q.i32(6, 0)? as usize;
            let raw: Vec<i32> = if dtype == INT8 {
                data.iter().map(|&b| b as i8 as i32).collect()
            } else {
                data.iter().map(|&b| b as i32).collect()
            };
            dequantize(&raw, &scales, &zero_points, shape, axis)?
        }
        other => {
            return Err(TfliteError::Unsupported(format!("tensor type {other}")));
        }
    };
    if let Some(sparsity) = t.table(6)? {
        values = densify(&values, &sparsity, shape)?;
    }
    Ok(Const::F32(Arc::new(values)))
}

fn dequantize(
    raw: &[i32],
    scales: &[f32],
    zero_points: &[i64],
    shape: &[usize],
    axis: usize,
) -> Result<Vec<f32>> {
    if scales.is_empty() {
        return Err(TfliteError::Corrupt(
            "quantised tensor without scales".into(),
        ));
    }
    // Per-channel scales run along `axis`; one scale applies to all.
    let inner: usize = shape.iter().skip(axis + 1).product();
    let channels = shape.get(axis).copied().unwrap_or(1);
    Ok(raw
        .iter()
        .enumerate()
        .map(|(i, &q)| {
            let c = if scales.len() == 1 {
                0
            } else {
                (i / inner.max(1)) % channels.max(1)
            };
            let scale = scales.get(c).copied().unwrap_or(scales[0]);
            let zero = zero_points.get(c).copied().unwrap_or(0) as i32;
            (q - zero) as f32 * scale
        })
        .collect())
}

/// Expands a sparse constant to dense, as TFLite's `FormatConverter::SparseToDense`.
fn densify(values: &[f32], sparsity: &Table, dense_shape: &[usize]) -> Result<Vec<f32>> {
    let traversal = sparsity.i32s(0)?;
    let block_map = sparsity.i32s(1)?;
    let dims = sparsity.tables(2)?;
    let levels = traversal.len();
    if dims.len() != levels {
        return Err(TfliteError::Corrupt("sparsity metadata mismatch".into()));
    }
    let rank = dense_shape.len();
    let mut level_meta = Vec::with_capacity(levels);
    for d in &dims {
        let dense = d.u8(0, 0)? == 0;
        if dense {
            level_meta.push(Level::Dense(d.i32(1, 0)? as usize));
        } else {
            let segments = sparse_index_vector(d, 2, 3)?;
            let indices = sparse_index_vector(d, 4, 5)?;
            level_meta.push(Level::Sparse { segments, indices });
        }
    }
    let block_size: Vec<usize> = (0..block_map.len())
        .map(|b| match level_meta.get(rank + b) {
            Some(Level::Dense(n)) => *n,
            _ => 1,
        })
        .collect();
    let total: usize = dense_shape.iter().product();
    let mut out = vec![0.0f32; total];
    let mut cursor = 0usize;
    let mut indices = vec![0usize; levels];
    let converter = Densify {
        traversal: &traversal,
        block_map: &block_map,
        block_size: &block_size,
        levels: &level_meta,
        dense_shape,
        values,
    };
    converter.populate(&mut indices, 0, 0, &mut cursor, &mut out)?;
    Ok(out)
}

enum Level {
    Dense(usize),
    Sparse {
        segments: Vec<usize>,
        indices: Vec<usize>,
    },
}

fn sparse_index_vector(d: &Table, type_field: usize, value_field: usize) -> Result<Vec<usize>> {
    let kind = d.u8(type_field, 0)?;
    let Some(table) = d.table(value_field)? else {
        return Ok(Vec::new());
    };
    let v = match kind {
        1 => table
            .i32s(0)?
            .into_iter()
            .map(|x| x.max(0) as usize)
            .collect(),
        2 => table
            .vector(0, 2)?
            .map(|v| {
                v.bytes()
                    .chunks_exact(2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
                    .collect()
            })
            .unwrap_or_default(),
        3 => table
            .vector(0, 1)?
            .map(|v| v.bytes().iter().map(|&b| b as usize).collect())
            .unwrap_or_default(),
        other => {
            return Err(TfliteError::Unsupported(format!(
                "sparse index type {other}"
            )));
        }
    };
    Ok(v)
}

struct Densify<'a> {
    traversal: &'a [i32],
    block_map: &'a [i32],
    block_size: &'a [usize],
    levels: &'a [Level],
    dense_shape: &'a [usize],
    values: &'a [f32],
}

impl Densify<'_> {
    fn populate(
        &self,
        indices: &mut Vec<usize>,
        level: usize,
        prev: usize,
        cursor: &mut usize,
        out: &mut [f32],
    ) -> Result<()> {
        if level == indices.len() {
            let rank = self.dense_shape.len();
            let mut orig = vec![0usize; rank];
            // The first `rank` levels are the dense dimensions in traversal order, the rest
            // positions inside blocks.
            for (&dim, &index) in self.traversal.iter().zip(indices.iter()).take(rank) {
                *orig.get_mut(dim as usize).ok_or_else(bad_sparsity)? = index;
            }
            for (&level, &index) in self.traversal.iter().zip(indices.iter()).skip(rank) {
                let block = (level as usize)
                    .checked_sub(rank)
                    .ok_or_else(bad_sparsity)?;
                let dim = *self.block_map.get(block).ok_or_else(bad_sparsity)? as usize;
                let size = *self.block_size.get(block).ok_or_else(bad_sparsity)?;
                let slot = orig.get_mut(dim).ok_or_else(bad_sparsity)?;
                *slot = *slot * size + index;
            }
            let mut flat = 0usize;
            for (d, &i) in orig.iter().enumerate() {
                flat = flat * self.dense_shape[d] + i;
            }
            let value = self.values.get(*cursor).ok_or_else(bad_sparsity)?;
            *out.get_mut(flat).ok_or_else(bad_sparsity)? = *value;
            *cursor += 1;
            return Ok(());
        }
        match &self.levels[level] {
            Level::Dense(size) => {
                for i in 0..*size {
                    indices[level] = i;
                    self.populate(indices, level + 1, prev * size + i, cursor, out)?;
                }
            }
            Level::Sparse {
                segments,
                indices: idx,
            } => {
                if prev + 1 < segments.len() {
                    for i in segments[prev]..segments[prev + 1] {
                        if let Some(&value) = idx.get(i) {
                            indices[level] = value;
                            self.populate(indices, level + 1, i, cursor, out)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn bad_sparsity() -> TfliteError {
    TfliteError::Corrupt("sparse tensor indices out of range".into())
}

fn op_kind(code: i32, options: Option<&Table>) -> Result<OpKind> {
    let i32_opt = |field: usize, default: i32| -> Result<i32> {
        match options {
            Some(t) => t.i32(field, default),
            None => Ok(default),
        }
    };
    let u8_opt = |field: usize| -> Result<u8> {
        match options {
            Some(t) => t.u8(field, 0),
            None => Ok(0),
        }
    };
    let padding = |field: usize| -> Result<Padding> {
        Ok(if u8_opt(field)? == 1 {
            Padding::Valid
        } else {
            Padding::Same
        })
    };
    let act = |field: usize| -> Result<Activation> { Activation::from_code(u8_opt(field)?) };
    let positive = |v: i32| v.max(1) as usize;
    Ok(match code {
        CONV_2D => OpKind::Conv2d(Conv {
            padding: padding(0)?,
            stride: (positive(i32_opt(2, 1)?), positive(i32_opt(1, 1)?)),
            dilation: (positive(i32_opt(5, 1)?), positive(i32_opt(4, 1)?)),
            activation: act(3)?,
        }),
        DEPTHWISE_CONV_2D => OpKind::DepthwiseConv2d(Conv {
            padding: padding(0)?,
            stride: (positive(i32_opt(2, 1)?), positive(i32_opt(1, 1)?)),
            dilation: (positive(i32_opt(6, 1)?), positive(i32_opt(5, 1)?)),
            activation: act(4)?,
        }),
        MAX_POOL_2D | AVERAGE_POOL_2D => {
            let pool = Pool {
                padding: padding(0)?,
                stride: (positive(i32_opt(2, 1)?), positive(i32_opt(1, 1)?)),
                filter: (positive(i32_opt(4, 1)?), positive(i32_opt(3, 1)?)),
                activation: act(5)?,
            };
            if code == MAX_POOL_2D {
                OpKind::MaxPool(pool)
            } else {
                OpKind::AvgPool(pool)
            }
        }
        ADD => OpKind::Add(act(0)?),
        MUL => OpKind::Mul(act(0)?),
        CONCATENATION => OpKind::Concat {
            axis: i32_opt(0, 0)?,
            activation: act(1)?,
        },
        RESHAPE => OpKind::Reshape,
        PAD => OpKind::Pad,
        PRELU => OpKind::Prelu,
        RELU => OpKind::Relu,
        RELU6 => OpKind::Relu6,
        LOGISTIC => OpKind::Logistic,
        TANH => OpKind::Tanh,
        RESIZE_BILINEAR => OpKind::ResizeBilinear {
            align_corners: u8_opt(2)? != 0,
            half_pixel_centers: u8_opt(3)? != 0,
        },
        DEPTH_TO_SPACE => OpKind::DepthToSpace {
            block: positive(i32_opt(0, 1)?),
        },
        MEAN => OpKind::Mean,
        SOFTMAX => OpKind::Softmax {
            beta: match options {
                Some(t) => t.f32(0, 0.0)?,
                None => 0.0,
            },
        },
        DEQUANTIZE | DENSIFY => OpKind::Identity,
        other => {
            return Err(TfliteError::Unsupported(format!(
                "builtin operator {other}"
            )))
        }
    })
}
