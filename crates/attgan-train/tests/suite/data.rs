//! The CelebA data pipeline on small directories written in CelebA's exact layout.

use std::path::{Path, PathBuf};

use attgan_core::attributes::{CELEBA_ATTRIBUTES, DEFAULT_ATTRIBUTES};
use attgan_train::data::*;
use burn::backend::Flex;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use image::{Rgb, RgbImage};

/// CelebA's real first row.
const GOLDEN_ROW: &str = "000001.jpg -1  1  1 -1 -1 -1 -1 -1 -1 -1 -1  1 -1 -1 -1 -1 -1 -1  1  1 -1  1 -1 -1  1 -1 -1  1 -1 -1 -1  1  1 -1  1 -1  1 -1 -1  1";

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("attgan-data-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A CelebA-layout directory with `rows` (file, 40 values) and 178x218 images whose colour
/// encodes their row, plus a partition file.
fn write_celeba(dir: &Path, rows: &[(String, Vec<i8>)], partition: &[u8], newline: &str) {
    let images = dir.join("img_align_celeba");
    std::fs::create_dir_all(&images).unwrap();
    let mut attrs = format!("{}{newline}{} {newline}", rows.len(), CELEBA_ATTRIBUTES.join(" "));
    let mut part = String::new();
    for (i, (file, values)) in rows.iter().enumerate() {
        let v: Vec<String> = values.iter().map(|v| format!("{v:>2}")).collect();
        attrs += &format!("{file} {}{newline}", v.join(" "));
        part += &format!("{file} {}{newline}", partition[i]);
        let img = RgbImage::from_fn(178, 218, |x, y| Rgb([(i * 20) as u8, (x % 256) as u8, (y % 256) as u8]));
        img.save(images.join(file)).unwrap();
    }
    std::fs::write(dir.join("list_attr_celeba.txt"), attrs).unwrap();
    std::fs::write(dir.join("list_eval_partition.txt"), part).unwrap();
}

fn golden_values() -> Vec<i8> {
    GOLDEN_ROW.split_whitespace().skip(1).map(|v| v.parse().unwrap()).collect()
}

fn rows(n: usize) -> Vec<(String, Vec<i8>)> {
    (0..n).map(|i| (format!("{:06}.jpg", i + 1), golden_values())).collect()
}

#[test]
fn golden_row_gives_the_documented_13_attributes() {
    let dir = TempDir::new("golden");
    write_celeba(&dir.0, &rows(1), &[0], "\n");
    let ds = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba)).unwrap();
    assert_eq!(ds.files(), ["000001.jpg"]);
    assert_eq!(ds.attributes_of(0), [0., 0., 0., 0., 1., 0., 0., 0., 1., 0., 1., 0., 1.]);
    let item = ds.get(0).unwrap();
    assert_eq!(item.image.dimensions(), (128, 128));
    assert_eq!(item.attributes.len(), DEFAULT_ATTRIBUTES.len());
}

#[test]
fn crlf_files_parse_the_same() {
    let dir = TempDir::new("crlf");
    write_celeba(&dir.0, &rows(3), &[0, 1, 2], "\r\n");
    let ds = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba).with_split(Split::Val)).unwrap();
    assert_eq!(ds.files(), ["000002.jpg"]);
    assert_eq!(ds.attributes_of(0)[12], 1.0);
}

#[test]
fn any_attribute_subset_by_name() {
    let dir = TempDir::new("subset");
    write_celeba(&dir.0, &rows(1), &[0], "\n");
    let ds = CelebaDataset::open(
        &dir.0,
        CelebaOptions::new(Variant::Celeba).with_attributes(["Young", "Smiling", "Male", "Attractive"]),
    )
    .unwrap();
    assert_eq!(ds.attributes_of(0), [1., 1., 0., 1.]);
    let err = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba).with_attributes(["Blonde"])).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("list_attr_celeba.txt:2") && msg.contains("`Blonde`"), "{msg}");
}

