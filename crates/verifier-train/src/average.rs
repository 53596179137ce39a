//! `prm average`: a uniform weight average ("model soup", Wortsman et al. 2022) of verifiers
//! fine-tuned from the same pretrained checkpoint with the same architecture and vocabulary,
//! e.g. the same recipe run with different seeds. The result is one model of the same size, so
//! it costs the browser nothing more than any one of them.

use std::path::PathBuf;

use anyhow::{Result, bail};
use burn::{
    module::{Module, ModuleMapper, ModuleVisitor, Param},
    prelude::*,
    tensor::TensorData,
};
use clap::Args;

use crate::{
    device, model_dir,
    train::{unevaluated_config, write_model},
};

#[derive(Args, Debug)]
pub struct AverageArgs {
    /// Model directories to average (at least two).
    #[arg(required = true, num_args = 2..)]
    pub models: Vec<PathBuf>,
    /// Where to write the averaged model directory.
    #[arg(long)]
    pub out: PathBuf,
}

/// Every float parameter of a module, in visiting order.
struct Collect(Vec<TensorData>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.val().into_data());
    }
}

/// Adds the i-th collected tensor of every other model to the i-th float parameter, then divides
/// by the number of models.
struct Sum<'a> {
    others: &'a [Vec<TensorData>],
    index: usize,
    error: Option<String>,
}

impl ModuleMapper for Sum<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let i = self.index;
        self.index += 1;
        let n = (self.others.len() + 1) as f32;
        let mut error = None;
        let param = param.map(|t| {
            let device = t.device();
            let dims = t.dims();
            let mut sum = t;
            for (k, other) in self.others.iter().enumerate() {
                match other.get(i) {
                    Some(d) if d.shape().as_slice() == dims.as_slice() => {
                        sum = sum + Tensor::<D>::from_data(d.clone(), &device);
                    }
                    Some(d) => {
                        error = Some(format!(
                            "parameter {i} is {:?} in model 1 but {:?} in model {}",
                            dims,
                            d.shape().as_slice(),
                            k + 2
                        ));
                    }
                    None => error = Some(format!("model {} has fewer parameters", k + 2)),
                }
            }
            sum / n
        });
        if self.error.is_none() {
            self.error = error;
        }
        param
    }
}

/// The uniform average of modules of one architecture (same parameters, same shapes, same order).
pub fn average<M: Module>(mut models: Vec<M>) -> Result<M> {
    if models.len() < 2 {
        bail!("averaging needs at least two models");
    }
    let first = models.remove(0);
    let others: Vec<Vec<TensorData>> = models
        .iter()
        .map(|m| {
            let mut c = Collect(Vec::new());
            m.visit(&mut c);
            c.0
        })
        .collect();
    let mut sum = Sum {
        others: &others,
        index: 0,
        error: None,
    };
    let averaged = first.map(&mut sum);
    if let Some(e) = sum.error {
        bail!("the models do not have one architecture: {e}");
    }
    if let Some(o) = others.iter().position(|o| o.len() != sum.index) {
        bail!(
            "the models do not have one architecture: model {} has {} parameters, model 1 has {}",
            o + 2,
            others[o].len(),
            sum.index
        );
    }
    Ok(averaged)
}

pub fn run(args: AverageArgs, command_line: String) -> Result<()> {
    let device = device::select(device::DeviceKind::Cpu)?;
    let mut loaded = Vec::new();
    for (k, dir) in args.models.iter().enumerate() {
        loaded.push(model_dir::load_with_tokenizer(dir, &device)?);
        eprintln!("model {}: {}", k + 1, dir.display());
    }
    let Some((first, tokenizer)) = loaded.first() else {
        bail!("no models to average");
    };
    for ((scorer, tok), dir) in loaded.iter().zip(&args.models).skip(1) {
        if tok != tokenizer {
            bail!(
                "{} has another vocabulary than {}: only models trained with one vocabulary can be averaged",
                dir.display(),
                args.models[0].display()
            );
        }
        if scorer.config.architecture != first.config.architecture {
            bail!(
                "{} has another architecture than {}",
                dir.display(),
                args.models[0].display()
            );
        }
    }
    let (architecture, limits) = (
        first.config.architecture.clone(),
        first.config.limits.clone(),
    );
    let tokenizer = String::from_utf8(tokenizer.clone())?;
    let (models, trainings): (Vec<_>, Vec<_>) = loaded
        .into_iter()
        .map(|(scorer, _)| (scorer.model, scorer.config.training))
        .unzip();
    let model = average(models)?;
    let config = unevaluated_config(
        architecture,
        limits,
        serde_json::json!({
            "command": command_line,
            // the first model's settings stand for the recipe; every model's are below
            "args": trainings[0]["args"],
            "average_of": trainings,
        }),
    );
    write_model(&args.out, &model, &config, &tokenizer)?;
    eprintln!(
        "wrote {} (the average of {} models; threshold 0.5 until `prm eval --update-model` chooses one)",
        args.out.display(),
        args.models.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use verifier_core::VerifierConfig;

    fn tiny(layers: usize) -> VerifierConfig {
        VerifierConfig::new()
            .with_vocab_size(50)
            .with_hidden_size(8)
            .with_num_heads(2)
            .with_intermediate_size(16)
            .with_max_positions(16)
            .with_num_layers(layers)
    }

    fn params(m: &impl Module) -> Result<Vec<Vec<f32>>> {
        let mut c = Collect(Vec::new());
        m.visit(&mut c);
        c.0.into_iter()
            .map(|d| {
                d.convert::<f32>()
                    .try_to_vec::<f32>()
                    .map_err(|e| anyhow::anyhow!("{e:?}"))
            })
            .collect()
    }

    #[test]
    fn every_parameter_is_the_mean_of_the_models() -> Result<()> {
        let device = Device::flex();
        let models: Vec<_> = (0..3).map(|_| tiny(2).init(&device)).collect();
        let each = models.iter().map(params).collect::<Result<Vec<_>>>()?;
        assert_ne!(each[0], each[1], "random inits differ");
        let avg = params(&average(models)?)?;
        assert_eq!(avg.len(), each[0].len());
        for (p, got) in avg.iter().enumerate() {
            for (j, v) in got.iter().enumerate() {
                let mean = (each[0][p][j] + each[1][p][j] + each[2][p][j]) / 3.0;
                assert!((v - mean).abs() < 1e-6, "param {p}[{j}]: {v} vs {mean}");
            }
        }
        Ok(())
    }

    #[test]
    fn models_of_other_architectures_are_refused() {
        let device = Device::flex();
        let deeper = average(vec![tiny(1).init(&device), tiny(2).init(&device)]);
        assert!(deeper.unwrap_err().to_string().contains("one architecture"));
        let wider = average(vec![
            tiny(1).init(&device),
            tiny(1).with_hidden_size(16).init(&device),
        ]);
        assert!(wider.unwrap_err().to_string().contains("one architecture"));
        assert!(average(vec![tiny(1).init(&device)]).is_err());
    }
}
