//! The resize filters of the reference implementations against the references themselves:
//! TensorFlow 1's legacy `resize_bicubic` and `resize_bilinear` and PIL's bilinear filter, on the
//! committed fixture that `resize_reference.py` (beside this file) made and says how to remake.

use attgan_core::image::Resize;
use image::imageops;

#[test]
fn the_filters_match_tensorflow_and_pil_on_the_committed_fixture() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/resize");
    let source = image::open(dir.join("source.png")).unwrap().to_rgb8();
    let text = std::fs::read_to_string(dir.join("reference.json")).unwrap();
    let reference: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6, "a 4:3 reduction and an enlargement for each of the three filters");
    for case in cases {
        let filter: Resize = case["filter"].as_str().unwrap().parse().unwrap();
        let side = case["source"].as_u64().unwrap() as u32;
        let (w, h) = (case["width"].as_u64().unwrap() as u32, case["height"].as_u64().unwrap() as u32);
        let expected: Vec<f64> = case["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let part = imageops::crop_imm(&source, 0, 0, side, side).to_image();
        let ours = filter.apply(&part, w, h);
        assert_eq!(ours.dimensions(), (w, h));
        let what = format!("{filter} {side} -> {w}x{h}");
        match filter.tensorflow_values(&part, w, h) {
            Some(values) => {
                // Measured: at most 2.4e-4 of a grey level apart (the fixture keeps 4 decimals).
                let worst = values.iter().zip(&expected).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0.0, f64::max);
                assert!(worst < 1e-3, "{what}: TensorFlow differs by {worst}");
                // The bytes are TensorFlow's values clipped and rounded, up to a tie that float
                // noise breaks either way (one byte of 6,912 here).
                let off = ours
                    .as_raw()
                    .iter()
                    .zip(&expected)
                    .filter(|&(&a, b)| f64::from(a) != b.clamp(0.0, 255.0).round())
                    .count();
                assert!(off <= expected.len() / 1000, "{what}: {off} bytes differ from TensorFlow's rounded values");
            }
            None => {
                assert_eq!(filter, Resize::Bilinear, "the fixture holds no other filter");
                // PIL rounds to 8 bits between its passes: one level apart at most (0.2 on average).
                let worst =
                    ours.as_raw().iter().zip(&expected).map(|(&a, b)| (f64::from(a) - b).abs()).fold(0.0, f64::max);
                assert!(worst <= 1.0, "{what}: PIL differs by {worst} levels");
            }
        }
    }
}

#[test]
fn an_image_already_at_the_size_is_copied_and_the_filters_differ_otherwise() {
    let img =
        image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([(x * 6) as u8, (y * 8) as u8, ((x * y) % 256) as u8]));
    let mut outputs = Vec::new();
    for filter in Resize::ALL {
        assert_eq!(filter.apply(&img, 40, 30), img, "{filter} copies an image of the right size");
        outputs.push(filter.apply(&img, 17, 13));
    }
    for i in 0..outputs.len() {
        for j in i + 1..outputs.len() {
            assert!(outputs[i] != outputs[j], "{} and {} give the same pixels", Resize::ALL[i], Resize::ALL[j]);
        }
    }
    // Legacy TensorFlow grid: output pixel 0 samples input pixel 0 exactly, so a reduction keeps
    // the top-left pixel (the antialiased filters average it with its neighbours).
    for filter in [Resize::TfBicubic, Resize::TfBilinear] {
        assert_eq!(filter.apply(&img, 17, 13).get_pixel(0, 0), img.get_pixel(0, 0), "{filter}");
    }
}

#[test]
fn filter_names_parse_and_print_back_and_a_bad_name_is_named() {
    for r in Resize::ALL {
        assert_eq!(r.to_string().parse::<Resize>().unwrap(), r);
    }
    let err = "lanczos".parse::<Resize>().unwrap_err().to_string();
    assert!(err.contains("`lanczos`") && err.contains("tf-bicubic"), "{err}");
}