#[test]
fn splits_by_partition_file_and_by_rows() {
    let dir = TempDir::new("splits");
    let partition = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2];
    write_celeba(&dir.0, &rows(10), &partition, "\n");
    let sizes = |opts: CelebaOptions| {
        Split::ALL.map(|s| CelebaDataset::open(&dir.0, opts.clone().with_split(s)).map(|d| d.len()).unwrap_or(0))
    };
    assert_eq!(sizes(CelebaOptions::new(Variant::Celeba)), [6, 2, 2]);
    let rows_scheme = CelebaOptions::new(Variant::Celeba).with_scheme(SplitScheme::Rows { train_end: 5, val_end: 9 });
    assert_eq!(sizes(rows_scheme.clone()), [5, 4, 1]);
    let test = CelebaDataset::open(&dir.0, rows_scheme.with_split(Split::Test)).unwrap();
    assert_eq!(test.files(), ["000010.jpg"]);
    // AttGAN's CelebA rows leave a 10-image directory without val and test: a clear error.
    let err = CelebaDataset::open(
        &dir.0,
        CelebaOptions::new(Variant::Celeba).with_scheme(SplitScheme::ATTGAN_CELEBA).with_split(Split::Val),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("val split") && err.contains("empty"), "{err}");
    // It counts the file's rows, not the (empty) split's, and names the way out.
    assert!(err.contains("(10 rows in "), "{err}");
    assert!(err.contains("list_eval_partition.txt instead") && err.contains("--split-by official"), "{err}");
}

fn malformed(name: &str, attr_text: &str, needle: &str) {
    let dir = TempDir::new(name);
    write_celeba(&dir.0, &rows(2), &[0, 0], "\n");
    std::fs::write(dir.0.join("list_attr_celeba.txt"), attr_text).unwrap();
    let err = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba)).unwrap_err().to_string();
    assert!(err.contains(needle), "`{err}` should contain `{needle}`");
}

#[test]
fn malformed_attribute_files_name_file_and_line() {
    let names = CELEBA_ATTRIBUTES.join(" ");
    let row = |f: &str| GOLDEN_ROW.replacen("000001.jpg", f, 1);
    malformed(
        "count",
        &format!("two\n{names}\n{}\n", row("000001.jpg")),
        "list_attr_celeba.txt:1: expected the number of images, found `two`",
    );
    malformed(
        "header",
        &format!("3\n{names}\n{}\n{}\n", row("000001.jpg"), row("000002.jpg")),
        "header announces 3 images but the file lists 2",
    );
    malformed(
        "columns",
        &format!("2\n{names}\n{}\n000002.jpg 1 -1\n", row("000001.jpg")),
        "list_attr_celeba.txt:4: `000002.jpg` has 2 values for 40 attributes",
    );
    let bad_value = row("000002.jpg").replacen(" 1", " 0", 1);
    malformed(
        "values",
        &format!("2\n{names}\n{}\n{bad_value}\n", row("000001.jpg")),
        "list_attr_celeba.txt:4: `000002.jpg`: Arched_Eyebrows is `0`, expected 1 or -1",
    );
    malformed(
        "nonames",
        &format!("2\n{}\n", row("000001.jpg")),
        "list_attr_celeba.txt:2: expected attribute names, found the number `-1`",
    );
    malformed("empty", "", "list_attr_celeba.txt:1: the file is empty");
}

#[test]
fn malformed_partition_files_name_file_and_line() {
    let dir = TempDir::new("partition");
    write_celeba(&dir.0, &rows(2), &[0, 0], "\n");
    std::fs::write(dir.0.join("list_eval_partition.txt"), "000001.jpg 0\n000002.jpg 3\n").unwrap();
    let err = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba)).unwrap_err().to_string();
    assert!(err.contains("list_eval_partition.txt:2: `000002.jpg` has partition `3`"), "{err}");
    std::fs::write(dir.0.join("list_eval_partition.txt"), "000002.jpg 0\n000001.jpg 0\n").unwrap();
    let err = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba)).unwrap_err().to_string();
    assert!(err.contains("list_eval_partition.txt:1: `000002.jpg` where the attribute file has `000001.jpg`"), "{err}");
    std::fs::remove_file(dir.0.join("list_eval_partition.txt")).unwrap();
    let err = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba)).unwrap_err().to_string();
    assert!(err.contains("partition file not found") && err.contains("SplitScheme::Rows"), "{err}");
}

