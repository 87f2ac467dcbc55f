//! Backend selection: explicit choices, the announced fallback, and errors for what is missing.

use attgan::backend::{self, BackendJob, Preference, Selected};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};

/// Reports which backend ran and does a little arithmetic on it.
struct Probe;

impl BackendJob for Probe {
    type Output = (String, Selected, f32);
    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) -> Self::Output {
        let x = Tensor::<B, 1>::from_floats([1.0, 2.0, 3.0], &device);
        (B::name(&device), selected.clone(), x.sum().into_scalar().elem())
    }
}

#[test]
fn device_names_parse() {
    assert_eq!("auto".parse::<Preference>().unwrap(), Preference::Auto);
    assert_eq!("CPU".parse::<Preference>().unwrap(), Preference::Cpu);
    assert_eq!("wgpu".parse::<Preference>().unwrap(), Preference::Wgpu);
    assert_eq!("cuda".parse::<Preference>().unwrap(), Preference::Cuda);
    let err = "tpu".parse::<Preference>().unwrap_err();
    assert!(err.contains("`tpu`") && err.contains("auto, cpu, wgpu or cuda"), "{err}");
}

#[test]
fn cpu_runs_on_flex() {
    let (name, selected, sum) = backend::run(Preference::Cpu, Probe).unwrap();
    assert!(name.contains("flex"), "{name}");
    assert_eq!(selected.kind, Preference::Cpu);
    assert!(selected.description.starts_with("cpu: Flex"));
    assert_eq!(sum, 6.0);
}

#[test]
fn auto_names_what_it_passed_over() {
    let (_, selected, sum) = backend::run(Preference::Auto, Probe).unwrap();
    assert_eq!(sum, 6.0);
    match selected.kind {
        // A machine with a GPU (or a software Vulkan device) may pick it.
        Preference::Wgpu | Preference::Cuda => {}
        Preference::Cpu => {
            let why = selected.fallback_reason.expect("falling back to the CPU is announced");
            assert!(why.contains("cuda") || why.contains("CUDA"), "{why}");
        }
        Preference::Auto => unreachable!("a concrete backend is always selected"),
    }
}

#[cfg(not(feature = "cuda"))]
#[test]
fn asking_for_a_backend_not_built_is_an_error() {
    let err = backend::run(Preference::Cuda, Probe).unwrap_err();
    assert!(err.contains("`cuda` feature"), "{err}");
}
