//! CelebA and CelebA-HQ as a Burn [`Dataset`]: the annotation files parsed up front (with file
//! and line on any error), the images decoded and preprocessed on demand, in the data loader's
//! worker threads.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use attgan_core::attributes::DEFAULT_ATTRIBUTES;
use burn::data::dataset::Dataset;
use image::RgbImage;

use super::annotations::{Split, parse_attribute_file, parse_partition_file};
use super::error::{DataError, Result};
use attgan_core::image::{Crop, Preprocess};

/// Which dataset, and so which file layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// CelebA: `img_align_celeba/`, `list_attr_celeba.txt`, `list_eval_partition.txt`.
    Celeba,
    /// CelebA-HQ as distributed in CelebAMask-HQ: `CelebA-HQ-img/`,
    /// `CelebAMask-HQ-attribute-anno.txt` (rows `0.jpg ...`).
    CelebaHq,
}

/// Where a variant's files are under its root directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The image directory.
    pub image_dir: PathBuf,
    /// The attribute file.
    pub attr_file: PathBuf,
    /// The official partition file, where the variant has one and it is present.
    pub partition_file: Option<PathBuf>,
}

impl Variant {
    /// The expected layout, for error messages.
    pub fn layout_hint(self) -> &'static str {
        match self {
            Variant::Celeba => {
                "CelebA's layout: <root>/img_align_celeba/000001.jpg ... (202,599 JPEGs), \
                 <root>/list_attr_celeba.txt (count, 40 names, one row per image) and \
                 optionally <root>/list_eval_partition.txt"
            }
            Variant::CelebaHq => {
                "CelebAMask-HQ's layout: <root>/CelebA-HQ-img/0.jpg ... (30,000 JPEGs) and \
                 <root>/CelebAMask-HQ-attribute-anno.txt (count, 40 names, one row per image)"
            }
        }
    }

    /// Finds the variant's files under `root`, or says which is missing and what the layout is.
    pub fn layout(self, root: &Path) -> Result<Layout> {
        let missing = |path: PathBuf, what| DataError::Missing { path, what, hint: self.layout_hint().to_string() };
        if !root.is_dir() {
            return Err(missing(root.to_path_buf(), "dataset directory"));
        }
        let (images, attrs, partition) = match self {
            Variant::Celeba => ("img_align_celeba", "list_attr_celeba.txt", Some("list_eval_partition.txt")),
            Variant::CelebaHq => ("CelebA-HQ-img", "CelebAMask-HQ-attribute-anno.txt", None),
        };
        let mut image_dir = root.join(images);
        // Some mirrors unpack to img_align_celeba/img_align_celeba/.
        if image_dir.join(images).is_dir() {
            image_dir = image_dir.join(images);
        }
        if !image_dir.is_dir() {
            return Err(missing(image_dir, "image directory"));
        }
        let attr_file = root.join(attrs);
        if !attr_file.is_file() {
            return Err(missing(attr_file, "attribute file"));
        }
        let partition_file = partition.map(|p| root.join(p)).filter(|p| p.is_file());
        Ok(Layout { image_dir, attr_file, partition_file })
    }

    /// AttGAN's row split of this variant's files.
    pub fn attgan_split(self) -> SplitScheme {
        match self {
            Variant::Celeba => SplitScheme::ATTGAN_CELEBA,
            Variant::CelebaHq => SplitScheme::ATTGAN_CELEBA_HQ,
        }
    }

    /// The default crop: AttGAN's 170x170 box for CelebA ([`Crop::Celeba`]), the centred
    /// square for HQ ([`Crop::Centre`]: the whole image, as HQ's images are square).
    pub fn default_crop(self) -> Crop {
        match self {
            Variant::Celeba => Crop::Celeba,
            Variant::CelebaHq => Crop::Centre,
        }
    }
}

/// How rows are assigned to train / val / test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitScheme {
    /// The official `list_eval_partition.txt` (162,770 / 19,867 / 19,962 for CelebA).
    Partition,
    /// By row in the attribute file: train `[0, train_end)`, val `[train_end, val_end)`, test the rest.
    Rows {
        /// First row after the training rows.
        train_end: usize,
        /// First row after the validation rows.
        val_end: usize,
    },
}

impl SplitScheme {
    /// AttGAN's CelebA split: train [0, 182000), val [182000, 182637), test [182637, end).
    pub const ATTGAN_CELEBA: SplitScheme = SplitScheme::Rows { train_end: 182_000, val_end: 182_637 };
    /// AttGAN's CelebA-HQ split sizes (26,500 / 500 / 3,000), taken in file order (the official
    /// script shuffles with Python's RNG first).
    pub const ATTGAN_CELEBA_HQ: SplitScheme = SplitScheme::Rows { train_end: 26_500, val_end: 27_000 };
}

/// What to do with an image that is missing or does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BadImages {
    /// Stop with an error naming the file.
    #[default]
    Fail,
    /// Use the next good image instead, and record the bad one (see [`CelebaDataset::skipped`]).
    Skip,
}

