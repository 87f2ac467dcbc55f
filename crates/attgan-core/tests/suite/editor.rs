//! The inference API: exports and their load errors, preparing images of any size, the edit
//! semantics of the three test modes, and batching.

use std::path::PathBuf;

use attgan_core::attributes::{edit_input, flip_single};
use attgan_core::editor::{CLASSIFIER_FILE, GENERATOR_CONFIG_FILE, GENERATOR_FILE, decode_edits, save_export};
use attgan_core::image::{Crop, Region, batch_to_tensor};
use attgan_core::{AttGanConfig, AttGanError, Editor, Edits, Source};
use burn::backend::Flex;
use burn::tensor::{Distribution, Tensor};
use image::{DynamicImage, Rgb, RgbImage};

type B = Flex;

const ATTRS: [&str; 4] = ["Bald", "Bangs", "Black_Hair", "Blond_Hair"];

fn tiny() -> AttGanConfig {
    AttGanConfig::default()
        .with_image_size(16)
        .with_attributes(ATTRS.iter().map(|s| s.to_string()).collect())
        .with_enc_dim(4)
        .with_dec_dim(4)
        .with_dis_dim(4)
        .with_dis_fc_dim(8)
        .with_enc_layers(2)
        .with_dec_layers(2)
        .with_dis_layers(2)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attgan-editor-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A tiny export with C, and the editor it loads to.
fn exported(name: &str) -> (PathBuf, Editor<B>) {
    let device = Default::default();
    let config = tiny();
    let dir = temp_dir(name);
    let g = config.init_generator::<B>(&device);
    let d = config.init_discriminator::<B>(&device);
    save_export(&g, Some(&d.classifier()), &config, &dir).unwrap();
    let editor = Editor::<B>::load(&dir, &device).unwrap();
    (dir, editor)
}

fn photo(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| Rgb([(x * 7) as u8, (y * 5) as u8, ((x + y) * 3) as u8])))
}

