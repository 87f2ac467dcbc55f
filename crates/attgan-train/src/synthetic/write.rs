//! The synthetic world written as a CelebA: drawn faces in CelebA's exact layout
//! (`img_align_celeba/000001.jpg`, `list_attr_celeba.txt`, `list_eval_partition.txt`), so that
//! the real loading path runs on a fresh machine and tiny models can be trained and judged
//! (with [`super::oracle`]) in minutes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use attgan_core::atomic::write_atomically;
use attgan_core::attributes::{CELEBA_ATTRIBUTES, celeba_index};
use image::codecs::jpeg::JpegEncoder;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::face::{draw_face, sample_attributes};
use super::world::{ATTRIBUTES, N_ATTRIBUTES};
use crate::data::annotations::Split;
use crate::data::error::{DataError, Result, io_error};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyntheticOptions {
    /// Number of images.
    pub n_images: usize,
    /// Seed: the same seed writes the same bytes.
    pub seed: u64,
    /// Fraction of images in the validation split (after the training rows).
    pub val_fraction: f64,
    /// Fraction of images in the test split (the last rows).
    pub test_fraction: f64,
    /// JPEG quality.
    pub jpeg_quality: u8,
}

impl Default for SyntheticOptions {
    fn default() -> Self {
        Self { n_images: 4000, seed: 0, val_fraction: 0.1, test_fraction: 0.1, jpeg_quality: 95 }
    }
}

impl SyntheticOptions {
    /// Rows of the train, val and test splits, contiguous like CelebA's partition.
    pub fn split_sizes(&self) -> (usize, usize, usize) {
        let test = (self.n_images as f64 * self.test_fraction).round() as usize;
        let val = (self.n_images as f64 * self.val_fraction).round() as usize;
        (self.n_images.saturating_sub(val + test), val, test)
    }

    fn marker(&self) -> String {
        format!(
            "attgan synthetic CelebA v{WORLD_VERSION}: n_images {} seed {} val {} test {} quality {}\n",
            self.n_images, self.seed, self.val_fraction, self.test_fraction, self.jpeg_quality
        )
    }
}

/// The version of the drawing, in the marker: a world on disk written by another version is
/// drawn again. Change it with any change to what the faces look like.
pub const WORLD_VERSION: u32 = 2;

/// Name of the marker file that records how a directory was generated.
pub const MARKER: &str = "SYNTHETIC_CELEBA.txt";

/// Undrawn columns that take part in AttGAN's conflict rules: always -1, so that the rules
/// never act on a value the image does not show.
const NEVER_SET: [&str; 4] = ["Gray_Hair", "Receding_Hairline", "Straight_Hair", "Wavy_Hair"];

/// Attributes of image `index`: the drawn ones ([`ATTRIBUTES`]) from the face sampler, the
/// other CelebA columns random (they do not show in the image) but for [`NEVER_SET`].
/// Deterministic in (seed, index).
fn row_of(seed: u64, index: usize) -> (Vec<bool>, StdRng) {
    let mut rng = StdRng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let drawn = sample_attributes(&mut rng);
    let mut row: Vec<bool> =
        CELEBA_ATTRIBUTES.iter().map(|n| rng.random_bool(0.25) && !NEVER_SET.contains(n)).collect();
    for (name, value) in ATTRIBUTES.iter().zip(drawn) {
        row[celeba_index(name).expect("drawn attributes are CelebA's")] = value;
    }
    (row, rng)
}

/// Writes a synthetic CelebA under `root` (created if needed) and returns the image directory.
/// A directory already holding the same generation (its marker file matches) is reused as is.
pub fn write_synthetic_celeba(root: impl AsRef<Path>, options: SyntheticOptions) -> Result<PathBuf> {
    let root = root.as_ref();
    if options.n_images == 0 {
        return Err(DataError::Invalid("a synthetic dataset needs at least one image".into()));
    }
    let images = root.join("img_align_celeba");
    let marker = root.join(MARKER);
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == options.marker()) {
        return Ok(images);
    }
    std::fs::create_dir_all(&images).map_err(io_error(&images))?;

    let rows = draw_all(&images, options)?;
    let (attrs, partition) = annotations(&rows, options);
    let write = |name: &str, text: &str| {
        write_atomically(root.join(name), text.as_bytes()).map_err(|e| DataError::Invalid(e.to_string()))
    };
    write("list_attr_celeba.txt", &attrs)?;
    write("list_eval_partition.txt", &partition)?;
    write(MARKER, &options.marker())?;
    Ok(images)
}

/// Draws and writes every image of the world (on every core); returns each image's row of the
/// 40 CelebA attributes.
fn draw_all(images: &Path, options: SyntheticOptions) -> Result<Vec<Vec<bool>>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let indices: Vec<usize> = (0..options.n_images).collect();
    let chunk = indices.len().div_ceil(threads);
    let rows = std::thread::scope(|scope| {
        let handles: Vec<_> = indices
            .chunks(chunk)
            .map(|idx| {
                scope.spawn(move || idx.iter().map(|&i| draw_one(images, options, i)).collect::<Result<Vec<_>>>())
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("generator thread")).collect::<Result<Vec<_>>>()
    })?;
    Ok(rows.into_iter().flatten().collect())
}

/// Draws image `i` and writes it as `images/<i + 1>.jpg`; returns its attribute row.
fn draw_one(images: &Path, options: SyntheticOptions, i: usize) -> Result<Vec<bool>> {
    let (row, mut rng) = row_of(options.seed, i);
    let drawn: [bool; N_ATTRIBUTES] = std::array::from_fn(|k| row[celeba_index(ATTRIBUTES[k]).unwrap()]);
    let img = draw_face(&drawn, &mut rng);
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, options.jpeg_quality)
        .encode_image(&img)
        .map_err(|e| DataError::Invalid(format!("JPEG encoding failed: {e}")))?;
    let path = images.join(format!("{:06}.jpg", i + 1));
    write_atomically(&path, &bytes).map_err(|e| DataError::Invalid(e.to_string()))?;
    Ok(row)
}

/// The texts of `list_attr_celeba.txt` and `list_eval_partition.txt` for these rows.
fn annotations(rows: &[Vec<bool>], options: SyntheticOptions) -> (String, String) {
    let mut attrs = format!("{}\n{} \n", options.n_images, CELEBA_ATTRIBUTES.join(" "));
    let mut partition = String::new();
    let (train, val, _) = options.split_sizes();
    for (i, row) in rows.iter().enumerate() {
        let file = format!("{:06}.jpg", i + 1);
        let values: Vec<&str> = row.iter().map(|&v| if v { " 1" } else { "-1" }).collect();
        let _ = writeln!(attrs, "{file} {}", values.join(" "));
        let split = Split::of_row(i, train, train + val).code();
        let _ = writeln!(partition, "{file} {split}");
    }
    (attrs, partition)
}
