//! Choosing where to run: CUDA (feature `cuda`), wgpu (feature `wgpu`, default) or the pure-Rust
//! CPU backend Flex (feature `flex`, default), with a fallback that is announced, not silent.
//!
//! Model code is generic over `B: AutodiffBackend`; a [`BackendJob`] is such code packaged so that
//! [`run`] can call it with whichever backend was chosen at run time.

use std::fmt;

use burn::tensor::backend::AutodiffBackend;

#[cfg(not(any(feature = "flex", feature = "wgpu", feature = "cuda")))]
compile_error!("enable at least one backend feature of `attgan`: `flex`, `wgpu` or `cuda`");

/// The CPU backend (pure Rust).
#[cfg(feature = "flex")]
pub type Cpu = burn::backend::Flex;
/// The wgpu backend (Vulkan, Metal, DX12).
#[cfg(feature = "wgpu")]
pub type Wgpu = burn::backend::Wgpu;
/// The CUDA backend.
#[cfg(feature = "cuda")]
pub type Cuda = burn::backend::Cuda;

/// Which backend the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preference {
    /// The best one available: CUDA, then a hardware wgpu adapter, then the CPU.
    #[default]
    Auto,
    /// The CPU backend.
    Cpu,
    /// wgpu's default adapter.
    Wgpu,
    /// The first CUDA device.
    Cuda,
}

impl std::str::FromStr for Preference {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" | "flex" => Ok(Self::Cpu),
            "wgpu" | "vulkan" | "metal" => Ok(Self::Wgpu),
            "cuda" => Ok(Self::Cuda),
            other => Err(format!("unknown device `{other}`; expected auto, cpu, wgpu or cuda")),
        }
    }
}

/// The backend that was chosen, with a line for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// What was chosen.
    pub kind: Preference,
    /// What it is, e.g. "wgpu: llvmpipe (LLVM 15.0.6, 256 bits) [Cpu, Vulkan] (a software Vulkan device)".
    pub description: String,
    /// Why a better choice was passed over, if it was.
    pub fallback_reason: Option<String>,
}

impl fmt::Display for Selected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.description)?;
        if let Some(why) = &self.fallback_reason {
            write!(f, " (fallback: {why})")?;
        }
        Ok(())
    }
}

/// Code generic over the backend, run by [`run`] on the selected one.
pub trait BackendJob {
    /// What the job returns.
    type Output;
    /// Runs the job on `device` of backend `B`.
    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) -> Self::Output;
}

/// A wgpu adapter found on this machine.
#[cfg(feature = "wgpu")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WgpuAdapter {
    /// Name, type and graphics API.
    pub description: String,
    /// Whether it is a software rasteriser such as Mesa's llvmpipe (slower than the CPU backend).
    pub software: bool,
}

/// The best wgpu adapter (discrete, then integrated, virtual, software), or why there is none.
#[cfg(feature = "wgpu")]
pub fn wgpu_adapter() -> Result<WgpuAdapter, String> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY));
    let info = adapters
        .iter()
        .map(|a| a.get_info())
        .max_by_key(|i| match i.device_type {
            wgpu::DeviceType::DiscreteGpu => 4,
            wgpu::DeviceType::IntegratedGpu => 3,
            wgpu::DeviceType::VirtualGpu => 2,
            wgpu::DeviceType::Cpu => 1,
            wgpu::DeviceType::Other => 0,
        })
        .ok_or_else(|| "no Vulkan, Metal or DX12 adapter found (on Debian, `apt-get install mesa-vulkan-drivers` gives a software one)".to_string())?;
    let software = info.device_type == wgpu::DeviceType::Cpu;
    let note = if software { " (a software device)" } else { "" };
    Ok(WgpuAdapter {
        description: format!("wgpu: {} [{:?}, {:?}]{note}", info.name, info.device_type, info.backend),
        software,
    })
}

