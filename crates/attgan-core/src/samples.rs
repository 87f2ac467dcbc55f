//! The sample grid of the AttGAN paper: for each image, the input, its reconstruction, and one
//! column per attribute flipped (with conflicts resolved), as training and evaluation show it.

use burn::tensor::{Tensor, backend::Backend};

use crate::config::AttGanConfig;
use crate::editor::decode_edits;
use crate::edits::Edits;
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
    let edits: Vec<Edits> = std::iter::once(Edits::new()).chain(Edits::single(&config.attributes, test_int)).collect();
    let mut columns = vec![tensor_to_batch(images.clone())];
    columns.extend(decode_edits(g, config, images, attrs, &edits)?.into_iter().map(tensor_to_batch));
    let labels =
        ["Input".to_string(), "Reconstruction".to_string()].into_iter().chain(config.attributes.iter().cloned());
    let mut grid = SampleGrid::new(labels);
    for r in 0..n {
        grid.push_row(columns.iter().map(|c| c[r].clone()).collect())?;
    }
    Ok(grid)
}
