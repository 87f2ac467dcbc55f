//! The synthetic world written in CelebA's layout and read back through the real pipeline.

use attgan_train::data::*;
use attgan_train::synthetic::{ATTRIBUTES, N_ATTRIBUTES, SyntheticOptions, read_attributes, write_synthetic_celeba};
use burn::data::dataset::Dataset;

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("attgan-synth-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn synthetic_celeba_is_reproducible_and_in_celebas_format() {
    let (a, b) = (temp("a"), temp("b"));
    let options = SyntheticOptions { n_images: 40, seed: 3, ..Default::default() };
    write_synthetic_celeba(&a, options).unwrap();
    write_synthetic_celeba(&b, options).unwrap();
    for file in [
        "list_attr_celeba.txt",
        "list_eval_partition.txt",
        "img_align_celeba/000001.jpg",
        "img_align_celeba/000040.jpg",
    ] {
        assert_eq!(std::fs::read(a.join(file)).unwrap(), std::fs::read(b.join(file)).unwrap(), "{file} differs");
    }
    let attrs = std::fs::read_to_string(a.join("list_attr_celeba.txt")).unwrap();
    let mut lines = attrs.lines();
    assert_eq!(lines.next(), Some("40"));
    assert!(lines.next().unwrap().starts_with("5_o_Clock_Shadow Arched_Eyebrows Attractive"));
    let first = lines.next().unwrap();
    assert!(first.starts_with("000001.jpg ") && first.split_whitespace().count() == 41, "{first}");
    let img = image::open(a.join("img_align_celeba/000001.jpg")).unwrap();
    assert_eq!((img.width(), img.height()), (178, 218));

    // Undrawn columns in AttGAN's conflict rules stay -1.
    let grey = CelebaDataset::open(
        &a,
        CelebaOptions::new(Variant::Celeba).with_attributes(["Gray_Hair", "Receding_Hairline"]),
    )
    .unwrap();
    assert!((0..grey.len()).all(|i| grey.attributes_of(i) == [0.0, 0.0]));

    let report = verify(&a, Variant::Celeba, VerifyOptions::default()).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.partition_splits.unwrap(), [(Split::Train, 32), (Split::Val, 4), (Split::Test, 4)]);

    // Reused when asked again with the same options; regenerated with another seed.
    let stamp = std::fs::metadata(a.join("list_attr_celeba.txt")).unwrap().modified().unwrap();
    write_synthetic_celeba(&a, options).unwrap();
    assert_eq!(std::fs::metadata(a.join("list_attr_celeba.txt")).unwrap().modified().unwrap(), stamp);
    write_synthetic_celeba(&a, SyntheticOptions { seed: 4, ..options }).unwrap();
    assert_ne!(
        std::fs::read(a.join("list_attr_celeba.txt")).unwrap(),
        std::fs::read(b.join("list_attr_celeba.txt")).unwrap()
    );
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn oracle_reads_the_pipelines_own_images() {
    // JPEG-compressed, cropped at AttGAN's box and resized bicubically to 64: what training sees.
    let dir = temp("oracle");
    write_synthetic_celeba(&dir, SyntheticOptions { n_images: 300, seed: 11, ..Default::default() }).unwrap();
    let ds = CelebaDataset::open(
        &dir,
        CelebaOptions::new(Variant::Celeba)
            .with_image_size(64)
            .with_scheme(SplitScheme::Rows { train_end: 300, val_end: 300 }),
    )
    .unwrap();
    let mut correct = [0usize; N_ATTRIBUTES];
    for i in 0..ds.len() {
        let item = ds.get(i).unwrap();
        let read = read_attributes(&item.image);
        for k in 0..N_ATTRIBUTES {
            correct[k] += usize::from(read[k] == (item.attributes[k] == 1.0));
        }
    }
    for (k, name) in ATTRIBUTES.iter().enumerate() {
        let acc = correct[k] as f64 / ds.len() as f64;
        println!("{name:<20} {:.1}%", 100.0 * acc);
        assert!(acc >= 0.98, "{name}: {acc}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
