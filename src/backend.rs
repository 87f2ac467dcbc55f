//! Choosing where to run: CUDA (feature `cuda`), wgpu (feature `wgpu`), LibTorch on the CPU
//! (feature `tch`, optional and not pure Rust) or the pure-Rust CPU backend Flex (feature `flex`,
//! default), with a fallback that is announced, not silent.
//!
//! Every fact about a backend lives in one place, [`Kind`]'s impl: its names, its feature, how to
//! find out whether it answers here, how to run code on it, what it says about memory. To add a
//! backend, add a variant and its arm in each `match` of that impl (the compiler lists them), and
//! its Cargo feature. Everything else ([`run`], [`available`], the tasks, the benches) walks
//! [`Kind::ALL`].
//!
//! Model code is generic over `B: AutodiffBackend`; a [`BackendJob`] is such code packaged so that
//! [`run`] can call it with whichever backend was chosen at run time.

use std::fmt;

use burn::backend::Autodiff;
use burn::tensor::backend::AutodiffBackend;

#[cfg(not(any(feature = "flex", feature = "wgpu", feature = "cuda", feature = "tch")))]
compile_error!("enable at least one backend feature of `attgan`: `flex`, `wgpu`, `cuda` or `tch`");

/// The CPU backend (pure Rust).
#[cfg(feature = "flex")]
pub type Cpu = burn::backend::Flex;
/// The wgpu backend (Vulkan, Metal, DX12).
#[cfg(feature = "wgpu")]
pub type Wgpu = burn::backend::Wgpu;
/// The CUDA backend.
#[cfg(feature = "cuda")]
pub type Cuda = burn::backend::Cuda;
/// The LibTorch backend (PyTorch's C++ library through `tch`), used on the CPU.
#[cfg(feature = "tch")]
pub type LibTorch = burn::backend::LibTorch;

/// A backend this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// NVIDIA GPUs through CUDA (feature `cuda`).
    Cuda,
    /// GPUs through Vulkan, Metal or DX12 (feature `wgpu`).
    Wgpu,
    /// PyTorch's C++ library on the CPU (feature `tch`): its oneDNN convolutions and vectorised
    /// element-wise kernels: on the 2-core machine 2.2-2.8x Flex's training speed for the 128
    /// model and 1.8x for the quick run's 32x32 one (docs/benchmarks.md). Needs LibTorch 2.9 at
    /// build and run time (README, "Faster on the CPU: LibTorch").
    LibTorch,
    /// The pure-Rust CPU backend Flex (feature `flex`).
    Cpu,
}

/// What probing a backend found.
struct Found {
    description: String,
    software: bool,
}

impl Kind {
    /// Every backend, best first: the order in which [`Preference::Auto`] tries them.
    pub const ALL: [Kind; 4] = [Kind::Cuda, Kind::Wgpu, Kind::LibTorch, Kind::Cpu];

