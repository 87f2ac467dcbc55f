//! What the studio's tests share: a tiny real model and a photo with a face.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use attgan::backend::{Kind, Preference};
use attgan::pytorch::ImportOptions;
use attgan::studio::{Studio, StudioOptions};
use attgan::tasks::convert::{ImportJob, import};

/// A file of the repository, by its path from the root.
pub fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// scikit-image's public-domain astronaut portrait, 256x256 (provenance beside it).
pub fn astronaut() -> PathBuf {
    repo_file("crates/attgan-core/tests/fixtures/faces/astronaut-256.png")
}

/// A scratch folder for this test binary.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attgan-suite-{}", std::process::id())).join(name);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// An export of the tiny AttGAN-PyTorch fixture (16x16, the 13 attributes, G and C), imported
/// once per test binary through the same job as the `import` example: a real model to serve,
/// with no tensor code compiled into this binary.
pub fn tiny_export() -> PathBuf {
    static EXPORT: OnceLock<PathBuf> = OnceLock::new();
    EXPORT
        .get_or_init(|| {
            let out = scratch("tiny-export");
            let fixtures = repo_file("crates/attgan-core/tests/fixtures/pytorch");
            let job = ImportJob {
                pytorch: fixtures.join("tiny.pth"),
                options: ImportOptions { setting: Some(fixtures.join("tiny_setting.txt")), ..Default::default() },
                out: out.clone(),
                force: true,
                reference: None,
            };
            import(Preference::Only(Kind::Cpu), job).expect("the fixture imports");
            out
        })
        .clone()
}

/// A studio serving the tiny model, with `adjust` applied to its options.
pub fn tiny_studio(adjust: impl FnOnce(&mut StudioOptions)) -> Studio {
    let mut options = StudioOptions::new(tiny_export());
    adjust(&mut options);
    Studio::start(Preference::Only(Kind::Cpu), options).expect("the studio starts")
}