#[test]
fn missing_paths_explain_the_layout() {
    let dir = TempDir::new("missing");
    let err = CelebaDataset::open(dir.0.join("nope"), CelebaOptions::new(Variant::Celeba)).unwrap_err().to_string();
    assert!(err.contains("dataset directory not found") && err.contains("img_align_celeba/000001.jpg"), "{err}");
    let err = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba)).unwrap_err().to_string();
    assert!(err.contains("image directory not found") && err.contains("img_align_celeba"), "{err}");
    std::fs::create_dir_all(dir.0.join("img_align_celeba")).unwrap();
    let err = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba)).unwrap_err().to_string();
    assert!(err.contains("attribute file not found") && err.contains("list_attr_celeba.txt"), "{err}");
    let err = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::CelebaHq)).unwrap_err().to_string();
    assert!(err.contains("CelebA-HQ-img") && err.contains("CelebAMask-HQ"), "{err}");
}

#[test]
fn bad_images_fail_by_default_and_are_counted_when_skipped() {
    let dir = TempDir::new("badimg");
    write_celeba(&dir.0, &rows(4), &[0, 0, 0, 0], "\n");
    std::fs::write(dir.0.join("img_align_celeba/000002.jpg"), b"not a jpeg").unwrap();
    std::fs::remove_file(dir.0.join("img_align_celeba/000003.jpg")).unwrap();
    let strict = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba)).unwrap();
    let err = strict.try_get(1).unwrap_err().to_string();
    assert!(err.contains("000002.jpg"), "{err}");
    let err = strict.try_get(2).unwrap_err().to_string();
    assert!(err.contains("000003.jpg"), "{err}");
    let panic = std::panic::catch_unwind(|| strict.get(1)).unwrap_err();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(msg.contains("000002.jpg") && msg.contains("BadImages::Skip"), "{msg}");

    let lenient =
        CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba).with_bad_images(BadImages::Skip)).unwrap();
    let files: Vec<String> = (0..4).map(|i| lenient.get(i).unwrap().file).collect();
    assert_eq!(files, ["000001.jpg", "000004.jpg", "000004.jpg", "000004.jpg"]);
    let skipped: Vec<String> = lenient.skipped().into_iter().map(|(f, _)| f).collect();
    assert_eq!(skipped, ["000002.jpg", "000003.jpg"]);
}

#[test]
fn crop_geometry_is_attgans_box() {
    // A 178x218 image whose pixel encodes its own coordinates: the crop at size 170 keeps
    // (left 3, top 26) as its corner.
    let img = RgbImage::from_fn(178, 218, |x, y| Rgb([x as u8, y as u8, 0]));
    let out = preprocess(&img, Crop::Celeba, 170, false).unwrap();
    assert_eq!(out.dimensions(), (170, 170));
    assert_eq!(out.get_pixel(0, 0).0[..2], [3, 26]);
    assert_eq!(out.get_pixel(169, 169).0[..2], [172, 195]);
    // The same box given in pixels takes the same pixels.
    assert_eq!(preprocess(&img, Crop::Square { top: 26, left: 3, size: 170 }, 170, false).unwrap(), out);
    let flipped = preprocess(&img, Crop::Celeba, 170, true).unwrap();
    assert_eq!(flipped.get_pixel(0, 0).0[..2], [172, 26]);
    let small = preprocess(&img, Crop::Celeba, 64, false).unwrap();
    assert_eq!(small.dimensions(), (64, 64));
    let err = preprocess(&RgbImage::new(100, 100), Crop::Celeba, 64, false).unwrap_err().to_string();
    assert!(err.contains("does not fit in this 100x100 image"), "{err}");
    let err = preprocess(&img, Crop::Square { top: 100, left: 0, size: 170 }, 64, false).unwrap_err().to_string();
    assert!(err.contains("the 170x170 crop at top 100, left 0 does not fit in this 178x218 image"), "{err}");
    assert_eq!(Crop::Centre.region(178, 218), Region { left: 0, top: 20, width: 178, height: 178 });
    let centre = preprocess(&img, Crop::Centre, 178, false).unwrap();
    assert_eq!(centre.get_pixel(0, 0).0[..2], [0, 20]);
    assert_eq!(centre.get_pixel(177, 177).0[..2], [177, 197]);
    // The whole image squeezed to a square: its rows run from the top row to the bottom one.
    let whole = preprocess(&img, Crop::Whole, 178, false).unwrap();
    let (top, bottom) = (whole.get_pixel(0, 0).0[1], whole.get_pixel(0, 177).0[1]);
    assert!(top < 5 && bottom > 210, "rows {top} to {bottom}");
    // Each variant's default: AttGAN's box for CelebA, the centred square for the square HQ images.
    assert_eq!(Variant::Celeba.default_crop(), Crop::Celeba);
    assert_eq!(Variant::CelebaHq.default_crop(), Crop::Centre);
    assert_eq!(CelebaOptions::new(Variant::Celeba).preprocess.crop, Crop::Celeba);
}

