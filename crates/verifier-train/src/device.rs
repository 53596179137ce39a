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
    DeviceSpec::from(kind).open()
}

impl From<DeviceKind> for DeviceSpec {
    fn from(kind: DeviceKind) -> Self {
        match kind {
            DeviceKind::Cpu => DeviceSpec::Cpu,
            DeviceKind::Gpu => DeviceSpec::Wgpu(None),
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

/// One device of `prm train --devices`: `cpu`, `wgpu:N`, `cuda:N` or `remote:ws://HOST:PORT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DeviceSpec {
    Cpu,
    /// `wgpu` (the default adapter) or `wgpu:N` (the N-th discrete GPU).
    Wgpu(Option<usize>),
    Cuda(usize),
    /// A device lent by `prm serve-device` on another machine (or this one).
    Remote(String),
}

impl std::fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceSpec::Cpu => write!(f, "cpu"),
            DeviceSpec::Wgpu(None) => write!(f, "wgpu"),
            DeviceSpec::Wgpu(Some(n)) => write!(f, "wgpu:{n}"),
            DeviceSpec::Cuda(n) => write!(f, "cuda:{n}"),
            DeviceSpec::Remote(url) => write!(f, "remote:{url}"),
        }
    }
}

impl From<DeviceSpec> for String {
    fn from(d: DeviceSpec) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for DeviceSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl std::str::FromStr for DeviceSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let index = |n: &str| {
            n.parse::<usize>()
                .map_err(|_| format!("{s:?}: the device index must be a number"))
        };
        match s.split_once(':') {
            None if s == "cpu" => Ok(DeviceSpec::Cpu),
            None if s == "wgpu" => Ok(DeviceSpec::Wgpu(None)),
            None if s == "cuda" => Ok(DeviceSpec::Cuda(0)),
            Some(("wgpu", n)) => Ok(DeviceSpec::Wgpu(Some(index(n)?))),
            Some(("cuda", n)) => Ok(DeviceSpec::Cuda(index(n)?)),
            Some(("remote", url)) if url.starts_with("ws://") && url.len() > 5 => {
                Ok(DeviceSpec::Remote(url.to_string()))
            }
            Some(("remote", _)) => Err(format!(
                "{s:?}: a remote device is remote:ws://HOST:PORT (a `prm serve-device`)"
            )),
            _ => Err(format!(
                "{s:?}: a device is cpu, wgpu:N, cuda:N or remote:ws://HOST:PORT"
            )),
        }
    }
}

impl DeviceSpec {
    /// Open the device (a remote one connects now, so a server that is not there is an error
    /// before any training).
    pub fn open(&self) -> Result<Device> {
        match self {
            DeviceSpec::Cpu => Ok(Device::flex()),
            #[cfg(feature = "wgpu")]
            DeviceSpec::Wgpu(n) => Ok(Device::wgpu(match n {
                None => burn::tensor::DeviceKind::DefaultDevice,
                Some(n) => burn::tensor::DeviceKind::DiscreteGpu(*n),
            })),
            #[cfg(not(feature = "wgpu"))]
            DeviceSpec::Wgpu(_) => {
                anyhow::bail!(
                    "{self}: this build has no wgpu backend; rebuild with `--features wgpu`"
                )
            }
            #[cfg(feature = "cuda")]
            DeviceSpec::Cuda(n) => Ok(Device::cuda(*n)),
            #[cfg(not(feature = "cuda"))]
            DeviceSpec::Cuda(_) => {
                anyhow::bail!(
                    "{self}: this build has no CUDA backend; rebuild with `--features cuda`"
                )
            }
            DeviceSpec::Remote(url) => {
                let host = burn::tensor::remote::RemoteHost::websocket(url);
                Device::remote_options(&host).init().map_err(|e| {
                    anyhow::anyhow!(
                        "{self}: cannot connect ({e}); is `prm serve-device` running there?"
                    )
                })
            }
        }
    }
}

/// `prm serve-device`: lend this machine's device to a trainer elsewhere.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// The WebSocket port to listen on.
    #[arg(long)]
    pub port: u16,
    /// The device lent: cpu, wgpu:N or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: DeviceSpec,
}

/// Serve until Ctrl+C or SIGTERM.
pub fn serve(args: ServeArgs) -> Result<()> {
    if let DeviceSpec::Remote(_) = args.device {
        anyhow::bail!(
            "--device {}: a server lends a device of its own machine",
            args.device
        );
    }
    let device = args.device.open()?;
    eprintln!(
        "lending {} on ws://0.0.0.0:{} (a trainer uses it as --devices remote:ws://THIS-HOST:{})",
        args.device, args.port, args.port
    );
    burn::server::RemoteServer::new([device])
        .serve(burn::server::WebSocketTransport::new(args.port))
        .map_err(|e| anyhow::anyhow!("serve-device on port {}: {e}", args.port))
}

#[cfg(test)]
mod tests {
    use super::DeviceSpec;

    #[test]
    fn device_lists_parse_print_back_and_refuse_what_is_not_a_device() -> Result<(), String> {
        for (text, spec) in [
            ("cpu", DeviceSpec::Cpu),
            ("wgpu", DeviceSpec::Wgpu(None)),
            ("wgpu:1", DeviceSpec::Wgpu(Some(1))),
            ("cuda:0", DeviceSpec::Cuda(0)),
            (
                "remote:ws://10.0.0.2:3000",
                DeviceSpec::Remote("ws://10.0.0.2:3000".into()),
            ),
        ] {
            assert_eq!(text.parse::<DeviceSpec>()?, spec);
            assert_eq!(spec.to_string(), text);
        }
        for bad in [
            "gpu",
            "cuda:x",
            "remote:",
            "remote:http://host:1",
            "remote:ws://",
        ] {
            assert!(bad.parse::<DeviceSpec>().is_err(), "{bad} was accepted");
        }
        Ok(())
    }
}
