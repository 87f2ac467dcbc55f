//! AttGAN-PyTorch checkpoints imported and exported, checked against PyTorch's own outputs: the
//! fixtures in tests/fixtures/pytorch/ were written by `pytorch_reference.py fixture` beside this
//! file (a tiny model with random weights and batch-norm statistics, its eval-mode outputs).

use std::path::{Path, PathBuf};

use attgan_core::pytorch::{
    ImportOptions, Imported, export_pth, import_checkpoint, read_checkpoint, state_dict, write_pth, write_setting,
};
use attgan_core::safetensors::{load_safetensors, save_safetensors};
use attgan_core::{AttGanConfig, AttGanError, Nonlinearity, Norm};
use burn::backend::Flex;
use burn::tensor::{Tensor, TensorData};

type B = Flex;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytorch").join(name)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attgan-pytorch-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

struct Reference {
    input: Vec<f32>,
    shape: [usize; 4],
    attributes: Vec<f32>,
    output: Vec<f32>,
    logits: Vec<f32>,
}

fn reference() -> Reference {
    let text = std::fs::read_to_string(fixture("tiny_reference.json")).expect("the reference outputs");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let floats = |k: &str| -> Vec<f32> {
        json[k].as_array().expect(k).iter().map(|v| v.as_f64().expect("a number") as f32).collect()
    };
    let shape: Vec<usize> =
        json["input_shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    Reference {
        input: floats("input"),
        shape: shape.try_into().expect("4 dims"),
        attributes: floats("attributes"),
        output: floats("output"),
        logits: floats("logits"),
    }
}

fn with_setting() -> ImportOptions {
    ImportOptions { setting: Some(fixture("tiny_setting.txt")), ..Default::default() }
}

fn import(path: &Path, options: &ImportOptions) -> attgan_core::Result<Imported<B>> {
    import_checkpoint::<B>(path, options, &Default::default())
}

fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// G's output and C's logits for the reference input.
fn run(imported: &Imported<B>, r: &Reference) -> (Vec<f32>, Option<Vec<f32>>) {
    let device = Default::default();
    let x = Tensor::<B, 4>::from_data(TensorData::new(r.input.clone(), r.shape), &device);
    let n = r.shape[0];
    let att = Tensor::<B, 2>::from_data(TensorData::new(r.attributes.clone(), [n, r.attributes.len() / n]), &device);
    let b = attgan_core::attributes::to_generator_input(att, imported.config.thres_int);
    let y = imported.generator.forward(x.clone(), b).into_data().to_vec::<f32>().unwrap();
    let logits = imported.classifier.as_ref().map(|c| c.forward(x).into_data().to_vec::<f32>().unwrap());
    (y, logits)
}

fn assert_matches_reference(imported: &Imported<B>) {
    let r = reference();
    let (y, logits) = run(imported, &r);
    let dy = largest_difference(&y, &r.output);
    assert!(dy <= 1e-4, "G's output differs from PyTorch's by up to {dy}");
    if let Some(logits) = logits {
        let dl = largest_difference(&logits, &r.logits);
        assert!(dl <= 1e-4, "C's logits differ from PyTorch's by up to {dl}");
    }
}

#[test]
fn the_reference_checkpoint_computes_what_pytorch_computes() {
    let imported = import(&fixture("tiny.pth"), &with_setting()).expect("imports");
    assert_eq!(imported.format, "zip (torch >= 1.6)");
    // The whole AttGAN.save() dictionary; a fresh Adam's state holds no tensors.
    assert_eq!(imported.entries, ["D", "G"]);
    assert!(imported.classifier.is_some(), "C comes from D");
    assert!(imported.assumed.is_empty(), "{:?}", imported.assumed);
    let c = &imported.config;
    assert_eq!((c.image_size, c.enc_dim, c.enc_layers, c.shortcut_layers, c.inject_layers), (16, 4, 3, 1, 1));
    assert_eq!(
        (c.dis_fc_activation, c.leaky_slope, c.enc_norm, c.dis_norm),
        (Nonlinearity::Relu, 0.01, Norm::Batch, Norm::Instance)
    );
    assert_matches_reference(&imported);
}

#[test]
fn the_shapes_alone_give_the_same_model() {
    let from_setting = import(&fixture("tiny.pth"), &with_setting()).expect("imports");
    let from_shapes = import(&fixture("tiny.pth"), &ImportOptions::default()).expect("imports without setting.txt");
    assert_eq!(from_shapes.config, from_setting.config, "the image size comes from D's head");
    assert!(from_shapes.assumed.iter().any(|a| a.contains("activations")), "{:?}", from_shapes.assumed);
    assert_matches_reference(&from_shapes);
}

