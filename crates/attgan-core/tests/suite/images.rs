//! Image <-> tensor conversion and the labelled grid.

use attgan_core::image::grid::wrap;
use attgan_core::image::{SampleGrid, batch_to_tensor, save_atomically, tensor_to_batch, to_tensor};
use burn::backend::Flex;
use burn::tensor::{Distribution, Tensor};
use image::{Rgb, RgbImage};

type B = Flex;

fn pattern(w: u32, h: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = x.wrapping_mul(31).wrapping_add(y.wrapping_mul(17)).wrapping_add(seed.wrapping_mul(101));
        Rgb([(v % 256) as u8, (v / 3 % 256) as u8, (v * 7 % 256) as u8])
    })
}

#[test]
fn image_tensor_image_is_exact() {
    let imgs = vec![pattern(20, 12, 1), pattern(20, 12, 2)];
    let t = batch_to_tensor::<B>(&imgs, &Default::default()).unwrap();
    assert_eq!(t.dims(), [2, 3, 12, 20]);
    let (lo, hi) = (t.clone().min().into_scalar(), t.clone().max().into_scalar());
    assert!(lo >= -1.0 && hi <= 1.0);
    assert_eq!(tensor_to_batch(t), imgs);
    // Channel layout: pixel (x=3, y=2), green channel.
    let one = to_tensor::<B>(&imgs[0], &Default::default());
    let v: f32 = one.slice([0..1, 1..2, 2..3, 3..4]).into_scalar();
    assert!((v - (imgs[0].get_pixel(3, 2).0[1] as f32 / 127.5 - 1.0)).abs() < 1e-6);
}

#[test]
fn tensor_image_tensor_is_within_one_grey_level() {
    let t = Tensor::<B, 4>::random([3, 3, 9, 7], Distribution::Uniform(-1.0, 1.0), &Default::default());
    let back = batch_to_tensor::<B>(&tensor_to_batch(t.clone()), &Default::default()).unwrap();
    let err: f32 = (back - t).abs().max().into_scalar();
    assert!(err <= 0.5 / 127.5 + 1e-6, "max error {err}");
}

#[test]
fn out_of_range_values_are_clamped() {
    let t = Tensor::<B, 4>::full([1, 3, 1, 2], 3.0, &Default::default());
    let img = &tensor_to_batch(t.clone())[0];
    assert_eq!(img.get_pixel(0, 0), &Rgb([255, 255, 255]));
    let img = &tensor_to_batch(t.neg())[0];
    assert_eq!(img.get_pixel(1, 0), &Rgb([0, 0, 0]));
}

#[test]
fn mixed_sizes_are_rejected() {
    let err = batch_to_tensor::<B>(&[pattern(4, 4, 0), pattern(4, 5, 0)], &Default::default()).unwrap_err();
    assert!(err.to_string().contains("image 1 is 4x5"), "{err}");
    assert!(batch_to_tensor::<B>(&[], &Default::default()).is_err());
}

#[test]
fn grid_lays_out_cells_under_a_labelled_header() {
    // Every word of these fits over a 64-pixel cell ("Slightly": 8 letters of 8 pixels).
    let labels = ["Input", "Bald", "Mouth_Slightly_Open"];
    let mut grid = SampleGrid::new(labels);
    let rows: Vec<Vec<RgbImage>> = (0..2).map(|r| (0..3).map(|c| pattern(64, 64, r * 3 + c)).collect()).collect();
    for row in &rows {
        grid.push_row(row.clone()).unwrap();
    }
    assert_eq!(grid.len(), 2);
    let out = grid.render();
    // 3 columns of 64 plus 2-pixel gaps.
    assert_eq!(out.width(), 2 + 3 * 66);
    let header = out.height() - 2 - 2 * 66;
    assert!(header >= 8, "a header with text");
    // Every cell is copied verbatim to its place.
    for (r, row) in rows.iter().enumerate() {
        for (c, img) in row.iter().enumerate() {
            let (x0, y0) = (2 + c as u32 * 66, header + 2 + r as u32 * 66);
            for (x, y) in [(0, 0), (63, 63), (17, 40)] {
                assert_eq!(out.get_pixel(x0 + x, y0 + y), img.get_pixel(x, y));
            }
        }
    }
    // The header has ink above every column and nothing else.
    for c in 0..3u32 {
        let x0 = 2 + c * 66;
        let ink = (x0..x0 + 64)
            .flat_map(|x| (0..header).map(move |y| (x, y)))
            .filter(|&(x, y)| out.get_pixel(x, y).0 == [0, 0, 0])
            .count();
        assert!(ink > 20, "column {c} label drawn ({ink} dark pixels)");
    }
}