    /// The name users type, e.g. `cuda`.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Cuda => "cuda",
            Kind::Wgpu => "wgpu",
            Kind::LibTorch => "libtorch",
            Kind::Cpu => "cpu",
        }
    }

    /// Other names accepted for it.
    const fn aliases(self) -> &'static [&'static str] {
        match self {
            Kind::Cuda => &[],
            Kind::Wgpu => &["vulkan", "metal"],
            Kind::LibTorch => &["tch", "torch"],
            Kind::Cpu => &["flex"],
        }
    }

    /// The Cargo feature of `attgan` that builds it.
    pub const fn feature(self) -> &'static str {
        match self {
            Kind::Cuda => "cuda",
            Kind::Wgpu => "wgpu",
            Kind::LibTorch => "tch",
            Kind::Cpu => "flex",
        }
    }

    /// Whether this build includes it.
    pub const fn is_built(self) -> bool {
        match self {
            Kind::Cuda => cfg!(feature = "cuda"),
            Kind::Wgpu => cfg!(feature = "wgpu"),
            Kind::LibTorch => cfg!(feature = "tch"),
            Kind::Cpu => cfg!(feature = "flex"),
        }
    }

    /// Whether it answers on this machine, and what it is; or why not.
    fn probe(self) -> Result<Found, String> {
        if !self.is_built() {
            return Err(format!("built without the `{}` feature", self.feature()));
        }
        match self {
            #[cfg(feature = "cuda")]
            Kind::Cuda => cuda_probe().map(|description| Found { description, software: false }),
            #[cfg(feature = "wgpu")]
            Kind::Wgpu => wgpu_adapter().map(|a| Found { description: a.description, software: a.software }),
            #[cfg(feature = "tch")]
            Kind::LibTorch => Ok(Found {
                description: format!("libtorch: LibTorch on the CPU, {} threads", tch::get_num_threads()),
                software: false,
            }),
            #[cfg(feature = "flex")]
            Kind::Cpu => {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                Ok(Found { description: format!("cpu: Flex on {cores} threads"), software: false })
            }
            #[allow(unreachable_patterns)]
            _ => unreachable!("is_built() is false for a backend whose feature is off"),
        }
    }

    /// Runs `job` on this backend's default device. Only called after a successful probe.
    fn run<J: BackendJob>(self, job: J, selected: &Selected) -> J::Output {
        match self {
            #[cfg(feature = "cuda")]
            Kind::Cuda => job.run::<Autodiff<Cuda>>(Default::default(), selected),
            #[cfg(feature = "wgpu")]
            Kind::Wgpu => job.run::<Autodiff<Wgpu>>(Default::default(), selected),
            #[cfg(feature = "tch")]
            Kind::LibTorch => {
                // LibTorch's CPU allocator is glibc's malloc too: the same setting saves the
                // same page faults (batch-8 critic step 1.77 -> 1.31 s; see the module).
                keep_freed_memory();
                job.run::<Autodiff<LibTorch>>(burn::backend::libtorch::LibTorchDevice::Cpu, selected)
            }
            #[cfg(feature = "flex")]
            Kind::Cpu => {
                // A CPU step reuses megabyte buffers; keep them in malloc's heap instead of
                // page-faulting them in again every step (batch-1 iteration 10.33 -> 8.73 s; see the module).
                keep_freed_memory();
                job.run::<Autodiff<Cpu>>(Default::default(), selected)
            }
            #[allow(unreachable_patterns)]
            _ => unreachable!("{} runs only after its probe succeeded, which needs its feature", self.name()),
        }
    }

    /// What the backend (its default device) reports about memory, if anything.
    pub fn memory(self) -> Option<MemoryReading> {
        match self {
            Kind::Cpu | Kind::LibTorch => {
                let status = std::fs::read_to_string("/proc/self/status").ok()?;
                let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
                let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(MemoryReading::PeakResident(kib * 1024))
            }
            #[cfg(feature = "wgpu")]
            Kind::Wgpu => device_memory::<burn::cubecl::wgpu::WgpuRuntime>(&burn::backend::wgpu::WgpuDevice::default()),
            #[cfg(feature = "cuda")]
            Kind::Cuda => device_memory::<burn::cubecl::cuda::CudaRuntime>(&burn::backend::cuda::CudaDevice::default()),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Whether it runs on a GPU (CUDA, wgpu) rather than the CPU (Flex, LibTorch here).
    pub const fn is_gpu(self) -> bool {
        matches!(self, Kind::Cuda | Kind::Wgpu)
    }

    /// Starts a new peak for [`Kind::memory`] where the backend keeps one (the CPU's resident set
    /// on Linux); a no-op elsewhere.
    pub fn reset_peak_memory(self) {
        if !self.is_gpu() {
            // Writing 5 to clear_refs resets VmHWM (Linux 4.0 and later).
            let _ = std::fs::write("/proc/self/clear_refs", "5");
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which backend the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preference {
    /// The best one available: CUDA, then a hardware wgpu adapter, then the CPU.
    #[default]
    Auto,
    /// This one, or an error saying why it cannot run.
    Only(Kind),
}

impl Preference {
    fn admits(self, kind: Kind) -> bool {
        self == Preference::Auto || self == Preference::Only(kind)
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    /// A backend's name or alias, in any case.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s || k.aliases().contains(&s.as_str()))
            .ok_or_else(|| format!("unknown device `{s}`; expected {}", kind_names().join(", ")))
    }
}

impl std::str::FromStr for Preference {
    type Err = String;
    /// `auto` or a backend's name.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Preference::Auto);
        }
        s.parse().map(Preference::Only).map_err(|_: String| {
            format!("unknown device `{}`; expected auto, {}", s.to_ascii_lowercase(), kind_names().join(", "))
        })
    }
}

/// Several devices of one backend, as `--devices` takes them: `cuda:0,cuda:1`, `wgpu:0,wgpu:1`
/// (the n-th discrete GPU), `cpu,cpu` (replicas on the one CPU device, for testing). A device
/// without an index is index 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Devices {
    /// The backend.
    pub kind: Kind,
    /// Each device's index, in the order given; the first leads (data, checkpoints, samples).
    pub indices: Vec<u16>,
}

impl Devices {
    /// The devices of backend `B`, by index (`B::Device::from_id` with type 0: CUDA's device n,
    /// wgpu's n-th discrete GPU, the CPU; LibTorch's type 2, its CPU).
    pub fn of<B: burn::tensor::backend::Backend>(&self) -> Vec<B::Device> {
        use burn::tensor::backend::{Device, DeviceId};
        let type_id = if self.kind == Kind::LibTorch { 2 } else { 0 };
        self.indices.iter().map(|&i| B::Device::from_id(DeviceId::new(type_id, i))).collect()
    }
}

impl std::str::FromStr for Devices {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut kind = None;
        let mut indices = Vec::new();
        for item in s.split(',').map(str::trim) {
            let (name, index) = item.split_once(':').unwrap_or((item, "0"));
            let k: Kind = name.parse().map_err(|e| format!("--devices `{s}`: {e}"))?;
            let i = index
                .parse::<u16>()
                .map_err(|_| format!("--devices `{s}`: `{index}` in `{item}` is not a device index"))?;
            match kind {
                Some(first) if first != k => {
                    return Err(format!("--devices `{s}` mixes {first} and {k}; all devices must be of one backend"));
                }
                _ => kind = Some(k),
            }
            indices.push(i);
        }
        let kind = kind.ok_or_else(|| format!("--devices `{s}` names no device"))?;
        Ok(Self { kind, indices })
    }
}