#[test]
fn the_references_crops_and_load_size_take_their_pixels() {
    let img = RgbImage::from_fn(178, 218, |x, y| Rgb([x as u8, y as u8, 0]));
    // AttGAN v1 at 64x64: 148x148 at top 40, left 15.
    let v1_64 = Preprocess::new(Crop::Celeba64).apply(&img, 148, false).unwrap();
    assert_eq!(v1_64.get_pixel(0, 0).0[..2], [15, 40]);
    assert_eq!(v1_64.get_pixel(147, 147).0[..2], [162, 187]);
    assert_eq!(Crop::attgan_v1(64), Crop::Celeba64);
    assert_eq!(Crop::attgan_v1(128), Crop::Celeba);
    // torchvision's CenterCrop(170): top 24, left 4; an odd margin rounds half to even.
    let centre = Preprocess::new(Crop::CentreOf(170)).apply(&img, 170, false).unwrap();
    assert_eq!(centre.get_pixel(0, 0).0[..2], [4, 24]);
    assert_eq!(Crop::CentreOf(4).region(7, 9), Region { left: 2, top: 2, width: 4, height: 4 });
    assert_eq!(Crop::CentreOf(4).region(9, 11), Region { left: 2, top: 4, width: 4, height: 4 });
    let err = Preprocess::new(Crop::CentreOf(300)).apply(&img, 64, false).unwrap_err().to_string();
    assert!(err.contains("300x300 crop") && err.contains("178x218"), "{err}");
    // TF v2: resize to the load size, then the centred square of the output size (offset
    // (143 - 128) / 2 = 7): the same pixels as resizing to 143 and cropping by hand.
    let square = Preprocess::new(Crop::Centre).with_resize(Resize::TfBilinear);
    let loaded = square.apply(&img, 143, false).unwrap();
    let cropped = square.with_load_size(Some(143)).apply(&img, 128, false).unwrap();
    assert_eq!(cropped, image::imageops::crop_imm(&loaded, 7, 7, 128, 128).to_image());
    let err = square.with_load_size(Some(100)).apply(&img, 128, false).unwrap_err().to_string();
    assert!(err.contains("load size 100 is smaller than the output size 128"), "{err}");
    // Names on the command line.
    for (text, crop) in [("celeba64", Crop::Celeba64), ("centre:170", Crop::CentreOf(170)), ("center", Crop::Centre)] {
        assert_eq!(text.parse::<Crop>().unwrap(), crop);
    }
    assert_eq!(Crop::CentreOf(170).to_string(), "centre:170");
    let err = "centre:0".parse::<Crop>().unwrap_err().to_string();
    assert!(err.contains("`centre:0`") && err.contains("centre:SIDE"), "{err}");
}

#[test]
fn a_data_config_opens_the_split_and_preprocessing_it_names() {
    let dir = TempDir::new("data-config");
    write_celeba(&dir.0, &rows(6), &[0, 0, 0, 1, 2, 2], "\n");
    let attributes: Vec<String> = DEFAULT_ATTRIBUTES.iter().map(|s| s.to_string()).collect();
    let official = DataConfig::new().with_split(SplitChoice::Official);
    let open = |c: &DataConfig, split| CelebaDataset::open(&dir.0, c.options(Variant::Celeba, split, &attributes, 32));
    assert_eq!(open(&official, Split::Test).unwrap().files(), ["000005.jpg", "000006.jpg"]);
    assert_eq!(open(&official, Split::Val).unwrap().len(), 1);
    // AttGAN's row split of six rows: all training; the validation split is empty, and says so.
    let rows_split = DataConfig::new();
    assert_eq!(open(&rows_split, Split::Train).unwrap().len(), 6);
    let err = open(&rows_split, Split::Val).unwrap_err().to_string();
    assert!(err.contains("the val split") && err.contains("is empty"), "{err}");
    // A random-crop run: training items at the load size, validation items at the model's.
    let tf2 = official
        .clone()
        .with_preprocess(Preprocess::new(Crop::Centre).with_resize(Resize::TfBilinear).with_load_size(Some(36)))
        .with_random_crop(true);
    assert_eq!(open(&tf2, Split::Train).unwrap().get(0).unwrap().image.dimensions(), (36, 36));
    assert_eq!(open(&tf2, Split::Val).unwrap().get(0).unwrap().image.dimensions(), (32, 32));
    // The paper's filter (the default) reaches the pixels: not Catmull-Rom's.
    let catmull_rom = official.clone().with_preprocess(Preprocess::new(Crop::Celeba));
    let (tf, cr) = (open(&official, Split::Test).unwrap(), open(&catmull_rom, Split::Test).unwrap());
    assert_eq!(official.preprocess.resize, Resize::TfBicubic);
    assert!(tf.get(0).unwrap().image != cr.get(0).unwrap().image, "the two filters give the same pixels");
}

