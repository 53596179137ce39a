//! Compact weight storage: the large matrices (Linear and Embedding weights) as int8 with one f32
//! scale per row, everything else as f16; widened back to f32 on load.
//!
//! An int8 matrix `[r, c]` is stored as a `u8` tensor `[r, c + 4]`: each row holds its `c`
//! values (two's-complement int8, `value = q * scale`) followed by the row's scale as
//! little-endian f32. Symmetric quantization: `scale = max|row| / 127`.
//!
//! The word-embedding table (the largest matrix, read one row per token) is stored in 4 bits:
//! an `i8`-typed byte tensor `[r, c/2 + 4 * c/32]`, each row its values two to a byte
//! (`q + 8` in each nibble, `q` in -7..=7) followed by one little-endian f32 scale per group of
//! 32 values (`scale = max|group| / 7`).

use burn::{
    store::{ModuleAdapter, ModuleContext, bridge, burn_pack::Tensor as PackTensor},
    tensor::{DType, Shape, TensorData},
};

/// Matrices with fewer elements stay f16.
const MIN_INT8_ELEMENTS: usize = 16 * 1024;

fn is_word_embedding(tensor: &PackTensor, ctx: &ModuleContext<'_>) -> bool {
    ctx.module_type() == Some("Struct:Embedding") && tensor.name.contains("word_embeddings")
}

fn is_matrix_module(ctx: &ModuleContext<'_>) -> bool {
    matches!(
        ctx.module_type(),
        Some("Struct:Linear") | Some("Struct:Embedding")
    )
}

/// Quantize a row-major `[r, c]` f32 matrix into the `[r, c + 4]` byte layout.
pub fn quantize_rows(values: &[f32], r: usize, c: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(r * (c + 4));
    for row in values.chunks(c).take(r) {
        let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        out.extend(
            row.iter()
                .map(|v| ((v / scale).round().clamp(-127.0, 127.0) as i8) as u8),
        );
        out.extend(scale.to_le_bytes());
    }
    out
}

/// Inverse of [`quantize_rows`].
pub fn dequantize_rows(bytes: &[u8], r: usize, c: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(r * c);
    for row in bytes.chunks(c + 4).take(r) {
        let scale = f32::from_le_bytes([row[c], row[c + 1], row[c + 2], row[c + 3]]);
        out.extend(row[..c].iter().map(|&q| (q as i8) as f32 * scale));
    }
    out
}

/// Values per int4 scale group.
const GROUP: usize = 32;

fn int4_cols(c: usize) -> usize {
    c / 2 + 4 * (c / GROUP)
}

/// Quantize a row-major `[r, c]` matrix (`c` a multiple of 32) into the int4 layout.
pub fn quantize_rows_int4(values: &[f32], r: usize, c: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(r * int4_cols(c));
    for row in values.chunks(c).take(r) {
        let scales: Vec<f32> = row
            .chunks(GROUP)
            .map(|g| {
                let max = g.iter().fold(0f32, |m, v| m.max(v.abs()));
                if max > 0.0 { max / 7.0 } else { 1.0 }
            })
            .collect();
        let q = |i: usize| ((row[i] / scales[i / GROUP]).round().clamp(-7.0, 7.0) as i32 + 8) as u8;
        out.extend((0..c / 2).map(|k| q(2 * k) | (q(2 * k + 1) << 4)));
        for s in scales {
            out.extend(s.to_le_bytes());
        }
    }
    out
}

/// Inverse of [`quantize_rows_int4`].
pub fn dequantize_rows_int4(bytes: &[u8], r: usize, c: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(r * c);
    for row in bytes.chunks(int4_cols(c)).take(r) {
        let (vals, scales) = row.split_at(c / 2);
        let scale = |i: usize| {
            let b = &scales[4 * (i / GROUP)..4 * (i / GROUP) + 4];
            f32::from_le_bytes([b[0], b[1], b[2], b[3]])
        };
        for (k, &byte) in vals.iter().enumerate() {
            out.push(((byte & 0x0f) as i32 - 8) as f32 * scale(2 * k));
            out.push(((byte >> 4) as i32 - 8) as f32 * scale(2 * k + 1));
        }
    }
    out
}

/// Save side: the word embeddings to int4 groups, other large Linear/Embedding matrices to int8
/// rows, other f32 tensors to f16.
#[derive(Clone, Debug, Default)]
pub struct CompactSave;