#[test]
fn every_label_is_readable_whole_at_every_size() {
    let labels = ["Input", "Reconstruction", "Mouth_Slightly_Open", "Bangs"];
    for side in [16, 32, 64, 96, 128, 256] {
        let mut grid = SampleGrid::new(labels);
        grid.push_row((0..4).map(|c| pattern(side, side, c)).collect()).unwrap();
        let (cw, ch) = grid.cell_size();
        // "Reconstruction" is 14 letters of 8 pixels: the cells zoom to fit it, by whole steps.
        assert!(cw >= 14 * 8 && cw % side == 0 && cw == ch, "{side}: cells of {cw}x{ch}");
        assert!(cw < 14 * 8 + side || cw == side, "{side}: no more zoom than needed ({cw})");
        let out = grid.render();
        assert_eq!(out.width(), 2 + 4 * (cw + 2));
        // The header of the Reconstruction column holds its 14 letters on one line: ink spans
        // at least 13 letters' width.
        let header = out.height() - 2 - (ch + 2);
        let x0 = 2 + cw + 2;
        let inked: Vec<u32> =
            (x0..x0 + cw).filter(|&x| (0..header).any(|y| out.get_pixel(x, y).0 == [0, 0, 0])).collect();
        let span = inked.last().unwrap() - inked.first().unwrap() + 1;
        assert!(span >= 13 * 8, "{side}: the label spans {span} pixels");
        // The zoomed cell is the image, each pixel repeated.
        let z = cw / side;
        let cell = pattern(side, side, 0);
        let y0 = header + 2;
        for (x, y) in [(0, 0), (side - 1, side - 1), (side / 3, side / 2)] {
            assert_eq!(out.get_pixel(2 + x * z, y0 + y * z), cell.get_pixel(x, y), "{side}");
        }
    }
    // Lines as long as the longest word (what render's cells always hold at least) cut none.
    for label in labels {
        assert_eq!(wrap(label, 14).join(" "), label.replace('_', " "), "{label}");
    }
}

#[test]
fn grid_labels_wrap_at_underscores_and_join_short_words() {
    assert_eq!(wrap("Mouth_Slightly_Open", 16), vec!["Mouth Slightly", "Open"]);
    assert_eq!(wrap("Bald", 16), vec!["Bald"]);
    assert_eq!(wrap("Bushy_Eyebrows", 4), vec!["Bush", "Eyeb"]);
}

#[test]
fn grid_rejects_ragged_rows() {
    let mut grid = SampleGrid::new(["a", "b"]);
    assert!(grid.push_row(vec![pattern(8, 8, 0)]).unwrap_err().to_string().contains("1 images for 2 columns"));
    grid.push_row(vec![pattern(8, 8, 0), pattern(8, 8, 1)]).unwrap();
    let err = grid.push_row(vec![pattern(8, 8, 0), pattern(9, 8, 1)]).unwrap_err();
    assert!(err.to_string().contains("column 1 is 9x8"), "{err}");
}

#[test]
fn grids_and_images_are_saved_atomically() {
    let dir = std::env::temp_dir().join(format!("attgan-image-test-{}", std::process::id()));
    let path = dir.join("nested/grid.png");
    let mut grid = SampleGrid::new(["x"]);
    grid.push_row(vec![pattern(16, 16, 3)]).unwrap();
    grid.save(&path).unwrap();
    let back = image::open(&path).unwrap().to_rgb8();
    assert_eq!(back, grid.render());
    let leftovers: Vec<_> =
        std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
    let err = save_atomically(&pattern(2, 2, 0), dir.join("x.unknown-format")).unwrap_err();
    assert!(err.to_string().contains("x.unknown-format"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