/// Everything that selects and shapes the items of a [`CelebaDataset`].
#[derive(Debug, Clone, PartialEq)]
pub struct CelebaOptions {
    /// CelebA or CelebA-HQ.
    pub variant: Variant,
    /// Which split to read.
    pub split: Split,
    /// How rows map to splits.
    pub scheme: SplitScheme,
    /// Attributes to read, by name, in the order the model uses.
    pub attributes: Vec<String>,
    /// Side of the square images produced.
    pub image_size: u32,
    /// Which pixels are taken, and how they are resized.
    pub preprocess: Preprocess,
    /// Random left-right mirroring (training augmentation).
    pub hflip: bool,
    /// Policy for missing or corrupt images.
    pub bad_images: BadImages,
}

impl CelebaOptions {
    /// The defaults for a variant: the training split of the official partition (CelebA) or of
    /// AttGAN's row split (HQ), the 13 AttGAN attributes, 128x128, the variant's crop with the
    /// Catmull-Rom resize, no flip, failing on bad images. A training run's
    /// [`DataConfig`](super::DataConfig) sets the split and preprocessing it names.
    pub fn new(variant: Variant) -> Self {
        Self {
            variant,
            split: Split::Train,
            scheme: match variant {
                Variant::Celeba => SplitScheme::Partition,
                Variant::CelebaHq => SplitScheme::ATTGAN_CELEBA_HQ,
            },
            attributes: DEFAULT_ATTRIBUTES.iter().map(|s| s.to_string()).collect(),
            image_size: 128,
            preprocess: Preprocess::new(variant.default_crop()),
            hflip: false,
            bad_images: BadImages::Fail,
        }
    }

    /// With another split.
    pub fn with_split(mut self, split: Split) -> Self {
        self.split = split;
        self
    }
    /// With another split scheme.
    pub fn with_scheme(mut self, scheme: SplitScheme) -> Self {
        self.scheme = scheme;
        self
    }
    /// With other attributes.
    pub fn with_attributes<S: Into<String>>(mut self, attributes: impl IntoIterator<Item = S>) -> Self {
        self.attributes = attributes.into_iter().map(Into::into).collect();
        self
    }
    /// With another output size.
    pub fn with_image_size(mut self, size: u32) -> Self {
        self.image_size = size;
        self
    }
    /// With another crop.
    pub fn with_crop(mut self, crop: Crop) -> Self {
        self.preprocess.crop = crop;
        self
    }
    /// With another preprocessing (crop, filter, load size).
    pub fn with_preprocess(mut self, preprocess: Preprocess) -> Self {
        self.preprocess = preprocess;
        self
    }
    /// With or without random flips.
    pub fn with_hflip(mut self, hflip: bool) -> Self {
        self.hflip = hflip;
        self
    }
    /// With another bad-image policy.
    pub fn with_bad_images(mut self, policy: BadImages) -> Self {
        self.bad_images = policy;
        self
    }
}

/// One preprocessed image with its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct CelebaItem {
    /// File name, e.g. `000001.jpg`.
    pub file: String,
    /// The preprocessed image, `image_size` square.
    pub image: RgbImage,
    /// The selected attributes, 0 or 1.
    pub attributes: Vec<f32>,
}

/// One split of CelebA or CelebA-HQ.
#[derive(Debug, Clone)]
pub struct CelebaDataset {
    image_dir: PathBuf,
    files: Vec<String>,
    attributes: Vec<Vec<f32>>,
    options: CelebaOptions,
    skipped: Arc<Mutex<Vec<(String, String)>>>,
}