#[test]
fn a_legacy_data_parallel_generator_alone_imports() {
    let options = ImportOptions { image_size: Some(16), ..Default::default() };
    let imported = import(&fixture("tiny_legacy.pth"), &options).expect("imports the legacy format");
    assert_eq!(imported.format, "legacy pickle (torch < 1.6)");
    assert!(imported.classifier.is_none());
    assert!(!imported.assumed.iter().any(|a| a.contains("image size")), "the flag gave it: {:?}", imported.assumed);
    assert_matches_reference(&imported);
    // Without the flag the size is assumed, and said to be.
    let guessed = import(&fixture("tiny_legacy.pth"), &ImportOptions::default()).expect("imports");
    assert!(guessed.assumed.iter().any(|a| a.contains("image size 128")), "{:?}", guessed.assumed);
}

#[test]
fn safetensors_read_back_bit_identical() {
    let imported = import(&fixture("tiny.pth"), &with_setting()).expect("imports");
    let path = temp_dir("safetensors").join("model.safetensors");
    save_safetensors(&imported.generator, imported.classifier.as_ref(), &imported.config, &path).expect("writes");
    let loaded = load_safetensors::<B>(&path, &Default::default()).expect("reads");
    assert_eq!(loaded.config, imported.config);
    assert_eq!(state_dict(&loaded.generator), state_dict(&imported.generator), "G's tensors, bit for bit");
    let c = loaded.classifier.expect("C is in the file");
    assert_eq!(state_dict(&c), state_dict(imported.classifier.as_ref().unwrap()));
    // Editor::load takes the file as it is.
    let editor = attgan_core::Editor::<B>::load(&path, &Default::default()).expect("the editor loads it");
    assert!(editor.has_classifier());
}

#[test]
fn an_exported_pth_imports_back_identical() {
    let imported = import(&fixture("tiny.pth"), &with_setting()).expect("imports");
    let dir = temp_dir("export");
    let caveats =
        export_pth(&imported.generator, imported.classifier.as_ref(), &imported.config, &dir.join("weights.pth"))
            .expect("exports");
    assert!(caveats.is_empty(), "an AttGAN-PyTorch model goes back exactly: {caveats:?}");
    write_setting(&imported.config, "tiny", &dir.join("setting.txt")).expect("writes setting.txt");
    let options = ImportOptions { setting: Some(dir.join("setting.txt")), ..Default::default() };
    let back = import(&dir.join("weights.pth"), &options).expect("imports our .pth");
    assert_eq!(back.config, imported.config);
    assert_eq!(back.entries, ["C", "G"]);
    assert_eq!(state_dict(&back.generator), state_dict(&imported.generator));
    assert_eq!(state_dict(back.classifier.as_ref().unwrap()), state_dict(imported.classifier.as_ref().unwrap()));
    // A model of the paper's code (LeakyReLU 0.2) exports with the difference spelt out.
    let ours = AttGanConfig::new()
        .with_image_size(16)
        .with_enc_dim(4)
        .with_dec_dim(4)
        .with_enc_layers(3)
        .with_dec_layers(3)
        .with_dis_layers(3);
    let g = ours.init_generator::<B>(&Default::default());
    let caveats = export_pth(&g, None, &ours, &dir.join("ours.pth")).expect("exports");
    assert!(caveats.iter().any(|c| c.contains("slope 0.2")), "{caveats:?}");
    assert!(!caveats.iter().any(|c| c.contains("epsilon")), "{caveats:?}");
    // TF slim's batch-norm epsilon is spelt out too (the momentum does not change inference).
    let slim = ours.clone().with_bn_epsilon(1e-3).with_bn_momentum(0.001);
    let caveats = export_pth(&g, None, &slim, &dir.join("slim.pth")).expect("exports");
    assert!(caveats.iter().any(|c| c.contains("epsilon 0.001") && c.contains("eps=0.001")), "{caveats:?}");
    assert_eq!(caveats.len(), 2, "{caveats:?}");
    // A C whose first layer has no norm has no AttGAN-PyTorch counterpart: refused, by name.
    let unnormalised = ours.with_dis_first_norm(false);
    let c = unnormalised.init_classifier::<B>(&Default::default());
    let refused = export_pth(&g, Some(&c), &unnormalised, &dir.join("c.pth")).expect_err("refuses");
    assert!(refused.to_string().contains("dis_first_norm"), "{refused}");
    assert!(!dir.join("c.pth").exists(), "nothing written");
    // G alone still exports.
    export_pth(&g, None, &unnormalised, &dir.join("g.pth")).expect("exports G alone");
}