impl ModuleAdapter for CompactSave {
    fn adapt(&self, tensor: PackTensor, ctx: ModuleContext<'_>) -> PackTensor {
        if tensor.dtype != DType::F32 {
            return tensor;
        }
        let dims = tensor.shape.to_vec();
        let name = tensor.name.clone();
        if dims.len() == 2
            && dims[1] % GROUP == 0
            && dims[0] * dims[1] >= MIN_INT8_ELEMENTS
            && is_word_embedding(&tensor, &ctx)
        {
            let (r, c) = (dims[0], dims[1]);
            return bridge::map_data(
                tensor,
                name,
                DType::I8,
                Shape::new([r, int4_cols(c)]),
                move |data: TensorData| {
                    let v: Vec<f32> = data.convert::<f32>().try_into_vec().unwrap_or_default();
                    let bytes: Vec<i8> = quantize_rows_int4(&v, r, c)
                        .into_iter()
                        .map(|b| b as i8)
                        .collect();
                    TensorData::new(bytes, [r, int4_cols(c)])
                },
            );
        }
        if dims.len() == 2 && dims[0] * dims[1] >= MIN_INT8_ELEMENTS && is_matrix_module(&ctx) {
            let (r, c) = (dims[0], dims[1]);
            return bridge::map_data(
                tensor,
                name,
                DType::U8,
                Shape::new([r, c + 4]),
                move |data: TensorData| {
                    let v: Vec<f32> = data.convert::<f32>().try_into_vec().unwrap_or_default();
                    TensorData::new(quantize_rows(&v, r, c), [r, c + 4])
                },
            );
        }
        let shape = tensor.shape.clone();
        bridge::map_data(tensor, name, DType::F16, shape, |data: TensorData| {
            data.convert_dtype(DType::F16)
        })
    }

    fn clone_box(&self) -> Box<dyn ModuleAdapter> {
        Box::new(self.clone())
    }
}

/// Load side: int8 rows and f16 back to f32; f32 passes through.
#[derive(Clone, Debug, Default)]
pub struct CompactLoad;

impl ModuleAdapter for CompactLoad {
    fn adapt(&self, tensor: PackTensor, ctx: ModuleContext<'_>) -> PackTensor {
        let name = tensor.name.clone();
        match tensor.dtype {
            DType::U8
                if tensor.shape.num_dims() == 2
                    && tensor.shape[1] > 4
                    && is_matrix_module(&ctx) =>
            {
                let (r, c) = (tensor.shape[0], tensor.shape[1] - 4);
                bridge::map_data(
                    tensor,
                    name,
                    DType::F32,
                    Shape::new([r, c]),
                    move |data: TensorData| {
                        TensorData::new(dequantize_rows(data.as_bytes(), r, c), [r, c])
                    },
                )
            }
            // int4 groups: `[r, c/2 + 4 c/32]` = 20 bytes per 32 values
            DType::I8
                if tensor.shape.num_dims() == 2
                    && tensor.shape[1] % 20 == 0
                    && is_word_embedding(&tensor, &ctx) =>
            {
                let r = tensor.shape[0];
                let c = tensor.shape[1] / 20 * GROUP;
                bridge::map_data(
                    tensor,
                    name,
                    DType::F32,
                    Shape::new([r, c]),
                    move |data: TensorData| {
                        TensorData::new(dequantize_rows_int4(data.as_bytes(), r, c), [r, c])
                    },
                )
            }
            DType::F16 => {
                let shape = tensor.shape.clone();
                bridge::map_data(tensor, name, DType::F32, shape, |data: TensorData| {
                    data.convert_dtype(DType::F32)
                })
            }
            _ => tensor,
        }
    }

    fn clone_box(&self) -> Box<dyn ModuleAdapter> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_within_half_a_step() {
        let (r, c) = (3, 5);
        let v = vec![
            0.5, -1.0, 0.25, 0.0, 0.75, 0.0, 0.0, 0.0, 0.0, 0.0, 100.0, -3.0, 2.0, 1.0, 0.5,
        ];
        let q = quantize_rows(&v, r, c);
        assert_eq!(q.len(), r * (c + 4));
        let back = dequantize_rows(&q, r, c);
        for (row, brow) in v.chunks(c).zip(back.chunks(c)) {
            let step = row.iter().fold(0f32, |m, x| m.max(x.abs())) / 127.0;
            for (a, b) in row.iter().zip(brow) {
                assert!((a - b).abs() <= step / 2.0 + 1e-6, "{a} vs {b}");
            }
        }
        assert!(back[5..10].iter().all(|&x| x == 0.0));
    }

    #[test]
    fn int4_groups_round_trip_within_half_a_step() {
        let (r, c) = (2, 64);
        let v: Vec<f32> = (0..r * c)
            .map(|i| ((i * 37 % 19) as f32 - 9.0) / 10.0 * if i % 32 < 16 { 1.0 } else { 0.01 })
            .collect();
        let q = quantize_rows_int4(&v, r, c);
        assert_eq!(q.len(), r * int4_cols(c));
        let back = dequantize_rows_int4(&q, r, c);
        for (g, bg) in v.chunks(GROUP).zip(back.chunks(GROUP)) {
            let step = g.iter().fold(0f32, |m, x| m.max(x.abs())) / 7.0;
            for (a, b) in g.iter().zip(bg) {
                assert!((a - b).abs() <= step / 2.0 + 1e-6, "{a} vs {b}");
            }
        }
    }
}
