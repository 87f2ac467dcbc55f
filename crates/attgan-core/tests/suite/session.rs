//! An interactive edit: encoded once, decoded per change, pasted back into the photo.

use attgan_core::image::Region;
use attgan_core::session::{EditSession, paste};
use attgan_core::{Editor, Edits};
use burn::backend::Flex;
use image::{DynamicImage, Rgb, RgbImage};

fn editor() -> Editor<Flex> {
    crate::common::tiny_editor()
}

fn photo() -> RgbImage {
    RgbImage::from_fn(60, 40, |x, y| Rgb([(x * 4) as u8, (y * 6) as u8, ((x + y) * 2) as u8]))
}

#[test]
fn a_rendering_is_the_editors_edit_of_the_photo() {
    let editor = editor();
    let source: Vec<f32> = (0..13).map(|i| (i % 3 == 0) as u8 as f32).collect();
    let session = EditSession::new(&editor, photo(), Some(source.clone())).expect("a session");
    assert_eq!(session.face().dimensions(), (32, 32));
    for edits in [Edits::new(), Edits::new().set("Blond_Hair", 1.0).set("Young", -0.5), Edits::new().flip("Bald", 1.0)]
    {
        let rendered = session.render(&editor, &edits).expect("renders");
        let expected = editor.edit_with_source(&DynamicImage::ImageRgb8(photo()), &source, &edits).expect("edits");
        assert_eq!(
            rendered.image,
            expected,
            "one decoding of the stored encoding is the whole edit ({})",
            edits.label()
        );
    }
    // The conflict rules show in the attributes: a photo with Bangs, Bald turned on: Bangs off.
    let with_bangs: Vec<f32> = (0..13).map(|i| if i == 1 { 1.0 } else { 0.0 }).collect();
    let session = EditSession::new(&editor, photo(), Some(with_bangs)).unwrap();
    let r = session.render(&editor, &Edits::new().set("Bald", 1.0)).unwrap();
    let names = editor.attributes();
    let on = |n: &str| r.attributes[names.iter().position(|a| a == n).unwrap()];
    assert!(on("Bald") && !on("Bangs"), "{:?}", r.attributes);
}

#[test]
fn without_given_attributes_c_predicts_them() {
    let editor = editor();
    let session = EditSession::new(&editor, photo(), None).expect("C predicts");
    let predicted = editor.predict(std::slice::from_ref(session.face())).unwrap().remove(0);
    assert_eq!(session.source(), predicted.as_slice());
    let wrong = EditSession::new(&editor, photo(), Some(vec![1.0; 3])).expect_err("3 attributes for 13");
    assert!(wrong.to_string().contains("3 source attributes for a model of 13"), "{wrong}");
}

#[test]
fn pasting_back_replaces_the_frame_and_fades_at_its_edge() {
    let photo = RgbImage::from_pixel(100, 80, Rgb([0, 0, 0]));
    let face = RgbImage::from_pixel(32, 32, Rgb([250, 250, 250]));
    let region = Region { left: 20, top: 10, width: 50, height: 50 };
    let out = paste(&photo, &face, region);
    assert_eq!(out.get_pixel(5, 5), &Rgb([0, 0, 0]), "outside the frame: the photo");
    assert_eq!(out.get_pixel(99, 79), &Rgb([0, 0, 0]));
    assert_eq!(out.get_pixel(45, 35), &Rgb([250, 250, 250]), "inside: the face");
    let edge = out.get_pixel(20, 35)[0];
    assert!(edge > 0 && edge < 125, "the frame's edge is mostly photo: {edge}");
    let row: Vec<u8> = (20..45).map(|x| out.get_pixel(x, 35)[0]).collect();
    assert!(row.windows(2).all(|w| w[0] <= w[1]), "it fades in monotonically: {row:?}");
    // The session pastes into its own frame.
    let editor = editor();
    let session = EditSession::new(&editor, photo.clone(), Some(vec![0.0; 13])).unwrap();
    let whole = session.paste_back(&face);
    assert_eq!(whole.dimensions(), (100, 80));
    assert_eq!(whole.get_pixel(50, 40), &Rgb([250, 250, 250]), "the centred frame");
    assert_eq!(whole.get_pixel(2, 40), &Rgb([0, 0, 0]), "left of the centred 80x80 frame");
}