fn weights_message(result: attgan_core::Result<Imported<B>>) -> String {
    match result {
        Err(e @ AttGanError::Weights { .. }) => e.to_string(),
        Err(other) => panic!("expected a weights error, got {other}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn bad_checkpoints_are_named_with_the_key_at_fault() {
    let dir = temp_dir("errors");
    // Not a PyTorch file at all.
    let text = fixture("tiny_setting.txt");
    let message = weights_message(import(&text, &ImportOptions::default()));
    assert!(message.contains("tiny_setting.txt") && message.contains("not a PyTorch checkpoint"), "{message}");

    // A checkpoint without G.
    let checkpoint = read_checkpoint(&fixture("tiny.pth")).expect("reads");
    let d: Vec<(String, TensorData)> = checkpoint.d.clone().unwrap().into_iter().collect();
    write_pth(&dir.join("no_g.pth"), &[("D", &d)]).expect("writes");
    let message = weights_message(import(&dir.join("no_g.pth"), &ImportOptions::default()));
    assert!(message.contains("no_g.pth") && message.contains("no generator") && message.contains("[D]"), "{message}");

    // A missing tensor and an extra one.
    let mut g: Vec<(String, TensorData)> = checkpoint.g.clone().into_iter().collect();
    g.retain(|(k, _)| k != "dec_layers.2.layers.0.bias");
    g.push(("dec_layers.9.layers.0.weight".into(), TensorData::new(vec![0f32; 2], [2])));
    write_pth(&dir.join("missing.pth"), &[("G", &g)]).expect("writes");
    let message = weights_message(import(&dir.join("missing.pth"), &with_setting()));
    assert!(message.contains("missing `dec_layers.2.layers.0.bias`"), "{message}");
    assert!(message.contains("unexpected `dec_layers.9.layers.0.weight`"), "{message}");

    // A setting that does not fit the weights: the layer and both shapes are named.
    let setting = std::fs::read_to_string(fixture("tiny_setting.txt"))
        .unwrap()
        .replace("\"inject_layers\":1", "\"inject_layers\":0");
    assert!(setting.contains("\"inject_layers\":0"), "the fixture's setting.txt is as train.py writes it");
    std::fs::write(dir.join("setting.txt"), setting).unwrap();
    let options = ImportOptions { setting: Some(dir.join("setting.txt")), ..Default::default() };
    let message = weights_message(import(&fixture("tiny.pth"), &options));
    assert!(
        message.contains(
            "`dec_layers.1.layers.0.weight` has shape [37, 8, 4, 4] in the file, the configuration needs [24, 8, 4, 4]"
        ),
        "{message}"
    );

    // An attribute list whose length is not the classifier's (AttGAN-PyTorch's D always has 13
    // outputs): G with 12 attributes, D with 13.
    let twelve: Vec<String> = attgan_core::attributes::DEFAULT_ATTRIBUTES[..12].iter().map(|s| s.to_string()).collect();
    let config = import(&fixture("tiny.pth"), &with_setting()).unwrap().config.with_attributes(twelve.clone());
    let g12 = state_dict(&config.init_generator::<B>(&Default::default()));
    write_pth(&dir.join("twelve.pth"), &[("G", &g12), ("D", &d)]).expect("writes");
    let options = ImportOptions { attributes: Some(twelve), ..with_setting() };
    let message = weights_message(import(&dir.join("twelve.pth"), &options));
    assert!(message.contains("12 names but D's classifier") && message.contains("predicts 13"), "{message}");
    let alone = ImportOptions { classifier: false, ..options };
    assert!(import(&dir.join("twelve.pth"), &alone).is_ok(), "G alone imports");
}

#[test]
fn an_old_setting_without_a_field_takes_it_from_the_weights() {
    // train.py's default inject_layers is 0; this model has 1, which its weights show.
    let dir = temp_dir("old-setting");
    let mut setting: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("tiny_setting.txt")).unwrap()).unwrap();
    setting.as_object_mut().unwrap().remove("inject_layers");
    std::fs::write(dir.join("setting.txt"), setting.to_string()).unwrap();
    let options = ImportOptions { setting: Some(dir.join("setting.txt")), ..Default::default() };
    let imported = import(&fixture("tiny.pth"), &options).expect("imports");
    assert_eq!(imported.config.inject_layers, 1);
    assert!(imported.assumed.iter().any(|a| a.contains("lacks inject_layers")), "{:?}", imported.assumed);
    assert_matches_reference(&imported);
}

#[test]
fn a_setting_with_an_unknown_value_names_the_key() {
    let dir = temp_dir("setting");
    let setting = std::fs::read_to_string(fixture("tiny_setting.txt"))
        .unwrap()
        .replace("\"enc_norm\":\"batchnorm\"", "\"enc_norm\":\"switchnorm\"");
    std::fs::write(dir.join("setting.txt"), setting).unwrap();
    let options = ImportOptions { setting: Some(dir.join("setting.txt")), ..Default::default() };
    let message = import(&fixture("tiny.pth"), &options).expect_err("fails").to_string();
    assert!(message.contains("setting.txt") && message.contains("`enc_norm` is \"switchnorm\""), "{message}");
}
