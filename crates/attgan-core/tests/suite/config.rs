//! Config validation errors, JSON round trips and the init guards.

use attgan_core::{AttGanConfig, AttGanError, Nonlinearity, Norm};

fn invalid(config: AttGanConfig, needle: &str) {
    match config.validate() {
        Err(AttGanError::InvalidConfig(msg)) => assert!(msg.contains(needle), "`{msg}` should mention `{needle}`"),
        other => panic!("expected an invalid config mentioning {needle}, got {other:?}"),
    }
}

#[test]
fn the_default_is_the_papers_model() {
    let c = AttGanConfig::default();
    c.validate().unwrap();
    assert_eq!((c.image_size, c.n_attrs(), c.shortcut_layers, c.inject_layers), (128, 13, 1, 1));
    assert_eq!((c.enc_norm, c.dec_norm, c.dis_norm), (Norm::Batch, Norm::Batch, Norm::Instance));
    assert_eq!((c.leaky_slope, c.thres_int, c.dis_fc_dim), (0.2, 0.5, 1024));
}

#[test]
fn invalid_combinations_are_named() {
    let c = AttGanConfig::default;
    invalid(c().with_image_size(100), "image_size");
    invalid(c().with_image_size(0), "image_size");
    invalid(c().with_dis_layers(8), "dis_layers");
    invalid(c().with_shortcut_layers(5), "shortcut_layers");
    invalid(c().with_inject_layers(7), "inject_layers");
    invalid(c().with_attributes(vec![]), "attributes");
    invalid(c().with_attributes(vec!["Bald".into(), "Bald".into()]), "twice");
    invalid(c().with_attributes(vec![" ".into()]), "attributes[0]");
    invalid(c().with_enc_dim(0), "enc_dim");
    invalid(c().with_dec_layers(4), "dec_layers");
    invalid(c().with_leaky_slope(1.5), "leaky_slope");
    invalid(c().with_thres_int(0.0), "thres_int");
}

#[test]
#[should_panic(expected = "shortcut_layers")]
fn init_refuses_an_invalid_config_up_front() {
    let _ = AttGanConfig::default().with_shortcut_layers(9).init_generator::<burn::backend::Flex>(&Default::default());
}

#[test]
fn json_round_trip_and_file_errors() {
    let dir = std::env::temp_dir().join(format!("attgan-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = AttGanConfig::default().with_image_size(64).with_dis_norm(Norm::Layer).with_inject_layers(2);
    let path = dir.join("config.json");
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    assert_eq!(AttGanConfig::from_json_file(&path).unwrap(), config);

    let missing = dir.join("missing.json");
    let err = AttGanConfig::from_json_file(&missing).unwrap_err();
    assert!(err.to_string().contains("missing.json"), "{err}");

    std::fs::write(&path, "{\"image_size\": 64}").unwrap();
    let err = AttGanConfig::from_json_file(&path).unwrap_err().to_string();
    assert!(err.contains("config.json") && err.contains("missing field"), "{err}");

    // A config written before the activations and test_int were fields reads as it meant then.
    let mut old: serde_json::Value = serde_json::to_value(&config).unwrap();
    for field in [
        "enc_activation",
        "dec_activation",
        "dis_activation",
        "dis_fc_activation",
        "test_int",
        "bn_momentum",
        "bn_epsilon",
        "weight_init",
    ] {
        assert!(old.as_object_mut().unwrap().remove(field).is_some(), "{field} is a field");
    }
    std::fs::write(&path, old.to_string()).unwrap();
    assert_eq!(AttGanConfig::from_json_file(&path).unwrap(), config, "the defaults are the old behaviour");
    let pytorch = config
        .clone()
        .with_dis_fc_activation(Nonlinearity::Relu)
        .with_test_int(0.75)
        .with_bn_momentum(0.001)
        .with_bn_epsilon(1e-3)
        .with_weight_init(attgan_core::WeightInit::Glorot);
    std::fs::write(&path, serde_json::to_string(&pytorch).unwrap()).unwrap();
    assert_eq!(AttGanConfig::from_json_file(&path).unwrap(), pytorch, "new fields round-trip");

    let bad = AttGanConfig::default().with_image_size(100);
    std::fs::write(&path, serde_json::to_string(&bad).unwrap()).unwrap();
    let err = AttGanConfig::from_json_file(&path).unwrap_err().to_string();
    assert!(err.contains("image_size"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
