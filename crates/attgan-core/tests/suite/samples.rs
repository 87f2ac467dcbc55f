//! The edit grid: layout, and each column made from the right attribute vector.

use attgan_core::AttGanConfig;
use attgan_core::attributes::{edit_input, flip_single, to_generator_input};
use attgan_core::image::tensor_to_batch;
use attgan_core::samples::edit_grid;
use burn::backend::Flex;
use burn::tensor::{Distribution, Tensor, TensorData};

type B = Flex;

#[test]
fn grid_columns_are_input_reconstruction_and_each_flip() {
    let config = AttGanConfig::default()
        .with_image_size(16)
        .with_attributes(vec!["Bald".into(), "Bangs".into(), "Young".into()])
        .with_enc_dim(4)
        .with_dec_dim(4)
        .with_enc_layers(2)
        .with_dec_layers(2)
        .with_dis_layers(2);
    let device = Default::default();
    let g = config.init_generator::<B>(&device);
    let x = Tensor::<B, 4>::random([2, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
    let attrs = vec![vec![0.0, 1.0, 1.0], vec![1.0, 0.0, 0.0]];
    let grid = edit_grid(&g, &config, x.clone(), &attrs, 1.5).unwrap();
    assert_eq!(grid.len(), 2);
    let out = grid.render();
    // 16-pixel cells drawn 7 times larger, so that "Reconstruction" (112 pixels) fits over one.
    let (cw, ch) = grid.cell_size();
    assert_eq!((cw, ch), (112, 112));
    assert_eq!(out.width(), 2 + 5 * (cw + 2));

    // Re-derive each cell independently and find it in the rendered grid.
    let header = out.height() - 2 - 2 * (ch + 2);
    let cell = |row: u32, col: u32, x0: u32, y0: u32| {
        *out.get_pixel(2 + col * (cw + 2) + x0 * 7, header + 2 + row * (ch + 2) + y0 * 7)
    };
    let inputs = tensor_to_batch(x.clone());
    let rows = |r: Vec<Vec<f32>>| Tensor::<B, 2>::from_data(TensorData::new(r.concat(), [2, 3]), &device);
    let rec = tensor_to_batch(g.forward(x.clone(), to_generator_input(rows(attrs.clone()), 0.5)));
    for r in 0..2u32 {
        assert_eq!(cell(r, 0, 5, 7), *inputs[r as usize].get_pixel(5, 7));
        assert_eq!(cell(r, 1, 5, 7), *rec[r as usize].get_pixel(5, 7));
    }
    for i in 0..3 {
        // Bald on for the first image clears its Bangs; the flipped value is +-1.5.
        let b: Vec<Vec<f32>> =
            attrs.iter().map(|a| edit_input(&flip_single(a, &config.attributes, i), i, 0.5, 1.5)).collect();
        if i == 0 {
            assert_eq!(b[0], vec![1.5, -0.5, 0.5]);
        }
        let edited = tensor_to_batch(g.forward(x.clone(), rows(b)));
        for r in 0..2u32 {
            for (px, py) in [(0, 0), (8, 3), (15, 15)] {
                assert_eq!(
                    cell(r, 2 + i as u32, px, py),
                    *edited[r as usize].get_pixel(px, py),
                    "attribute {i} row {r}"
                );
            }
        }
    }
    assert!(edit_grid(&g, &config, x, &attrs[..1], 1.0).is_err());
}