#[test]
fn batches_have_the_right_shapes_and_ranges() {
    let dir = TempDir::new("batch");
    let mut r = rows(5);
    r[2].1[39] = -1; // third image not Young
    write_celeba(&dir.0, &r, &[0; 5], "\n");
    let ds = CelebaDataset::open(&dir.0, CelebaOptions::new(Variant::Celeba).with_image_size(32)).unwrap();
    let items: Vec<CelebaItem> = (0..3).map(|i| ds.get(i).unwrap()).collect();
    let batch: CelebaBatch<Flex> = CelebaBatcher.batch(items, &Default::default());
    assert_eq!(batch.images.dims(), [3, 3, 32, 32]);
    assert_eq!(batch.attributes.dims(), [3, 13]);
    let (lo, hi): (f32, f32) = (batch.images.clone().min().into_scalar(), batch.images.clone().max().into_scalar());
    assert!(lo >= -1.0 && hi <= 1.0 && hi > lo);
    let young: Vec<f32> = batch.attributes.slice([0..3, 12..13]).into_data().into_vec().unwrap();
    assert_eq!(young, [1.0, 1.0, 0.0]);
    assert_eq!(batch.files, ["000001.jpg", "000002.jpg", "000003.jpg"]);

    // Through the multi-threaded loader: every image once per epoch.
    let dl = loader::<Flex, _>(ds, 2, Some(7), 2, &Default::default());
    let mut seen: Vec<String> = dl.iter().flat_map(|b| b.files).collect();
    seen.sort();
    assert_eq!(seen, (1..=5).map(|i| format!("{i:06}.jpg")).collect::<Vec<_>>());
}

#[test]
fn verify_reports_counts_splits_frequencies_and_problems() {
    let dir = TempDir::new("verify");
    let mut r = rows(6);
    r[0].1[4] = 1; // one Bald
    write_celeba(&dir.0, &r, &[0, 0, 0, 0, 1, 2], "\n");
    std::fs::write(dir.0.join("img_align_celeba/000005.jpg"), b"garbage").unwrap();
    std::fs::remove_file(dir.0.join("img_align_celeba/000006.jpg")).unwrap();
    std::fs::write(dir.0.join("img_align_celeba/extra.jpg"), b"x").unwrap();
    let report = verify(&dir.0, Variant::Celeba, VerifyOptions::default()).unwrap();
    assert_eq!(report.annotated, 6);
    assert_eq!(report.images_on_disk, 6);
    assert_eq!(report.missing, ["000006.jpg"]);
    assert_eq!(report.undecodable.len(), 1);
    assert_eq!(report.undecodable[0].0, "000005.jpg");
    assert_eq!(report.unannotated, 1);
    assert_eq!(report.partition_splits.as_ref().unwrap(), &[(Split::Train, 4), (Split::Val, 1), (Split::Test, 1)]);
    assert_eq!(report.row_splits, [(Split::Train, 6), (Split::Val, 0), (Split::Test, 0)]);
    let bald = report.attribute_frequencies.iter().find(|(n, _)| n == "Bald").unwrap().1;
    assert!((bald - 1.0 / 6.0).abs() < 1e-9);
    assert_eq!(report.checksums.len(), 2);
    assert!(report.checksums.iter().all(|c| c.expected.is_some() && c.expected != Some(c.actual.as_str())));
    assert!(!report.is_ok());
    let text = report.to_string();
    assert!(text.contains("missing:     1 (000006.jpg)") && text.contains("PROBLEMS FOUND"), "{text}");
    assert!(text.contains("differs from the published 75e246fa4810816ffd6ee81facbd244c"), "{text}");
}