impl CelebaDataset {
    /// Reads the annotations under `root` and selects the split; images are read on demand.
    pub fn open(root: impl AsRef<Path>, options: CelebaOptions) -> Result<Self> {
        let root = root.as_ref();
        let layout = options.variant.layout(root)?;
        let table = parse_attribute_file(&layout.attr_file, options.variant.layout_hint())?;
        let columns = table.columns(&options.attributes, &layout.attr_file)?;
        let keep: Vec<bool> = match options.scheme {
            SplitScheme::Partition => {
                let path = layout.partition_file.clone().ok_or_else(|| DataError::Missing {
                    path: root.join("list_eval_partition.txt"),
                    what: "partition file",
                    hint: "the official split needs list_eval_partition.txt; use SplitScheme::Rows (AttGAN's row split) without it".into(),
                })?;
                let partition = parse_partition_file(&path)?;
                if partition.len() != table.files.len() {
                    return Err(DataError::Invalid(format!(
                        "{} lists {} images but {} lists {}",
                        path.display(),
                        partition.len(),
                        layout.attr_file.display(),
                        table.files.len()
                    )));
                }
                let mut keep = Vec::with_capacity(partition.len());
                for (i, ((file, split), attr_file)) in partition.iter().zip(&table.files).enumerate() {
                    if file != attr_file {
                        return Err(DataError::Malformed {
                            path: path.clone(),
                            line: i + 1,
                            message: format!(
                                "`{file}` where the attribute file has `{attr_file}` on its row {}",
                                i + 1
                            ),
                        });
                    }
                    keep.push(*split == options.split);
                }
                keep
            }
            SplitScheme::Rows { train_end, val_end } => {
                (0..table.files.len()).map(|i| Split::of_row(i, train_end, val_end) == options.split).collect()
            }
        };
        let total_rows = table.files.len();
        let mut files = Vec::new();
        let mut attributes = Vec::new();
        for ((file, row), keep) in table.files.into_iter().zip(table.values).zip(keep) {
            if keep {
                files.push(file);
                attributes.push(columns.iter().map(|&c| row[c] as f32).collect());
            }
        }
        if files.is_empty() {
            // Row bounds made for CelebA's 202,599 rows leave a smaller set (the synthetic world,
            // a subset) without validation or test rows: say what to use instead.
            let advice = match options.scheme {
                SplitScheme::Rows { val_end, .. } if total_rows <= val_end && layout.partition_file.is_some() => {
                    "; these row bounds are for the whole of CelebA: split this set by its \
                     list_eval_partition.txt instead (SplitScheme::Partition; `--split-by official` \
                     in the examples)"
                }
                _ => "",
            };
            return Err(DataError::Invalid(format!(
                "the {} split of {} is empty under {:?} ({} rows in {}){advice}",
                options.split,
                root.display(),
                options.scheme,
                total_rows,
                layout.attr_file.display()
            )));
        }
        Ok(Self { image_dir: layout.image_dir, files, attributes, options, skipped: Default::default() })
    }

    /// The options the dataset was opened with.
    pub fn options(&self) -> &CelebaOptions {
        &self.options
    }

    /// File names of the split, in order.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The selected attributes (0/1) of item `index`.
    pub fn attributes_of(&self, index: usize) -> &[f32] {
        &self.attributes[index]
    }

    /// Full path of an image file.
    pub fn image_path(&self, file: &str) -> PathBuf {
        self.image_dir.join(file)
    }

    /// Reads, decodes and preprocesses item `index`, or says why it cannot.
    pub fn try_get(&self, index: usize) -> Result<CelebaItem> {
        let file = &self.files[index];
        let path = self.image_path(file);
        let bad = |message: String| DataError::BadImage { path: path.clone(), message };
        let img = image::open(&path).map_err(|e| bad(e.to_string()))?.to_rgb8();
        let flip = self.options.hflip && rand::random::<bool>();
        let image =
            self.options.preprocess.apply(&img, self.options.image_size, flip).map_err(|e| bad(e.to_string()))?;
        Ok(CelebaItem { file: file.clone(), image, attributes: self.attributes[index].clone() })
    }

    /// Checks that this split serves what a network of `image_size` with `attributes` takes.
    /// `role` names the split in the message ("training"), `network` the network ("model",
    /// "classifier").
    pub fn require_fit(&self, role: &str, network: &str, image_size: usize, attributes: &[String]) -> Result<()> {
        let o = self.options();
        if o.image_size as usize != image_size {
            return Err(DataError::Invalid(format!(
                "the {role} data is resized to {} pixels but the {network}'s image_size is {image_size}",
                o.image_size
            )));
        }
        if o.attributes != attributes {
            return Err(DataError::Invalid(format!(
                "the {role} data has attributes [{}] but the {network} has [{}]",
                o.attributes.join(", "),
                attributes.join(", ")
            )));
        }
        Ok(())
    }

    /// The images skipped so far under [`BadImages::Skip`], with the reason for each.
    pub fn skipped(&self) -> Vec<(String, String)> {
        self.skipped.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Dataset<CelebaItem> for CelebaDataset {
    /// The item at `index`. A bad image panics with its path and the reason under
    /// [`BadImages::Fail`] (a `Dataset` cannot return an error); under [`BadImages::Skip`] the
    /// next good image takes its place and the bad one is recorded.
    fn get(&self, index: usize) -> Option<CelebaItem> {
        if index >= self.files.len() {
            return None;
        }
        let n = self.files.len();
        for k in 0..n {
            match self.try_get((index + k) % n) {
                Ok(item) => return Some(item),
                Err(e) if self.options.bad_images == BadImages::Skip => {
                    let file = self.files[(index + k) % n].clone();
                    let mut log = self.skipped.lock().unwrap_or_else(|e| e.into_inner());
                    if !log.iter().any(|(f, _)| *f == file) {
                        log.push((file, e.to_string()));
                    }
                }
                Err(e) => panic!("{e}\n(set BadImages::Skip to skip unreadable images)"),
            }
        }
        panic!("none of the {n} images of the {} split could be read", self.options.split)
    }

    fn len(&self) -> usize {
        self.files.len()
    }
}