#[test]
fn an_export_loads_back_to_the_same_networks() {
    let device = Default::default();
    let config = tiny();
    let dir = temp_dir("roundtrip");
    let g = config.init_generator::<B>(&device);
    let d = config.init_discriminator::<B>(&device);
    save_export(&g, Some(&d.classifier()), &config, &dir).unwrap();
    for path in [dir.clone(), dir.join(GENERATOR_FILE)] {
        let editor = Editor::<B>::load(&path, &device).unwrap();
        assert_eq!(editor.config(), &config);
        assert!(editor.has_classifier());
        let x = Tensor::<B, 4>::random([2, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
        let b = Tensor::<B, 2>::random([2, 4], Distribution::Uniform(-1.0, 1.0), &device);
        editor.generator().forward(x.clone(), b.clone()).into_data().assert_eq(&g.forward(x, b).into_data(), true);
    }
    // Without C the export still loads, and says so.
    std::fs::remove_file(dir.join(CLASSIFIER_FILE)).unwrap();
    assert!(!Editor::<B>::load(&dir, &device).unwrap().has_classifier());
}

#[test]
fn load_errors_name_the_file_and_the_problem() {
    let device = Default::default();
    let (dir, _) = exported("errors");
    let err = |path: &std::path::Path| Editor::<B>::load(path, &device).unwrap_err().to_string();

    let e = err(&dir.join("nowhere"));
    assert!(e.contains("nowhere") && e.contains("no export"), "{e}");
    let e = err(&dir.join(GENERATOR_CONFIG_FILE));
    assert!(e.contains("generator.json") && e.contains("directory or its generator.mpk"), "{e}");

    // The config says 8 channels where the weights have 4.
    let wider = tiny().with_enc_dim(8);
    std::fs::write(dir.join(GENERATOR_CONFIG_FILE), serde_json::to_string(&wider).unwrap()).unwrap();
    let e = err(&dir);
    assert!(e.contains("generator.mpk") && e.contains("has shape [4, 3, 4, 4]") && e.contains("[8, 3, 4, 4]"), "{e}");

    // The config says 3 layers where the weights have 2.
    let deeper = tiny().with_enc_layers(3).with_dec_layers(3).with_dis_layers(3);
    std::fs::write(dir.join(GENERATOR_CONFIG_FILE), serde_json::to_string(&deeper).unwrap()).unwrap();
    let e = err(&dir);
    assert!(e.contains("generator.mpk") && e.contains("another depth"), "{e}");

    // An invalid config, and a corrupt weights file.
    std::fs::write(dir.join(GENERATOR_CONFIG_FILE), serde_json::to_string(&tiny().with_image_size(15)).unwrap())
        .unwrap();
    let e = err(&dir);
    assert!(e.contains("generator.json") && e.contains("image_size"), "{e}");
    std::fs::write(dir.join(GENERATOR_CONFIG_FILE), serde_json::to_string(&tiny()).unwrap()).unwrap();
    std::fs::write(dir.join(GENERATOR_FILE), b"not a record").unwrap();
    let e = err(&dir);
    assert!(e.contains("generator.mpk"), "{e}");

    std::fs::remove_file(dir.join(GENERATOR_FILE)).unwrap();
    let e = err(&dir);
    assert!(e.contains("generator.mpk") && e.contains("no exported generator"), "{e}");
}

#[test]
fn a_different_attribute_list_is_refused() {
    let (_, editor) = exported("attrs");
    editor.require_attributes(&ATTRS, "labels").unwrap();
    let e = editor.require_attributes(&["Bald", "Bangs", "Blond_Hair", "Black_Hair"], "the label file").unwrap_err();
    assert!(matches!(e, AttGanError::AttributeMismatch { .. }));
    assert!(e.to_string().contains("the label file: expected the attributes [Bald, Bangs, Black_Hair, Blond_Hair]"));
    let e = editor.edit_with_source(&photo(16, 16), &[0.0; 4], &Edits::new().set("Smiling", 1.0)).unwrap_err();
    assert!(e.to_string().contains("unknown attribute `Smiling`"), "{e}");
    let e = editor.edit_with_source(&photo(16, 16), &[0.0; 3], &Edits::new()).unwrap_err();
    assert!(e.to_string().contains("3 values, the model has 4"), "{e}");
}

#[test]
fn edits_of_any_image_size_come_out_at_the_model_size() {
    let (_, editor) = exported("sizes");
    for (w, h) in [(16, 16), (50, 70), (178, 218), (300, 120)] {
        let out = editor.edit(&photo(w, h), &Edits::new().set("Bald", 1.0)).unwrap();
        assert_eq!(out.dimensions(), (16, 16), "{w}x{h}");
    }
    // G's raw output lies in [-1, 1] (tanh) before conversion to 8 bits.
    let x = batch_to_tensor::<B>(&[editor.prepare(&photo(40, 40)).unwrap()], &Default::default()).unwrap();
    let edits = [Edits::new().set("Bald", 5.0).set("Bangs", -5.0)];
    let y = decode_edits(editor.generator(), editor.config(), x, &[vec![0.0; 4]], &edits).unwrap().remove(0);
    let (lo, hi) = (y.clone().min().into_scalar(), y.max().into_scalar());
    assert!((-1.0..=1.0).contains(&lo) && (-1.0..=1.0).contains(&hi) && lo < hi, "[{lo}, {hi}]");
    // A too small crop box is an error, not a panic.
    let celeba = editor.clone().with_crop(Crop::Celeba);
    assert!(celeba.edit(&photo(178, 100), &Edits::new()).unwrap_err().to_string().contains("does not fit"));
}

#[test]
fn crops_choose_the_documented_boxes() {
    let square = |left, top, size| Region { left, top, width: size, height: size };
    assert_eq!(Crop::CELEBA_BOX, square(3, 26, 170));
    assert_eq!(Crop::Celeba.region(178, 218), Crop::CELEBA_BOX);
    assert_eq!(Crop::Celeba.region(356, 436), square(6, 52, 340));
    assert_eq!(Crop::Centre.region(300, 200), square(50, 0, 200));
    assert_eq!(Crop::Centre.region(178, 218), square(0, 20, 178));
    assert_eq!(Crop::Whole.region(300, 200), Region { left: 0, top: 0, width: 300, height: 200 });
    assert_eq!(Crop::Square { top: 26, left: 3, size: 170 }.region(640, 480), Crop::CELEBA_BOX);
    assert_eq!(Crop::default(), Crop::Centre);
    assert!(Crop::CELEBA_BOX.fits_in(178, 218) && !Crop::CELEBA_BOX.fits_in(172, 218));
    assert!(!Crop::Square { top: u32::MAX, left: 0, size: 2 }.region(10, 10).fits_in(10, 10));
    assert_eq!("center".parse::<Crop>().unwrap(), Crop::Centre);
    assert_eq!("None".parse::<Crop>().unwrap(), Crop::Whole);
    for crop in [Crop::Celeba, Crop::Celeba64, Crop::Centre, Crop::CentreOf(170), Crop::Whole] {
        assert_eq!(crop.to_string().parse::<Crop>().unwrap(), crop);
    }
    let err = "square".parse::<Crop>().unwrap_err().to_string();
    assert!(
        err.contains("`square`") && err.contains("celeba, celeba64, centre, centre:SIDE (pixels) or whole"),
        "{err}"
    );
}

#[test]
fn the_three_modes_build_the_official_conditioning_vectors() {
    let names = ATTRS;
    let source = [0.0, 1.0, 1.0, 0.0]; // Bangs, Black_Hair
    let t = 0.5;
    // Single: a flip at test_int equals the training grid's edit_input(flip_single(...)).
    for (i, e) in Edits::single(&names, 1.5).iter().enumerate() {
        let want = edit_input(&flip_single(&source, &names, i), i, t, 1.5);
        assert_eq!(e.generator_input(&source, &names, t).unwrap(), want, "{}", e.label());
    }
    // Multi: Bald on removes Bangs (conflict rule); Blond on removes Black; each set value is kept.
    let multi: Edits = "Bald=1, Blond_Hair=2".parse().unwrap();
    assert_eq!(multi.generator_input(&source, &names, t).unwrap(), vec![1.0, -0.5, -0.5, 2.0]);
    // A later change wins a conflict: Bangs set on, then Bald on turns it off at the same
    // intensity (as the official multi mode: the sign follows the final attribute).
    let later: Edits = "Bangs=0.8, Bald=1".parse().unwrap();
    assert_eq!(later.generator_input(&source, &names, t).unwrap(), vec![1.0, -0.8, 0.5, -0.5]);
    let earlier: Edits = "Bald=1, Bangs=0.8".parse().unwrap();
    assert_eq!(earlier.generator_input(&source, &names, t).unwrap(), vec![-1.0, 0.8, 0.5, -0.5]);
    // An empty edit reconstructs: the source at +-thres_int.
    assert_eq!(Edits::new().generator_input(&source, &names, t).unwrap(), vec![-0.5, 0.5, 0.5, -0.5]);
    // Slide: evenly spaced values, no conflict rules (Black_Hair stays on).
    let slide = Edits::slide("Blond_Hair", -1.0, 1.0, 5).unwrap();
    let got: Vec<Vec<f32>> = slide.iter().map(|e| e.generator_input(&source, &names, t).unwrap()).collect();
    for (row, v) in got.iter().zip([-1.0, -0.5, 0.0, 0.5, 1.0]) {
        assert_eq!(row, &vec![-0.5, 0.5, 0.5, v]);
    }
    assert!(Edits::slide("Bald", 0.0, 1.0, 1).is_err());
    for bad in ["Bald", "Bald=x", "Bald=inf"] {
        assert!(bad.parse::<Edits>().is_err(), "{bad}");
    }
}

#[test]
fn the_three_modes_render_on_a_model_and_batching_does_not_change_results() {
    let (_, editor) = exported("modes");
    let images: Vec<RgbImage> = (0..5).map(|i| editor.prepare(&photo(20 + i, 30)).unwrap()).collect();
    let sources: Vec<Vec<f32>> = (0..5).map(|i| (0..4).map(|j| ((i + j) % 2) as f32).collect()).collect();
    let modes = [
        std::iter::once(Edits::new()).chain(Edits::single(&ATTRS, 1.0)).collect::<Vec<_>>(),
        vec![Edits::new(), "Blond_Hair=1,Bald=-1".parse().unwrap()],
        Edits::slide("Bangs", -1.0, 1.0, 9).unwrap(),
    ];
    for edits in &modes {
        let one = editor.clone().with_batch_size(1).edit_batch(&images, Source::Given(&sources), edits).unwrap();
        let all = editor.clone().with_batch_size(8).edit_batch(&images, Source::Given(&sources), edits).unwrap();
        assert_eq!(one.len(), edits.len());
        assert!(one.iter().all(|r| r.len() == 5 && r.iter().all(|i| i.dimensions() == (16, 16))));
        assert_eq!(one, all, "batch size changes nothing at inference");
    }
    // Different intensities give different pictures.
    let slide = &editor.edit_batch(&images, Source::Given(&sources), &modes[2]).unwrap();
    assert_ne!(slide[0][0], slide[8][0]);
}

#[test]
fn source_attributes_are_predicted_by_c_when_not_given() {
    let device = Default::default();
    let (dir, editor) = exported("predict");
    let images: Vec<RgbImage> = (0..3).map(|i| editor.prepare(&photo(30, 30 + i)).unwrap()).collect();
    let p = editor.predict(&images).unwrap();
    assert_eq!(p.len(), 3);
    assert!(p.iter().all(|row| row.len() == 4 && row.iter().all(|v| (0.0..=1.0).contains(v))));
    // Predicted = given the thresholded prediction.
    let bits: Vec<Vec<f32>> = p.iter().map(|r| r.iter().map(|&v| if v >= 0.5 { 1.0 } else { 0.0 }).collect()).collect();
    let edits = [Edits::new().set("Bald", 1.0)];
    assert_eq!(
        editor.edit_batch(&images, Source::Predicted, &edits).unwrap(),
        editor.edit_batch(&images, Source::Given(&bits), &edits).unwrap()
    );
    std::fs::remove_file(dir.join(CLASSIFIER_FILE)).unwrap();
    let without = Editor::<B>::load(&dir, &device).unwrap();
    let e = without.edit(&photo(16, 16), &Edits::new()).unwrap_err().to_string();
    assert!(e.contains("no source attributes") && e.contains("classifier.mpk"), "{e}");
}
