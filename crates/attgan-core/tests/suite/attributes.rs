//! Attribute names, the conflict rules, target generation and the G-input scaling.

use attgan_core::attributes::*;
use attgan_core::{AttGanConfig, AttGanError};
use burn::backend::Flex;
use burn::tensor::{Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;

#[test]
fn default_attributes_sit_at_the_documented_celeba_columns() {
    assert_eq!(celeba_indices(&DEFAULT_ATTRIBUTES).unwrap(), vec![4, 5, 8, 9, 11, 12, 15, 20, 21, 22, 24, 26, 39]);
    assert_eq!(CELEBA_ATTRIBUTES.len(), 40);
    assert_eq!(celeba_index("5_o_Clock_Shadow").unwrap(), 0);
    assert_eq!(celeba_index("Young").unwrap(), 39);
}

#[test]
fn unknown_names_are_errors_that_name_them() {
    let err = celeba_index("Blonde_Hair").unwrap_err();
    assert!(matches!(&err, AttGanError::UnknownAttribute { name, .. } if name == "Blonde_Hair"));
    let msg = err.to_string();
    assert!(msg.contains("`Blonde_Hair`") && msg.contains("Blond_Hair"), "{msg}");
    let err = celeba_indices(&["Bald", "bald"]).unwrap_err();
    assert!(err.to_string().contains("`bald`"));
    let config = AttGanConfig::default();
    assert_eq!(config.attribute_index("Young").unwrap(), 12);
    assert!(config.attribute_index("Smiling").unwrap_err().to_string().contains("Smiling"));
}

fn on(names: &[&str], set: &[&str]) -> Vec<f32> {
    names.iter().map(|n| if set.contains(n) { 1.0 } else { 0.0 }).collect()
}

fn names_on(names: &[&str], att: &[f32]) -> Vec<String> {
    names.iter().zip(att).filter(|(_, v)| **v == 1.0).map(|(n, _)| n.to_string()).collect()
}

#[test]
fn bald_and_receding_hairline_clear_bangs() {
    let names = CELEBA_ATTRIBUTES;
    let a = on(&names, &["Bangs", "Young"]);
    let b = flip_single(&a, &names, celeba_index("Bald").unwrap());
    assert_eq!(names_on(&names, &b), vec!["Bald", "Young"]);
    let b = flip_single(&a, &names, celeba_index("Receding_Hairline").unwrap());
    assert_eq!(names_on(&names, &b), vec!["Receding_Hairline", "Young"]);
}

#[test]
fn bangs_clears_bald_and_receding_hairline() {
    let names = CELEBA_ATTRIBUTES;
    let a = on(&names, &["Bald", "Receding_Hairline", "Male"]);
    let b = flip_single(&a, &names, celeba_index("Bangs").unwrap());
    assert_eq!(names_on(&names, &b), vec!["Bangs", "Male"]);
}

#[test]
fn hair_colours_exclude_each_other() {
    let names = CELEBA_ATTRIBUTES;
    for colour in ["Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair"] {
        let a = on(&names, &["Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "Smiling"]);
        let mut b = a.clone();
        resolve_conflicts(&mut b, &names, celeba_index(colour).unwrap());
        let mut want = vec![colour, "Smiling"];
        want.sort_by_key(|n| celeba_index(n).unwrap());
        assert_eq!(names_on(&names, &b), want);
    }
}

#[test]
fn hair_styles_exclude_each_other() {
    let names = CELEBA_ATTRIBUTES;
    let a = on(&names, &["Wavy_Hair"]);
    let b = flip_single(&a, &names, celeba_index("Straight_Hair").unwrap());
    assert_eq!(names_on(&names, &b), vec!["Straight_Hair"]);
    let b = flip_single(&on(&names, &["Straight_Hair"]), &names, celeba_index("Wavy_Hair").unwrap());
    assert_eq!(names_on(&names, &b), vec!["Wavy_Hair"]);
}

#[test]
fn mustache_no_longer_clears_no_beard_and_switching_off_resolves_nothing() {
    let names = DEFAULT_ATTRIBUTES;
    let a = on(&names, &["No_Beard"]);
    let b = flip_single(&a, &names, 9); // Mustache on
    assert_eq!(names_on(&names, &b), vec!["Mustache", "No_Beard"]);
    // Turning Bald off leaves Bangs alone.
    let a = on(&names, &["Bald", "Bangs"]);
    let b = flip_single(&a, &names, 0);
    assert_eq!(names_on(&names, &b), vec!["Bangs"]);
    assert!(conflicts_of("Mustache").is_empty());
}

#[test]
fn rules_ignore_names_missing_from_a_subset() {
    // Gray_Hair is not among the 13: setting Black_Hair clears only the two present colours.
    let names = DEFAULT_ATTRIBUTES;
    let a = on(&names, &["Blond_Hair", "Brown_Hair"]);
    let b = set_single(&a, &names, 2, 1.0);
    assert_eq!(names_on(&names, &b), vec!["Black_Hair"]);
}

#[test]
fn permuted_targets_are_the_batch_shuffled() {
    let device = Default::default();
    let rows: Vec<f32> = (0..8).flat_map(|i| vec![i as f32, (i * 10) as f32]).collect();
    let a = Tensor::<Flex, 2>::from_data(TensorData::new(rows, [8, 2]), &device);
    let perm = random_permutation(8, &mut StdRng::seed_from_u64(5));
    let mut sorted = perm.clone();
    sorted.sort();
    assert_eq!(sorted, (0..8).collect::<Vec<_>>());
    assert_eq!(perm, random_permutation(8, &mut StdRng::seed_from_u64(5)), "seeded shuffles repeat");
    let b: Vec<f32> = permute_rows(a.clone(), &perm).into_data().into_vec().unwrap();
    for (i, &p) in perm.iter().enumerate() {
        assert_eq!(b[2 * i], p as f32);
        assert_eq!(b[2 * i + 1], (p * 10) as f32);
    }
    let b: Vec<f32> = permuted_targets(a, &mut StdRng::seed_from_u64(5)).into_data().into_vec().unwrap();
    assert_eq!(b.iter().step_by(2).map(|v| *v as usize).collect::<Vec<_>>(), perm);
}

#[test]
fn generator_input_scaling() {
    let a = Tensor::<Flex, 2>::from_data(TensorData::new(vec![0.0f32, 1.0], [1, 2]), &Default::default());
    let x: Vec<f32> = to_generator_input(a, 0.5).into_data().into_vec().unwrap();
    assert_eq!(x, vec![-0.5, 0.5]);
    // The edited attribute becomes +-test_int, the others +-thres_int.
    assert_eq!(edit_input(&[1.0, 0.0, 1.0], 1, 0.5, 1.0), vec![0.5, -1.0, 0.5]);
    assert_eq!(edit_input(&[1.0, 1.0], 1, 0.5, 1.5), vec![0.5, 1.5]);
}

#[test]
fn target_distributions_scale_as_attgan_tensorflow_v1_draws_them() {
    use rand::Rng;
    let n = 40_000;
    let mean = |v: &[f32]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
    // none: scale 1, nothing drawn.
    let mut rng = StdRng::seed_from_u64(1);
    assert_eq!(TargetDistribution::None.scales(n, &mut rng), None);
    assert_eq!(rng.random::<u64>(), StdRng::seed_from_u64(1).random::<u64>(), "none draws nothing");
    // uniform: (2b-1) * U[0,1) * 2 * thres_int, a scale 2u in [0, 2), mean 1, variance 1/3.
    let u = TargetDistribution::Uniform.scales(n, &mut rng).unwrap();
    assert!(u.iter().all(|&s| (0.0..2.0).contains(&s)));
    assert!((mean(&u) - 1.0).abs() < 0.01, "{}", mean(&u));
    let var = u.iter().map(|&s| (f64::from(s) - 1.0).powi(2)).sum::<f64>() / n as f64;
    assert!((var - 1.0 / 3.0).abs() < 0.01, "{var}");
    // truncated_normal: (2b-1) * (t + 2) / 4 * 2 * thres_int, t normal re-drawn beyond +-2: a
    // scale in [0, 2], mean 1, standard deviation 0.8796 / 2 (the truncated normal's, halved).
    let t = TargetDistribution::TruncatedNormal.scales(n, &mut rng).unwrap();
    assert!(t.iter().all(|&s| (0.0..=2.0).contains(&s)));
    assert!((mean(&t) - 1.0).abs() < 0.01, "{}", mean(&t));
    let sd = (t.iter().map(|&s| (f64::from(s) - 1.0).powi(2)).sum::<f64>() / n as f64).sqrt();
    assert!((sd - 0.8796 / 2.0).abs() < 0.01, "{sd}");
    // G's input keeps each target's sign, scaled by thres_int.
    let b = Tensor::<Flex, 2>::from_data(TensorData::new(vec![1.0f32, 0.0, 0.0, 1.0], [2, 2]), &Default::default());
    for d in [TargetDistribution::None, TargetDistribution::Uniform, TargetDistribution::TruncatedNormal] {
        let x: Vec<f32> = target_input(b.clone(), 0.5, d, &mut rng).into_data().into_vec().unwrap();
        assert!(
            x[0] >= 0.0 && x[1] <= 0.0 && x[2] <= 0.0 && x[3] >= 0.0 && x.iter().all(|v| v.abs() <= 1.0),
            "{d:?}: {x:?}"
        );
        assert_eq!(d.name().parse::<TargetDistribution>().unwrap(), d);
    }
    let x: Vec<f32> = target_input(b, 0.5, TargetDistribution::None, &mut rng).into_data().into_vec().unwrap();
    assert_eq!(x, vec![0.5, -0.5, -0.5, 0.5]);
    let err = "normal".parse::<TargetDistribution>().unwrap_err().to_string();
    assert!(err.contains("`normal`") && err.contains("truncated_normal"), "{err}");
}