/// Whether a CUDA device answers (the driver may be missing even where the feature is built).
#[cfg(feature = "cuda")]
fn cuda_probe() -> Result<String, String> {
    use burn::tensor::Tensor;
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let probe = std::panic::catch_unwind(|| {
        let device = burn::backend::cuda::CudaDevice::default();
        Tensor::<Cuda, 1>::ones([1], &device).into_scalar()
    });
    std::panic::set_hook(hook);
    match probe {
        Ok(_) => Ok("cuda: device 0".into()),
        Err(e) => Err(format!(
            "CUDA is not usable: {}",
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
}

/// Every backend this build can run on here, best first: CUDA when it answers, wgpu when an
/// adapter exists (a software one included, and described as such), then the CPU.
pub fn available() -> Vec<Selected> {
    let mut found = Vec::new();
    #[cfg(feature = "cuda")]
    if let Ok(description) = cuda_probe() {
        found.push(Selected { kind: Preference::Cuda, description, fallback_reason: None });
    }
    #[cfg(feature = "wgpu")]
    if let Ok(adapter) = wgpu_adapter() {
        found.push(Selected { kind: Preference::Wgpu, description: adapter.description, fallback_reason: None });
    }
    #[cfg(feature = "flex")]
    found.push(Selected { kind: Preference::Cpu, description: cpu_description(), fallback_reason: None });
    found
}

#[cfg(feature = "flex")]
fn cpu_description() -> String {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("cpu: Flex on {cores} threads")
}

/// Runs `job` on the preferred backend. `Auto` takes CUDA, then a hardware wgpu adapter, then the
/// CPU, saying why it passed over each; an explicit choice that is unavailable is an error.
pub fn run<J: BackendJob>(preference: Preference, job: J) -> Result<J::Output, String> {
    let mut passed_over: Vec<String> = Vec::new();
    let wants = |kind: Preference| preference == kind || preference == Preference::Auto;

    if wants(Preference::Cuda) {
        #[cfg(feature = "cuda")]
        match cuda_probe() {
            Ok(description) => {
                let selected = Selected { kind: Preference::Cuda, description, fallback_reason: None };
                let device = burn::backend::cuda::CudaDevice::default();
                return Ok(job.run::<burn::backend::Autodiff<Cuda>>(device, &selected));
            }
            Err(why) => passed_over.push(why),
        }
        #[cfg(not(feature = "cuda"))]
        passed_over.push("built without the `cuda` feature".into());
        if preference == Preference::Cuda {
            return Err(passed_over.join("; "));
        }
    }
    if wants(Preference::Wgpu) {
        #[cfg(feature = "wgpu")]
        match wgpu_adapter() {
            Ok(adapter) if adapter.software && preference == Preference::Auto && cfg!(feature = "flex") => passed_over
                .push(format!(
                    "{} is slower than the CPU backend (use the wgpu device explicitly to insist)",
                    adapter.description
                )),
            Ok(WgpuAdapter { description, .. }) => {
                let fallback_reason = (!passed_over.is_empty()).then(|| passed_over.join("; "));
                let selected = Selected { kind: Preference::Wgpu, description, fallback_reason };
                return Ok(job.run::<burn::backend::Autodiff<Wgpu>>(Default::default(), &selected));
            }
            Err(why) => passed_over.push(why),
        }
        #[cfg(not(feature = "wgpu"))]
        passed_over.push("built without the `wgpu` feature".into());
        if preference == Preference::Wgpu {
            return Err(passed_over.join("; "));
        }
    }
    #[cfg(feature = "flex")]
    {
        let fallback_reason = (!passed_over.is_empty()).then(|| passed_over.join("; "));
        let selected = Selected { kind: Preference::Cpu, description: cpu_description(), fallback_reason };
        Ok(job.run::<burn::backend::Autodiff<Cpu>>(Default::default(), &selected))
    }
    #[cfg(not(feature = "flex"))]
    {
        passed_over.push("built without the `flex` CPU feature".into());
        Err(passed_over.join("; "))
    }
}

/// Memory as a backend reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryReading {
    /// The process's peak resident set since [`reset_peak_memory`] (Linux `VmHWM`): the CPU
    /// backend's tensors live there, with everything else the process holds.
    PeakResident(u64),
    /// A GPU's memory pools now: bytes held by live tensors and bytes reserved. The pools keep
    /// what a step needed, so `reserved` after a step is close to its peak.
    Device {
        /// Bytes in live allocations.
        in_use: u64,
        /// Bytes the pools hold on the device.
        reserved: u64,
    },
}

impl fmt::Display for MemoryReading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        match *self {
            Self::PeakResident(b) => write!(f, "peak resident {:.0} MiB (whole process)", mib(b)),
            Self::Device { in_use, reserved } => {
                write!(f, "device reserved {:.0} MiB, in use {:.0} MiB", mib(reserved), mib(in_use))
            }
        }
    }
}

/// Starts a new peak for [`memory`] where the backend keeps one (the CPU's resident set on
/// Linux); a no-op elsewhere.
pub fn reset_peak_memory(kind: Preference) {
    if kind == Preference::Cpu {
        // Writing 5 to clear_refs resets VmHWM (Linux 4.0 and later).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
}

/// What the backend of `kind` (its default device) reports about memory, if anything.
pub fn memory(kind: Preference) -> Option<MemoryReading> {
    match kind {
        Preference::Cpu => {
            let status = std::fs::read_to_string("/proc/self/status").ok()?;
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(MemoryReading::PeakResident(kib * 1024))
        }
        #[cfg(feature = "wgpu")]
        Preference::Wgpu => {
            device_memory::<burn::cubecl::wgpu::WgpuRuntime>(&burn::backend::wgpu::WgpuDevice::default())
        }
        #[cfg(feature = "cuda")]
        Preference::Cuda => {
            device_memory::<burn::cubecl::cuda::CudaRuntime>(&burn::backend::cuda::CudaDevice::default())
        }
        _ => None,
    }
}

#[cfg(any(feature = "wgpu", feature = "cuda"))]
fn device_memory<R: burn::cubecl::Runtime>(device: &R::Device) -> Option<MemoryReading> {
    let usage = R::client(device).memory_usage().ok()?;
    Some(MemoryReading::Device { in_use: usage.bytes_in_use, reserved: usage.bytes_reserved })
}
