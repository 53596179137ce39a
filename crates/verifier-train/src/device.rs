//! Which burn device the CLI computes on: CPU (flex) by default; `--device gpu` with the `wgpu`
//! cargo feature (Vulkan/Metal/DX12 through wgpu).

use anyhow::Result;
use burn::prelude::Device;
use serde::{Deserialize, Serialize};

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// burn's CPU backend (flex).
    #[default]
    Cpu,
    /// wgpu (Vulkan, Metal, DX12): needs a build with `--features wgpu`.
    Gpu,
}

pub fn select(kind: DeviceKind) -> Result<Device> {
    match kind {
        DeviceKind::Cpu => Ok(Device::flex()),
        #[cfg(feature = "wgpu")]
        DeviceKind::Gpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        #[cfg(not(feature = "wgpu"))]
        DeviceKind::Gpu => {
            anyhow::bail!("this build has no GPU backend; rebuild with `--features wgpu`")
        }
    }
}

/// `--aggregate`: how step scores combine into the solution score.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateArg {
    /// The product of the step probabilities (Lightman et al. 2023).
    Product,
    /// The lowest step probability.
    Min,
    /// The probability after the last step.
    Last,
}

impl From<AggregateArg> for verifier_core::Aggregate {
    fn from(a: AggregateArg) -> Self {
        match a {
            AggregateArg::Product => verifier_core::Aggregate::Product,
            AggregateArg::Min => verifier_core::Aggregate::Min,
            AggregateArg::Last => verifier_core::Aggregate::Last,
        }
    }
}
