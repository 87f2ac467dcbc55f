//! `verify`: checks a CelebA-format directory before hours of training depend on it.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use md5::{Digest, Md5};

use super::annotations::{Split, parse_attribute_file, parse_partition_file};
use super::batcher::worker_count;
use super::celeba::{Layout, SplitScheme, Variant};
use super::error::{Result, io_error};
use attgan_core::image::Crop;

/// The published md5 sums of CelebA's annotation files (as torchvision checks them).
pub const CELEBA_MD5: [(&str, &str); 2] = [
    ("list_attr_celeba.txt", "75e246fa4810816ffd6ee81facbd244c"),
    ("list_eval_partition.txt", "d32c9cbf5e040fd4025c592c306e6668"),
];

/// How thorough to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Decode every annotated image (minutes for all of CelebA); otherwise only check existence.
    pub decode_images: bool,
    /// Decoding threads (0: one per core).
    pub threads: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self { decode_images: true, threads: 0 }
    }
}

/// An annotation file's md5 against the published one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    /// File name.
    pub file: String,
    /// Its md5.
    pub actual: String,
    /// The published md5, where known.
    pub expected: Option<&'static str>,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyReport {
    /// The files found.
    pub layout: Layout,
    /// Images listed in the attribute file.
    pub annotated: usize,
    /// Files in the image directory.
    pub images_on_disk: usize,
    /// Annotated images missing from the directory.
    pub missing: Vec<String>,
    /// Annotated images that failed to decode, with the reason.
    pub undecodable: Vec<(String, String)>,
    /// Decoded images that the variant's default crop does not fit in, with their size.
    pub too_small: Vec<(String, (u32, u32))>,
    /// Files in the image directory that no annotation row names.
    pub unannotated: usize,
    /// Split sizes under the official partition, when the file is there.
    pub partition_splits: Option<Vec<(Split, usize)>>,
    /// Split sizes under AttGAN's row ranges.
    pub row_splits: Vec<(Split, usize)>,
    /// Fraction of images with each attribute, in file order.
    pub attribute_frequencies: Vec<(String, f64)>,
    /// md5 of each annotation file.
    pub checksums: Vec<Checksum>,
    /// Whether the images were decoded.
    pub decoded: bool,
}

impl VerifyReport {
    /// No missing, undecodable or too small image.
    pub fn is_ok(&self) -> bool {
        self.missing.is_empty() && self.undecodable.is_empty() && self.too_small.is_empty()
    }
}

