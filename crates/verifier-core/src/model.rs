//! The verifier network: a BERT encoder (all-MiniLM-L6-v2 shape) with step-causal attention, a
//! PRM head read at every step marker and an ORM head read at the last step's marker.
//!
//! Attention is block-causal: a token of block `b` (0 = problem, `k+1` = step `k`) attends to every
//! token of blocks `<= b`. Inside a block attention is bidirectional, as in the pretrained model.
//! A step's hidden states therefore never depend on later steps, which is what lets the browser
//! stream steps with a key/value cache ([`Verifier::forward_block`]).
//!
//! Module field names follow the Hugging Face BERT checkpoint after two renames
//! (`LayerNorm` -> `layer_norm`, `attention.self` -> `attention.self_attn`), so pretrained
//! safetensors load straight into burn's own layers.

use burn::{
    nn::{
        Dropout, DropoutConfig, Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear,
        LinearConfig,
    },
    prelude::*,
    tensor::activation::{gelu, softmax},
};

/// Architecture of the verifier (BERT hyper-parameters plus nothing else).
#[derive(Config, Debug, PartialEq)]
pub struct VerifierConfig {
    #[config(default = 30522)]
    pub vocab_size: usize,
    #[config(default = 384)]
    pub hidden_size: usize,
    #[config(default = 6)]
    pub num_layers: usize,
    #[config(default = 12)]
    pub num_heads: usize,
    #[config(default = 1536)]
    pub intermediate_size: usize,
    #[config(default = 512)]
    pub max_positions: usize,
    #[config(default = 2)]
    pub type_vocab_size: usize,
    #[config(default = 1e-12)]
    pub layer_norm_eps: f64,
    #[config(default = 0.1)]
    pub dropout: f64,
}

#[derive(Module, Debug)]
pub struct Embeddings {
    pub word_embeddings: Embedding,
    pub position_embeddings: Embedding,
    pub token_type_embeddings: Embedding,
    pub layer_norm: LayerNorm,
    dropout: Dropout,
}

#[derive(Module, Debug)]
pub struct SelfAttention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    num_heads: usize,
}

#[derive(Module, Debug)]
pub struct DenseNorm {
    pub dense: Linear,
    pub layer_norm: LayerNorm,
    dropout: Dropout,
}

#[derive(Module, Debug)]
pub struct Dense {
    pub dense: Linear,
}

#[derive(Module, Debug)]
pub struct Attention {
    pub self_attn: SelfAttention,
    pub output: DenseNorm,
}

#[derive(Module, Debug)]
pub struct Layer {
    pub attention: Attention,
    pub intermediate: Dense,
    pub output: DenseNorm,
}

#[derive(Module, Debug)]
pub struct Encoder {
    pub layer: Vec<Layer>,
}

/// The whole verifier.
#[derive(Module, Debug)]
pub struct Verifier {
    pub embeddings: Embeddings,
    pub encoder: Encoder,
    /// Per-step logit: is the reasoning still correct after this step?
    pub prm_head: Linear,
    /// Per-solution logit: is the final answer right?
    pub orm_head: Linear,
}

/// Keys and values of every layer for the tokens read so far (one sequence).
#[derive(Clone, Debug)]
pub struct BlockCache {
    /// Per layer: `[1, heads, len, head_dim]`.
    keys: Vec<Tensor<4>>,
    values: Vec<Tensor<4>>,
    /// Number of positions already read.
    pub len: usize,
}

impl BlockCache {
    pub fn new() -> Self {
        BlockCache {
            keys: Vec::new(),
            values: Vec::new(),
            len: 0,
        }
    }
}

impl Default for BlockCache {
    fn default() -> Self {
        Self::new()
    }
}

impl VerifierConfig {
    /// A randomly initialised verifier (pretrained weights are loaded on top by the caller).
    pub fn init(&self, device: &Device) -> Verifier {
        let h = self.hidden_size;
        let ln = || {
            LayerNormConfig::new(h)
                .with_epsilon(self.layer_norm_eps)
                .init(device)
        };
        let drop = || DropoutConfig::new(self.dropout).init();
        let dense_norm = |d_in: usize| DenseNorm {
            dense: LinearConfig::new(d_in, h).init(device),
            layer_norm: ln(),
            dropout: drop(),
        };
        let layer = (0..self.num_layers)
            .map(|_| Layer {
                attention: Attention {
                    self_attn: SelfAttention {
                        query: LinearConfig::new(h, h).init(device),
                        key: LinearConfig::new(h, h).init(device),
                        value: LinearConfig::new(h, h).init(device),
                        num_heads: self.num_heads,
                    },
                    output: dense_norm(h),
                },
                intermediate: Dense {
                    dense: LinearConfig::new(h, self.intermediate_size).init(device),
                },
                output: dense_norm(self.intermediate_size),
            })
            .collect();
        Verifier {
            embeddings: Embeddings {
                word_embeddings: EmbeddingConfig::new(self.vocab_size, h).init(device),
                position_embeddings: EmbeddingConfig::new(self.max_positions, h).init(device),
                token_type_embeddings: EmbeddingConfig::new(self.type_vocab_size, h).init(device),
                layer_norm: ln(),
                dropout: drop(),
            },
            encoder: Encoder { layer },
            prm_head: LinearConfig::new(h, 1).init(device),
            orm_head: LinearConfig::new(h, 1).init(device),
        }
    }
}