/// The names of every backend, best first.
fn kind_names() -> Vec<&'static str> {
    Kind::ALL.iter().map(|k| k.name()).collect()
}

impl fmt::Display for Preference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Preference::Auto => f.write_str("auto"),
            Preference::Only(kind) => kind.fmt(f),
        }
    }
}

/// The backend that was chosen, with a line for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// What was chosen.
    pub kind: Kind,
    /// What it is, e.g. "wgpu: llvmpipe (LLVM 15.0.6, 256 bits) [Cpu, Vulkan] (a software device)".
    pub description: String,
    /// Whether it is a software rasteriser posing as a GPU (Mesa's llvmpipe): slower than the CPU
    /// backend.
    pub software: bool,
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

/// Every backend this build can run on here, best first: CUDA when it answers, wgpu when an
/// adapter exists (a software one included, and marked as such), then the CPU.
pub fn available() -> Vec<Selected> {
    Kind::ALL
        .into_iter()
        .filter_map(|kind| {
            let found = kind.probe().ok()?;
            Some(Selected { kind, description: found.description, software: found.software, fallback_reason: None })
        })
        .collect()
}

/// Runs `job` on the preferred backend. `Auto` takes the first of [`Kind::ALL`] that answers,
/// passing over a software GPU when the CPU backend is built, and says why it passed over each;
/// an explicit choice that is unavailable is an error saying why.
pub fn run<J: BackendJob>(preference: Preference, job: J) -> Result<J::Output, String> {
    let mut passed_over: Vec<String> = Vec::new();
    for kind in Kind::ALL.into_iter().filter(|&k| preference.admits(k)) {
        match kind.probe() {
            Ok(found) if found.software && preference == Preference::Auto && Kind::Cpu.is_built() => passed_over.push(
                format!("{} is slower than the CPU backend (ask for {kind} explicitly to insist)", found.description),
            ),
            Ok(found) => {
                let fallback_reason = (!passed_over.is_empty()).then(|| passed_over.join("; "));
                let selected =
                    Selected { kind, description: found.description, software: found.software, fallback_reason };
                return Ok(kind.run(job, &selected));
            }
            Err(why) => passed_over.push(why),
        }
    }
    Err(passed_over.join("; "))
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
/// CubeCL reports a failure (no driver, a stub `libcuda.so` first on the library path, NVRTC
/// missing) as a panic in its device thread, which the caller sees only as a closed channel:
/// the panics of every thread are collected while probing, so that the error says why.
#[cfg(feature = "cuda")]
fn cuda_probe() -> Result<String, String> {
    use std::sync::{Arc, Mutex};

    use burn::tensor::Tensor;
    let messages = Arc::new(Mutex::new(Vec::<String>::new()));
    let hook = std::panic::take_hook();
    let seen = Arc::clone(&messages);
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        seen.lock().unwrap_or_else(|e| e.into_inner()).push(text);
    }));
    let probe = std::panic::catch_unwind(|| {
        let device = burn::backend::cuda::CudaDevice::default();
        Tensor::<Cuda, 1>::ones([1], &device).into_scalar()
    });
    std::panic::set_hook(hook);
    match probe {
        Ok(_) => Ok("cuda: device 0".into()),
        Err(_) => {
            let messages = messages.lock().unwrap_or_else(|e| e.into_inner());
            // The device thread's panic comes first and says why; the caller's own (a closed
            // channel) says only that it happened.
            let why = messages.iter().find(|m| !m.contains("RecvError")).or(messages.first());
            Err(format!("CUDA is not usable: {}", why.map_or("no reason given", |m| m.as_str())))
        }
    }
}

/// Memory as a backend reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryReading {
    /// The process's peak resident set since [`Kind::reset_peak_memory`] (Linux `VmHWM`): the
    /// CPU backend's tensors live there, with everything else the process holds.
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

impl MemoryReading {
    /// The figure to compare across backends: the peak resident set, or the device's reserved
    /// bytes.
    pub fn peak_bytes(self) -> u64 {
        match self {
            Self::PeakResident(b) => b,
            Self::Device { reserved, .. } => reserved,
        }
    }
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

#[cfg(any(feature = "wgpu", feature = "cuda"))]
fn device_memory<R: burn::cubecl::Runtime>(device: &R::Device) -> Option<MemoryReading> {
    let usage = R::client(device).memory_usage().ok()?;
    Some(MemoryReading::Device { in_use: usage.bytes_in_use, reserved: usage.bytes_reserved })
}

/// The CPU backends' allocator setting ([`attgan_core::allocator`]), unless the environment
/// declines it (`ATTGAN_KEEP_FREED_MEMORY=0`).
#[cfg(any(feature = "flex", feature = "tch"))]
fn keep_freed_memory() {
    if attgan_core::allocator::wanted() {
        attgan_core::allocator::keep_freed_memory();
    }
}
