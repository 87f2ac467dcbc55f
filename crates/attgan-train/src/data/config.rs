//! [`DataConfig`]: how a run reads its images — which rows make each split, how each image is
//! cropped and resized, and whether training takes a random crop — as a named, saved setting,
//! so that a preset can say exactly what a reference implementation does.

use attgan_core::image::{Crop, Preprocess, Resize};
use burn::config::Config;

use super::annotations::Split;
use super::celeba::{CelebaOptions, SplitScheme, Variant};

/// Which rows make the training, validation and test splits.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum SplitChoice {
    /// CelebA's official `list_eval_partition.txt` (162,770 / 19,867 / 19,962 images), and the
    /// synthetic world's file in the same format.
    Official,
    /// AttGAN's split by row: CelebA's train [0, 182000), val [182000, 182637), test the rest
    /// (AttGAN-Tensorflow v1's data.py at 4b00e6c, lines 200-208; AttGAN-PyTorch's data.py,
    /// lines 47-55).
    AttGan,
}

impl SplitChoice {
    /// The name [`std::str::FromStr`] reads: `official`, `attgan`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Official => "official",
            Self::AttGan => "attgan",
        }
    }

    /// The rows this choice means for `variant`. CelebA-HQ has no official partition: it is
    /// always split by AttGAN's row counts.
    pub fn scheme(self, variant: Variant) -> SplitScheme {
        match (self, variant) {
            (Self::Official, Variant::Celeba) => SplitScheme::Partition,
            _ => variant.attgan_split(),
        }
    }
}

impl std::str::FromStr for SplitChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "official" => Ok(Self::Official),
            "attgan" => Ok(Self::AttGan),
            _ => Err(format!("unknown split `{s}`; expected official (list_eval_partition.txt) or attgan (by row)")),
        }
    }
}

/// How a run reads its images. The defaults are the paper's code (AttGAN-Tensorflow v1):
/// AttGAN's row split, the 170x170 CelebA box, TensorFlow's bicubic resize, no random crop.
#[derive(Config, Debug, PartialEq)]
pub struct DataConfig {
    /// Which rows make each split.
    #[config(default = "SplitChoice::AttGan")]
    pub split: SplitChoice,
    /// The crop, the resize filter and the load size.
    #[config(default = "Preprocess::new(Crop::Celeba).with_resize(Resize::TfBicubic)")]
    pub preprocess: Preprocess,
    /// Training images are resized to the load size and a random square of the model's size is
    /// taken from each (AttGAN-Tensorflow v2's `tf.image.random_crop`); validation and test
    /// images take the centred one. Needs a load size larger than the model's.
    #[config(default = false)]
    pub random_crop: bool,
}

impl DataConfig {
    /// What runs written before this setting existed read their data with: the official
    /// partition, the 170x170 CelebA box and the `image` crate's Catmull-Rom resize.
    pub fn legacy() -> Self {
        Self::new().with_split(SplitChoice::Official).with_preprocess(Preprocess::new(Crop::Celeba))
    }

    /// The synthetic world's: its own partition file, the CelebA box, the antialiased
    /// Catmull-Rom resize (the world's 178x218 faces shrink to 32 pixels, where a filter without
    /// antialiasing would alias).
    pub fn synthetic() -> Self {
        Self::legacy()
    }

    /// The side of the images the training split yields for a model of `image_size`: the load
    /// size when training takes random crops (the step crops them), the model's otherwise.
    pub fn training_image_size(&self, image_size: usize) -> usize {
        match (self.random_crop, self.preprocess.load_size) {
            (true, Some(load)) => load as usize,
            _ => image_size,
        }
    }

    /// The dataset options for `split` of `variant`, for a network of `image_size` with these
    /// attributes. The training split of a random-crop run yields load-size images.
    pub fn options(&self, variant: Variant, split: Split, attributes: &[String], image_size: usize) -> CelebaOptions {
        let size = if split == Split::Train { self.training_image_size(image_size) } else { image_size };
        let preprocess = if size == image_size { self.preprocess } else { self.preprocess.with_load_size(None) };
        CelebaOptions::new(variant)
            .with_split(split)
            .with_scheme(self.split.scheme(variant))
            .with_attributes(attributes.iter().cloned())
            .with_image_size(size as u32)
            .with_preprocess(preprocess)
    }

    /// Checks that the settings can work for a model of `image_size`; the message names the
    /// setting.
    pub fn validate(&self, image_size: usize) -> Result<(), String> {
        match self.preprocess.load_size {
            Some(load) if (load as usize) < image_size => {
                Err(format!("data.preprocess.load_size ({load}) must be at least the image size ({image_size})"))
            }
            None if self.random_crop => Err(format!(
                "data.random_crop needs a load size larger than the image size ({image_size}) to crop from"
            )),
            _ => Ok(()),
        }
    }
}
