//! Backend selection: explicit choices, the announced fallback, and errors for what is missing.

use attgan::backend::{self, BackendJob, Devices, Kind, Preference, Selected};
use burn::tensor::backend::AutodiffBackend;

/// Reports which backend ran. (No tensor arithmetic: that would instantiate every backend's
/// kernels in this test binary, a minute and a half of compiling; the suites compute on Flex.)
struct Probe;

impl BackendJob for Probe {
    type Output = (String, Selected);
    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) -> Self::Output {
        (B::name(&device), selected.clone())
    }
}

#[test]
fn device_names_parse() {
    assert_eq!("auto".parse::<Preference>().unwrap(), Preference::Auto);
    assert_eq!("CPU".parse::<Preference>().unwrap(), Preference::Only(Kind::Cpu));
    assert_eq!("flex".parse::<Preference>().unwrap(), Preference::Only(Kind::Cpu));
    assert_eq!("wgpu".parse::<Preference>().unwrap(), Preference::Only(Kind::Wgpu));
    assert_eq!("vulkan".parse::<Preference>().unwrap(), Preference::Only(Kind::Wgpu));
    assert_eq!("cuda".parse::<Preference>().unwrap(), Preference::Only(Kind::Cuda));
    assert_eq!("tch".parse::<Preference>().unwrap(), Preference::Only(Kind::LibTorch));
    for kind in Kind::ALL {
        assert_eq!(kind.to_string().parse::<Preference>().unwrap(), Preference::Only(kind));
    }
    let err = "tpu".parse::<Preference>().unwrap_err();
    assert!(err.contains("`tpu`") && err.contains("auto, cuda, wgpu, libtorch, cpu"), "{err}");
}

#[test]
fn device_lists_parse() {
    let d = "cuda:0, cuda:1".parse::<Devices>().unwrap();
    assert_eq!((d.kind, d.indices), (Kind::Cuda, vec![0, 1]));
    let d = "cpu,cpu".parse::<Devices>().unwrap();
    assert_eq!((d.kind, d.indices.clone()), (Kind::Cpu, vec![0, 0]));
    assert_eq!(d.of::<attgan::backend::Cpu>().len(), 2);
    let err = "cuda:0,wgpu:1".parse::<Devices>().unwrap_err();
    assert!(err.contains("mixes cuda and wgpu"), "{err}");
    let err = "cuda:x".parse::<Devices>().unwrap_err();
    assert!(err.contains("`x` in `cuda:x` is not a device index"), "{err}");
    let err = "tpu:0".parse::<Devices>().unwrap_err();
    assert!(err.contains("--devices `tpu:0`") && err.contains("`tpu`"), "{err}");
}

#[test]
fn cpu_runs_on_flex() {
    let (name, selected) = backend::run(Preference::Only(Kind::Cpu), Probe).unwrap();
    assert!(name.contains("flex"), "{name}");
    assert_eq!(selected.kind, Kind::Cpu);
    assert!(!selected.software);
    assert!(selected.description.starts_with("cpu: Flex"));
}

#[test]
fn auto_names_what_it_passed_over() {
    let (name, selected) = backend::run(Preference::Auto, Probe).unwrap();
    assert!(name.contains(selected.kind.name()) || selected.kind == Kind::Cpu, "{name} for {selected}");
    match selected.kind {
        // A machine with a GPU (or a software Vulkan device) may pick it.
        Kind::Wgpu | Kind::Cuda => {}
        // Built with `tch`, LibTorch comes before Flex.
        Kind::LibTorch => assert!(selected.description.starts_with("libtorch"), "{selected}"),
        Kind::Cpu => {
            let why = selected.fallback_reason.expect("falling back to the CPU is announced");
            assert!(why.contains("cuda") || why.contains("CUDA"), "{why}");
        }
    }
}

#[cfg(not(feature = "cuda"))]
#[test]
fn asking_for_a_backend_not_built_is_an_error() {
    let err = backend::run(Preference::Only(Kind::Cuda), Probe).unwrap_err();
    assert!(err.contains("`cuda` feature"), "{err}");
}

#[cfg(not(feature = "tch"))]
#[test]
fn libtorch_needs_its_feature() {
    let err = backend::run(Preference::Only(Kind::LibTorch), Probe).unwrap_err();
    assert!(err.contains("`tch` feature"), "{err}");
    assert!(!Kind::LibTorch.is_gpu() && Kind::Cuda.is_gpu() && Kind::Wgpu.is_gpu() && !Kind::Cpu.is_gpu());
}

#[cfg(feature = "tch")]
#[test]
fn libtorch_runs_on_the_cpu() {
    let (name, selected) = backend::run(Preference::Only(Kind::LibTorch), Probe).unwrap();
    assert!(name.contains("libtorch<cpu>"), "{name}");
    assert!(selected.description.starts_with("libtorch: LibTorch on the CPU"), "{}", selected.description);
    let d = "libtorch,libtorch".parse::<Devices>().unwrap();
    assert_eq!(d.of::<burn::backend::LibTorch>(), vec![burn::backend::libtorch::LibTorchDevice::Cpu; 2]);
}

#[test]
fn every_backend_has_its_own_name_and_feature() {
    let names: std::collections::HashSet<_> = Kind::ALL.iter().map(|k| k.name()).collect();
    let features: std::collections::HashSet<_> = Kind::ALL.iter().map(|k| k.feature()).collect();
    assert_eq!((names.len(), features.len()), (Kind::ALL.len(), Kind::ALL.len()));
    assert!(Kind::Cpu.is_built(), "the tests run on the CPU backend");
    assert_eq!(Kind::Cuda.is_built(), cfg!(feature = "cuda"));
    let found = backend::available();
    assert_eq!(found.last().map(|s| s.kind), Some(Kind::Cpu), "the CPU is always available, last");
}
