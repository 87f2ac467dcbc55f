//! The sample grid of the AttGAN paper: for each image, the input, its reconstruction, and one
//! column per attribute flipped (with conflicts resolved), as training and evaluation show it.

use burn::tensor::{Tensor, TensorData, backend::Backend};

use crate::attributes::{edit_input, flip_single, to_generator_input};
use crate::config::AttGanConfig;
use crate::error::{AttGanError, Result};
use crate::generator::Generator;
use crate::image::{SampleGrid, tensor_to_batch};

/// The grid for `images` [N, 3, S, S] with their 0/1 attributes `attrs` (one row of
/// `config.n_attrs()` per image). Each edit sets the flipped attribute to +-`test_int` (1.0 in
/// the official test script), the others to +-`thres_int`. One encoding serves every column.
pub fn edit_grid<B: Backend>(
    g: &Generator<B>,
    config: &AttGanConfig,
    images: Tensor<B, 4>,
    attrs: &[Vec<f32>],
    test_int: f64,
) -> Result<SampleGrid> {
    let n = images.dims()[0];
    let k = config.n_attrs();
    if attrs.len() != n || attrs.iter().any(|a| a.len() != k) {
        return Err(AttGanError::Shape(format!(
            "edit_grid needs {n} attribute rows of {k} values, got {} rows",
            attrs.len()
        )));
    }
    let device = images.device();
    let rows_tensor = |rows: Vec<Vec<f32>>| Tensor::<B, 2>::from_data(TensorData::new(rows.concat(), [n, k]), &device);
    let zs = g.encode(images.clone());
    let mut columns = vec![tensor_to_batch(images)];
    let a = rows_tensor(attrs.to_vec());
    columns.push(tensor_to_batch(g.decode(&zs, to_generator_input(a, config.thres_int))));
    for i in 0..k {
        let b = attrs
            .iter()
            .map(|a| edit_input(&flip_single(a, &config.attributes, i), i, config.thres_int, test_int))
            .collect();
        columns.push(tensor_to_batch(g.decode(&zs, rows_tensor(b))));
    }
    let labels =
        ["Input".to_string(), "Reconstruction".to_string()].into_iter().chain(config.attributes.iter().cloned());
    let mut grid = SampleGrid::new(labels);
    for r in 0..n {
        grid.push_row(columns.iter().map(|c| c[r].clone()).collect())?;
    }
    Ok(grid)
}
