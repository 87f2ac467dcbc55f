//! The benches' step runner on a small model: every step runs and trains, names round-trip,
//! images are counted as the benches report them, and timings summarise their samples.

use std::time::Duration;

use attgan_train::bench::{BenchStep, StepBench, Timing};
use burn::backend::{Autodiff, Flex};
use burn::tensor::{Distribution, Tensor};

type B = Autodiff<Flex>;

#[test]
fn every_step_runs_and_the_model_moves() {
    let config = crate::common::two_attribute_model();
    let mut bench = StepBench::<B>::new(&config, 2, 5, &Default::default(), 0);
    let x = Tensor::<Flex, 4>::random([1, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &Default::default());
    let b = Tensor::<Flex, 2>::zeros([1, 2], &Default::default());
    let edit = |bench: &StepBench<B>| bench.generator_for_inference().forward(x.clone(), b.clone()).into_data();
    let before = edit(&bench);
    for step in BenchStep::ALL {
        let loss = bench.run(step);
        assert!(loss.is_finite(), "{step}: loss {loss}");
        let t = bench.time(step, 0, 2);
        assert_eq!(t.samples.len(), 2);
    }
    let after = edit(&bench);
    assert_ne!(before, after, "generator steps moved G");
}

#[test]
fn names_round_trip_and_images_count_batches() {
    for step in BenchStep::ALL {
        assert_eq!(step.name().parse::<BenchStep>().unwrap(), step);
    }
    assert!("critic-gp".parse::<BenchStep>().unwrap_err().contains("critic_no_gp"));
    assert_eq!(BenchStep::Critic.images(8, 5), 8);
    assert_eq!(BenchStep::Iteration.images(8, 5), 48);
}

#[test]
fn timing_statistics() {
    let t = Timing::new([3.0, 1.0, 2.0, 10.0].map(Duration::from_secs_f64).to_vec());
    assert_eq!(t.median(), 2.5);
    assert_eq!(t.min(), 1.0);
    assert_eq!(t.max(), 10.0);
    assert_eq!(t.mean(), 4.0);
    assert_eq!(Timing::new(vec![Duration::from_secs(1); 3]).median(), 1.0);
}