fn md5_of(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    Ok(Md5::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

fn split_counts(splits: impl Iterator<Item = Split>) -> Vec<(Split, usize)> {
    let mut counts = [0usize; 3];
    for s in splits {
        counts[s as usize] += 1;
    }
    Split::ALL.iter().map(|&s| (s, counts[s as usize])).collect()
}

/// Checks the dataset under `root`: annotation files parse, every annotated image exists (and
/// decodes, and fits the crop), split sizes, attribute frequencies, annotation md5 sums.
/// Annotation errors are returned as errors; image problems are listed in the report.
pub fn verify(root: impl AsRef<Path>, variant: Variant, options: VerifyOptions) -> Result<VerifyReport> {
    let root = root.as_ref();
    let layout = variant.layout(root)?;
    let table = parse_attribute_file(&layout.attr_file, variant.layout_hint())?;
    let partition_splits = match &layout.partition_file {
        Some(p) => Some(split_counts(parse_partition_file(p)?.into_iter().map(|(_, s)| s))),
        None => None,
    };
    let SplitScheme::Rows { train_end, val_end } = variant.attgan_split() else { unreachable!("a row scheme") };
    let row_splits = split_counts((0..table.files.len()).map(|i| Split::of_row(i, train_end, val_end)));

    let on_disk = files_in(&layout.image_dir)?;
    let annotated: HashSet<&str> = table.files.iter().map(String::as_str).collect();
    let missing: Vec<String> = table.files.iter().filter(|f| !on_disk.contains(*f)).cloned().collect();
    let unannotated = on_disk.iter().filter(|f| !annotated.contains(f.as_str())).count();
    let (undecodable, too_small) = if options.decode_images {
        let present: Vec<&String> = table.files.iter().filter(|f| on_disk.contains(*f)).collect();
        decode_all(&layout.image_dir, &present, variant.default_crop(), options.threads)
    } else {
        (Vec::new(), Vec::new())
    };
    let n = table.values.len().max(1) as f64;
    let attribute_frequencies = table
        .names
        .iter()
        .enumerate()
        .map(|(j, name)| (name.clone(), table.values.iter().map(|r| r[j] as f64).sum::<f64>() / n))
        .collect();
    Ok(VerifyReport {
        checksums: checksums(&layout, variant)?,
        layout,
        annotated: table.files.len(),
        images_on_disk: on_disk.len(),
        missing,
        undecodable,
        too_small,
        unannotated,
        partition_splits,
        row_splits,
        attribute_frequencies,
        decoded: options.decode_images,
    })
}

/// The names of the plain files in `dir`.
fn files_in(dir: &Path) -> Result<HashSet<String>> {
    Ok(std::fs::read_dir(dir)
        .map_err(io_error(dir))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect())
}

/// Decodes `files` of `dir` on `threads` threads (0: one per core); returns those that do not
/// decode (with why) and those too small for `crop` (with their size).
#[allow(clippy::type_complexity)]
fn decode_all(
    dir: &Path,
    files: &[&String],
    crop: Crop,
    threads: usize,
) -> (Vec<(String, String)>, Vec<(String, (u32, u32))>) {
    let threads = worker_count(threads);
    let chunk = files.len().div_ceil(threads).max(1);
    let results: Vec<(Vec<_>, Vec<_>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|files| {
                scope.spawn(move || {
                    let (mut bad, mut small) = (Vec::new(), Vec::new());
                    for f in files {
                        match decode(&dir.join(f)) {
                            Ok(img) if !crop.region(img.width(), img.height()).fits_in(img.width(), img.height()) => {
                                small.push(((*f).clone(), (img.width(), img.height())))
                            }
                            Ok(_) => {}
                            Err(e) => bad.push(((*f).clone(), e)),
                        }
                    }
                    (bad, small)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("decoder thread")).collect()
    });
    results.into_iter().fold((Vec::new(), Vec::new()), |(mut bad, mut small), (b, s)| {
        bad.extend(b);
        small.extend(s);
        (bad, small)
    })
}

fn decode(path: &Path) -> std::result::Result<image::DynamicImage, String> {
    let reader = image::ImageReader::open(path).map_err(|e| e.to_string())?;
    reader.with_guessed_format().map_err(|e| e.to_string())?.decode().map_err(|e| e.to_string())
}

/// The md5 sums of the annotation files, with the published ones where known.
fn checksums(layout: &Layout, variant: Variant) -> Result<Vec<Checksum>> {
    let mut checksums = vec![];
    for path in std::iter::once(&layout.attr_file).chain(layout.partition_file.as_ref()) {
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let expected = match variant {
            Variant::Celeba => CELEBA_MD5.iter().find(|(f, _)| *f == file).map(|(_, m)| *m),
            Variant::CelebaHq => None,
        };
        checksums.push(Checksum { actual: md5_of(path)?, file, expected });
    }
    Ok(checksums)
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |items: &[String]| {
            let shown: Vec<&str> = items.iter().take(5).map(String::as_str).collect();
            let more = if items.len() > 5 { format!(" and {} more", items.len() - 5) } else { String::new() };
            format!("{}{more}", shown.join(", "))
        };
        writeln!(f, "images:      {}", self.layout.image_dir.display())?;
        writeln!(f, "annotations: {} ({} images)", self.layout.attr_file.display(), self.annotated)?;
        writeln!(f, "on disk:     {} files, {} not annotated", self.images_on_disk, self.unannotated)?;
        if self.missing.is_empty() {
            writeln!(f, "missing:     none")?;
        } else {
            writeln!(f, "missing:     {} ({})", self.missing.len(), list(&self.missing))?;
        }
        if self.decoded {
            let bad: Vec<String> = self.undecodable.iter().map(|(f, e)| format!("{f}: {e}")).collect();
            writeln!(
                f,
                "undecodable: {}",
                if bad.is_empty() { "none".into() } else { format!("{} ({})", bad.len(), list(&bad)) }
            )?;
            let small: Vec<String> = self.too_small.iter().map(|(f, (w, h))| format!("{f} {w}x{h}")).collect();
            writeln!(
                f,
                "too small for the crop: {}",
                if small.is_empty() { "none".into() } else { format!("{} ({})", small.len(), list(&small)) }
            )?;
        } else {
            writeln!(f, "undecodable: not checked (decoding skipped)")?;
        }
        let splits = |s: &[(Split, usize)]| s.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
        match &self.partition_splits {
            Some(s) => writeln!(f, "official partition: {}", splits(s))?,
            None => writeln!(f, "official partition: no partition file")?,
        }
        writeln!(f, "AttGAN row split:   {}", splits(&self.row_splits))?;
        writeln!(f, "attribute frequencies:")?;
        for (name, p) in &self.attribute_frequencies {
            writeln!(f, "  {name:<22} {:>6.2}%", 100.0 * p)?;
        }
        for c in &self.checksums {
            let verdict = match c.expected {
                Some(e) if e == c.actual => "matches the published md5".to_string(),
                Some(e) => format!(
                    "differs from the published {e} (a re-encoded copy, e.g. CRLF line endings, or another file)"
                ),
                None => "no published md5 known".to_string(),
            };
            writeln!(f, "md5 {}: {} ({verdict})", c.file, c.actual)?;
        }
        write!(f, "verdict: {}", if self.is_ok() { "OK" } else { "PROBLEMS FOUND" })
    }
}
