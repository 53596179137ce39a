//! Which burn device the CLI computes on: CPU (flex) by default; `--device gpu` with the `wgpu`
//! cargo feature (Vulkan/Metal/DX12 through wgpu).

use anyhow::{Result, bail};
use burn::prelude::Device;

pub fn select(name: &str) -> Result<Device> {
    match name {
        "cpu" => Ok(Device::flex()),
        #[cfg(feature = "wgpu")]
        "gpu" => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        #[cfg(not(feature = "wgpu"))]
        "gpu" => bail!("this build has no GPU backend; rebuild with `--features wgpu`"),
        other => bail!("unknown device {other:?} (cpu or gpu)"),
    }
}
