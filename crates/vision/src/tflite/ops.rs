//! Float kernels on NHWC buffers (batch 1), following TFLite's reference kernels.

use super::TfliteError;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Padding {
    Same,
    Valid,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Activation {
    None,
    Relu,
    ReluN1To1,
    Relu6,
    Tanh,
}

impl Activation {
    pub fn from_code(code: u8) -> Result<Self, TfliteError> {
        Ok(match code {
            0 => Self::None,
            1 => Self::Relu,
            2 => Self::ReluN1To1,
            3 => Self::Relu6,
            4 => Self::Tanh,
            other => {
                return Err(TfliteError::Unsupported(format!(
                    "fused activation {other}"
                )))
            }
        })
    }

    #[inline]
    pub fn apply(self, v: f32) -> f32 {
        match self {
            Self::None => v,
            Self::Relu => v.max(0.0),
            Self::ReluN1To1 => v.clamp(-1.0, 1.0),
            Self::Relu6 => v.clamp(0.0, 6.0),
            Self::Tanh => v.tanh(),
        }
    }

    pub fn apply_all(self, values: &mut [f32]) {
        if self != Self::None {
            values.iter_mut().for_each(|v| *v = self.apply(*v));
        }
    }
}

/// Convolution parameters; pairs are (height, width).
#[derive(Clone, Debug)]
pub(crate) struct Conv {
    pub padding: Padding,
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
    pub activation: Activation,
}

#[derive(Clone, Debug)]
pub(crate) struct Pool {
    pub padding: Padding,
    pub stride: (usize, usize),
    pub filter: (usize, usize),
    pub activation: Activation,
}

/// Leading padding as TFLite computes it: half the total, the odd pixel goes after.
fn pad_before(
    padding: Padding,
    input: usize,
    output: usize,
    stride: usize,
    filter: usize,
) -> usize {
    match padding {
        Padding::Valid => 0,
        Padding::Same => {
            let total = ((output - 1) * stride + filter) as isize - input as isize;
            (total.max(0) / 2) as usize
        }
    }
}

fn hwc(shape: &[usize]) -> (usize, usize, usize) {
    match shape {
        [_, h, w, c] => (*h, *w, *c),
        [h, w, c] => (*h, *w, *c),
        _ => (1, 1, shape.iter().product()),
    }
}

/// Standard convolution as im2col + one matrix product; a 1×1 stride-1 convolution multiplies
/// the input directly. Weights are OHWI as TFLite stores them.
pub(crate) fn conv2d(
    x: &[f32],
    x_shape: &[usize],
    w: &[f32],
    w_shape: &[usize],
    bias: Option<&[f32]>,
    out_shape: &[usize],
    conv: &Conv,
) -> Vec<f32> {
    let (h, wd, c) = hwc(x_shape);
    let (oh, ow, oc) = hwc(out_shape);
    let (kh, kw) = (w_shape[1], w_shape[2]);
    let (sh, sw) = conv.stride;
    let (dh, dw) = conv.dilation;
    let pad_top = pad_before(conv.padding, h, oh, sh, (kh - 1) * dh + 1);
    let pad_left = pad_before(conv.padding, wd, ow, sw, (kw - 1) * dw + 1);
    let k = kh * kw * c;
    let m = oh * ow;

    let direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pad_top == 0 && pad_left == 0;
    let patches_storage;
    let patches: &[f32] = if direct && h == oh && wd == ow {
        x
    } else {
        let mut p = vec![0.0f32; m * k];
        for oy in 0..oh {
            for ox in 0..ow {
                let row = &mut p[(oy * ow + ox) * k..(oy * ow + ox + 1) * k];
                for ky in 0..kh {
                    let iy = (oy * sh + ky * dh) as isize - pad_top as isize;
                    if iy < 0 || iy >= h as isize {
                        continue;
                    }
                    for kx in 0..kw {
                        let ix = (ox * sw + kx * dw) as isize - pad_left as isize;
                        if ix < 0 || ix >= wd as isize {
                            continue;
                        }
                        let src = (iy as usize * wd + ix as usize) * c;
                        let dst = (ky * kw + kx) * c;
                        row[dst..dst + c].copy_from_slice(&x[src..src + c]);
                    }
                }
            }
        }
        patches_storage = p;
        &patches_storage
    };

    let mut out = vec![0.0f32; m * oc];
    if let Some(b) = bias {
        for row in out.chunks_exact_mut(oc) {
            row.copy_from_slice(&b[..oc]);
        }
    }
    // SAFETY: all pointers address buffers of the stated sizes: patches m×k (row-major),
    // weights oc×k read transposed as k×oc, out m×oc (row-major).
    unsafe {
        gemm::gemm(
            m,
            oc,
            k,
            out.as_mut_ptr(),
            1,
            oc as isize,
            bias.is_some(),
            patches.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            k as isize,
            1,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
    conv.activation.apply_all(&mut out);
    out
}

/// Depthwise convolution; weights are [1, KH, KW, C × multiplier].
pub(crate) fn depthwise_conv2d(
    x: &[f32],
    x_shape: &[usize],
    w: &[f32],
    w_shape: &[usize],
    bias: Option<&[f32]>,
    out_shape: &[usize],
    conv: &Conv,
) -> Vec<f32> {
    let (h, wd, c) = hwc(x_shape);
    let (oh, ow, oc) = hwc(out_shape);
    let (kh, kw) = (w_shape[1], w_shape[2]);
    let mult = (oc / c.max(1)).max(1);
    let (sh, sw) = conv.stride;
    let (dh, dw) = conv.dilation;
    let pad_top = pad_before(conv.padding, h, oh, sh, (kh - 1) * dh + 1);
    let pad_left = pad_before(conv.padding, wd, ow, sw, (kw - 1) * dw + 1);
    let mut out = vec![0.0f32; oh * ow * oc];
    for oy in 0..oh {
        for ox in 0..ow {
            let acc = &mut out[(oy * ow + ox) * oc..(oy * ow + ox + 1) * oc];
            if let Some(b) = bias {
                acc.copy_from_slice(&b[..oc]);
            }
            for ky in 0..kh {
                let iy = (oy * sh + ky * dh) as isize - pad_top as isize;
                if iy < 0 || iy >= h as isize {
                    continue;
                }
                for kx in 0..kw {
                    let ix = (ox * sw + kx * dw) as isize - pad_left as isize;
                    if ix < 0 || ix >= wd as isize {
                        continue;
                    }
                    let src = &x[(iy as usize * wd + ix as usize) * c..][..c];
                    let wt = &w[(ky * kw + kx) * oc..][..oc];
                    if mult == 1 {
                        for ((a, &v), &f) in acc.iter_mut().zip(src).zip(wt) {
                            *a += v * f;
                        }
                    } else {
                        for (o, a) in acc.iter_mut().enumerate() {
                            *a += src[o / mult] * wt[o];
                        }
                    }
                }
            }
            conv.activation.apply_all(acc);
        }
    }
    out
}

/// Max or average pooling; padded positions take no part (TFLite counts only real pixels).
pub(crate) fn pool(
    x: &[f32],
    x_shape: &[usize],
    out_shape: &[usize],
    p: &Pool,
    max: bool,
) -> Vec<f32> {
    let (h, wd, c) = hwc(x_shape);
    let (oh, ow, _) = hwc(out_shape);
    let (sh, sw) = p.stride;
    let (fh, fw) = p.filter;
    let pad_top = pad_before(p.padding, h, oh, sh, fh);
    let pad_left = pad_before(p.padding, wd, ow, sw, fw);
    let mut out = vec![0.0f32; oh * ow * c];
    let mut count = vec![0u32; c];
    for oy in 0..oh {
        for ox in 0..ow {
            let acc = &mut out[(oy * ow + ox) * c..(oy * ow + ox + 1) * c];
            acc.fill(if max { f32::NEG_INFINITY } else { 0.0 });
            count.fill(0);
            for ky in 0..fh {
                let iy = (oy * sh + ky) as isize - pad_top as isize;
                if iy < 0 || iy >= h as isize {
                    continue;
                }
                for kx in 0..fw {
                    let ix = (ox * sw + kx) as isize - pad_left as isize;
                    if ix < 0 || ix >= wd as isize {
                        continue;
                    }
                    let src = &x[(iy as usize * wd + ix as usize) * c..][..c];
                    if max {
                        for (a, &v) in acc.iter_mut().zip(src) {
                            *a = a.max(v);
                        }
                    } else {
                        for (a, &v) in acc.iter_mut().zip(src) {
                            *a += v;
                        }
                        count.iter_mut().for_each(|n| *n += 1);
                    }
                }
            }
            if !max {
                for (a, &n) in acc.iter_mut().zip(&count) {
                    *a /= n.max(1) as f32;
                }
            }
            p.activation.apply_all(acc);
        }
    }
    out
}

/// Element-wise binary operation with NumPy broadcasting (shapes right-aligned).
pub(crate) fn broadcast(
    a: &[f32],
    a_shape: &[usize],
    b: &[f32],
    b_shape: &[usize],
    out_shape: &[usize],
    f: impl Fn(f32, f32) -> f32,
) -> Vec<f32> {
    let n: usize = out_shape.iter().product();
    if a.len() == n && b.len() == n {
        return a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
    }
    if a.len() == n && b.len() == 1 {
        return a.iter().map(|&x| f(x, b[0])).collect();
    }
    // A per-channel operand (bias-like, PReLU's alpha): repeats along the last axis.
    let last = *out_shape.last().unwrap_or(&1);
    if a.len() == n && b.len() == last && b_shape.last() == Some(&last) {
        return a
            .chunks_exact(last.max(1))
            .flat_map(|row| row.iter().zip(b).map(|(&x, &y)| f(x, y)))
            .collect();
    }
    let rank = out_shape.len();
    let strides = |shape: &[usize]| -> Vec<usize> {
        let mut padded = vec![1usize; rank - shape.len().min(rank)];
        padded.extend_from_slice(&shape[shape.len().saturating_sub(rank)..]);
        let mut s = vec![0usize; rank];
        let mut acc = 1;
        for d in (0..rank).rev() {
            s[d] = if padded[d] == 1 { 0 } else { acc };
            acc *= padded[d];
        }
        s
    };
    let (sa, sb) = (strides(a_shape), strides(b_shape));
    let mut index = vec![0usize; rank];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let ia: usize = index.iter().zip(&sa).map(|(i, s)| i * s).sum();
        let ib: usize = index.iter().zip(&sb).map(|(i, s)| i * s).sum();
        out.push(f(a[ia], b[ib]));
        for d in (0..rank).rev() {
            index[d] += 1;
            if index[d] < out_shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    out
}

pub(crate) fn concat(
    parts: &[(&[f32], &[usize])],
    axis: i32,
    out_shape: &[usize],
) -> Result<Vec<f32>, TfliteError> {
    let rank = out_shape.len() as i32;
    let axis = if axis < 0 { axis + rank } else { axis };
    if axis < 0 || axis >= rank {
        return Err(TfliteError::Corrupt(
            "concatenation axis out of range".into(),
        ));
    }
    let axis = axis as usize;
    let outer: usize = out_shape[..axis].iter().product();
    let mut out = Vec::with_capacity(out_shape.iter().product());
    let chunk = |shape: &[usize]| -> usize { shape[axis..].iter().product() };
    for o in 0..outer {
        for (data, shape) in parts {
            let size = chunk(shape);
            out.extend_from_slice(&data[o * size..(o + 1) * size]);
        }
    }
    Ok(out)
}

pub(crate) fn pad(
    x: &[f32],
    x_shape: &[usize],
    paddings: &[i32],
    out_shape: &[usize],
) -> Result<Vec<f32>, TfliteError> {
    let rank = x_shape.len();
    if paddings.len() != 2 * rank || out_shape.len() != rank {
        return Err(TfliteError::Corrupt(
            "pad parameters do not match the rank".into(),
        ));
    }
    let before: Vec<usize> = (0..rank).map(|d| paddings[2 * d].max(0) as usize).collect();
    let n: usize = out_shape.iter().product();
    let mut out = vec![0.0f32; n];
    let inner = x_shape[rank - 1];
    let rows = x.len() / inner.max(1);
    let mut index = vec![0usize; rank.saturating_sub(1)];
    for r in 0..rows {
        // Output offset of this input row (all axes but the last shifted by their padding).
        let mut offset = 0usize;
        for d in 0..rank - 1 {
            offset = offset * out_shape[d] + index[d] + before[d];
        }
        offset = offset * out_shape[rank - 1] + before[rank - 1];
        out[offset..offset + inner].copy_from_slice(&x[r * inner..(r + 1) * inner]);
        for d in (0..rank - 1).rev() {
            index[d] += 1;
            if index[d] < x_shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Ok(out)
}

/// Bilinear resize with TFLite's coordinate conventions.
pub(crate) fn resize_bilinear(
    x: &[f32],
    x_shape: &[usize],
    out_shape: &[usize],
    align_corners: bool,
    half_pixel_centers: bool,
) -> Vec<f32> {
    let (h, w, c) = hwc(x_shape);
    let (oh, ow, _) = hwc(out_shape);
    let scale = |input: usize, output: usize| -> f32 {
        if align_corners && output > 1 {
            (input - 1) as f32 / (output - 1) as f32
        } else {
            input as f32 / output as f32
        }
    };
    let (scale_y, scale_x) = (scale(h, oh), scale(w, ow));
    let coords = |value: usize, scale: f32, size: usize| -> (f32, usize, usize) {
        let v = if half_pixel_centers {
            (value as f32 + 0.5) * scale - 0.5
        } else {
            value as f32 * scale
        };
        let lower = (v.floor() as isize).max(0) as usize;
        let upper = (v.ceil() as isize).min(size as isize - 1).max(0) as usize;
        (v - lower as f32, lower, upper)
    };
    let mut out = vec![0.0f32; oh * ow * c];
    for oy in 0..oh {
        let (fy, y0, y1) = coords(oy, scale_y, h);
        for ox in 0..ow {
            let (fx, x0, x1) = coords(ox, scale_x, w);
            let dst = &mut out[(oy * ow + ox) * c..][..c];
            let p00 = &x[(y0 * w + x0) * c..][..c];
            let p10 = &x[(y1 * w + x0) * c..][..c];
            let p01 = &x[(y0 * w + x1) * c..][..c];
            let p11 = &x[(y1 * w + x1) * c..][..c];
            for ch in 0..c {
                dst[ch] = p00[ch] * (1.0 - fy) * (1.0 - fx)
                    + p10[ch] * fy * (1.0 - fx)
                    + p01[ch] * (1.0 - fy) * fx
                    + p11[ch] * fy * fx;
            }
        }
    }
    out
}

pub(crate) fn depth_to_space(
    x: &[f32],
    x_shape: &[usize],
    out_shape: &[usize],
    block: usize,
) -> Vec<f32> {
    let (h, w, c) = hwc(x_shape);
    let (oh, ow, oc) = hwc(out_shape);
    let mut out = vec![0.0f32; oh * ow * oc];
    for y in 0..h {
        for xx in 0..w {
            let src = &x[(y * w + xx) * c..][..c];
            for by in 0..block {
                for bx in 0..block {
                    let dst = ((y * block + by) * ow + xx * block + bx) * oc;
                    let from = (by * block + bx) * oc;
                    out[dst..dst + oc].copy_from_slice(&src[from..from + oc]);
                }
            }
        }
    }
    out
}

/// Mean over the given axes (the models reduce height and width).
pub(crate) fn mean(
    x: &[f32],
    x_shape: &[usize],
    axes: &[i32],
    out_shape: &[usize],
) -> Result<Vec<f32>, TfliteError> {
    let rank = x_shape.len();
    let mut reduce = vec![false; rank];
    for &a in axes {
        let a = if a < 0 { a + rank as i32 } else { a };
        *reduce
            .get_mut(a as usize)
            .ok_or_else(|| TfliteError::Corrupt("mean axis out of range".into()))? = true;
    }
    let n: usize = out_shape.iter().product();
    let mut out = vec![0.0f32; n];
    let count: usize = (0..rank)
        .filter(|&d| reduce[d])
        .map(|d| x_shape[d])
        .product();
    let mut index = vec![0usize; rank];
    for &v in x {
        let mut o = 0usize;
        for d in 0..rank {
            if !reduce[d] {
                o = o * x_shape[d] + index[d];
            }
        }
        out[o] += v;
        for d in (0..rank).rev() {
            index[d] += 1;
            if index[d] < x_shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    out.iter_mut().for_each(|v| *v /= count.max(1) as f32);
    Ok(out)
}

pub(crate) fn softmax(x: &[f32], x_shape: &[usize], beta: f32) -> Vec<f32> {
    let last = (*x_shape.last().unwrap_or(&1)).max(1);
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks_exact(last) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> = row.iter().map(|&v| ((v - max) * beta).exp()).collect();
        let sum: f32 = exps.iter().sum();
        out.extend(exps.iter().map(|e| e / sum));
    }
    out
}