impl SelfAttention {
    fn split_heads(&self, x: Tensor<3>) -> Tensor<4> {
        let [b, t, h] = x.dims();
        x.reshape([b, t, self.num_heads, h / self.num_heads])
            .swap_dims(1, 2)
    }

    /// Queries from `x`; keys/values from `x` appended to `past` (if any). Returns the context and
    /// the full keys/values. `mask` (true = blocked) has shape `[b, 1, t_q, t_k]`.
    fn forward(
        &self,
        x: Tensor<3>,
        past: Option<(Tensor<4>, Tensor<4>)>,
        mask: Option<Tensor<4, Bool>>,
    ) -> (Tensor<3>, Tensor<4>, Tensor<4>) {
        let [b, t, h] = x.dims();
        let head_dim = h / self.num_heads;
        // scaled before the product: a pass over `[t, h]` instead of over the `[heads, t, t]` scores
        let q = self.split_heads(self.query.forward(x.clone()) / (head_dim as f64).sqrt());
        let mut k = self.split_heads(self.key.forward(x.clone()));
        let mut v = self.split_heads(self.value.forward(x));
        if let Some((pk, pv)) = past {
            k = Tensor::cat(vec![pk, k], 2);
            v = Tensor::cat(vec![pv, v], 2);
        }
        let mut scores = q.matmul(k.clone().swap_dims(2, 3));
        if let Some(mask) = mask {
            let [_, heads, tq, tk] = scores.dims();
            scores = scores.mask_fill(mask.expand([b, heads, tq, tk]), -1.0e4);
        }
        let probs = softmax(scores, 3);
        let ctx = probs.matmul(v.clone()).swap_dims(1, 2).reshape([b, t, h]);
        (ctx, k, v)
    }
}

impl DenseNorm {
    fn forward(&self, x: Tensor<3>, residual: Tensor<3>) -> Tensor<3> {
        let y = self.dropout.forward(self.dense.forward(x));
        self.layer_norm.forward(y + residual)
    }
}

impl Layer {
    fn forward(
        &self,
        x: Tensor<3>,
        past: Option<(Tensor<4>, Tensor<4>)>,
        mask: Option<Tensor<4, Bool>>,
    ) -> (Tensor<3>, Tensor<4>, Tensor<4>) {
        let (ctx, k, v) = self.attention.self_attn.forward(x.clone(), past, mask);
        let x = self.attention.output.forward(ctx, x);
        let inner = gelu(self.intermediate.dense.forward(x.clone()));
        (self.output.forward(inner, x), k, v)
    }
}

impl Verifier {
    fn embed(&self, ids: Tensor<2, Int>, start_pos: usize) -> Tensor<3> {
        let [b, t] = ids.dims();
        let device = ids.device();
        let pos = Tensor::<1, Int>::arange(start_pos as i64..(start_pos + t) as i64, &device)
            .reshape([1, t])
            .repeat_dim(0, b);
        let types = Tensor::<2, Int>::zeros([b, t], &device);
        let e = &self.embeddings;
        let x = e.word_embeddings.forward(ids)
            + e.position_embeddings.forward(pos)
            + e.token_type_embeddings.forward(types);
        e.dropout.forward(e.layer_norm.forward(x))
    }

    /// Hidden states of a padded batch. `blocks[b, t]` is the block index of each token
    /// (0 = problem, k+1 = step k); padding must carry a block index larger than any real one.
    pub fn forward(&self, ids: Tensor<2, Int>, blocks: Tensor<2, Int>) -> Tensor<3> {
        let [b, t] = ids.dims();
        let query_block = blocks.clone().reshape([b, 1, t, 1]).expand([b, 1, t, t]);
        let key_block = blocks.reshape([b, 1, 1, t]).expand([b, 1, t, t]);
        let mask = key_block.greater(query_block);
        let mut x = self.embed(ids, 0);
        for layer in &self.encoder.layer {
            x = layer.forward(x, None, Some(mask.clone())).0;
        }
        x
    }

    /// Read one more block (the problem, or one step) of a single sequence, attending to the cached
    /// earlier blocks and bidirectionally within itself. Same result as [`Verifier::forward`] on
    /// the whole prefix, at a cost that does not depend on how many blocks came before (beyond the
    /// attention over cached keys).
    pub fn forward_block(&self, ids: Tensor<2, Int>, cache: &mut BlockCache) -> Tensor<3> {
        let [_, t] = ids.dims();
        let mut x = self.embed(ids, cache.len);
        let first = cache.keys.is_empty();
        for (l, layer) in self.encoder.layer.iter().enumerate() {
            let past = (!first).then(|| (cache.keys[l].clone(), cache.values[l].clone()));
            let (y, k, v) = layer.forward(x, past, None);
            x = y;
            if first {
                cache.keys.push(k);
                cache.values.push(v);
            } else {
                cache.keys[l] = k;
                cache.values[l] = v;
            }
        }
        cache.len += t;
        x
    }

    /// PRM logits of the given hidden states, `[.., hidden] -> [..]` squeezed on the last dim.
    pub fn prm_logits<const D: usize>(&self, hidden: Tensor<D>) -> Tensor<D> {
        self.prm_head.forward(hidden)
    }

    pub fn orm_logits<const D: usize>(&self, hidden: Tensor<D>) -> Tensor<D> {
        self.orm_head.forward(hidden)
    }

    pub fn max_positions(&self) -> usize {
        self.embeddings.position_embeddings.weight.dims()[0]
    }
}
