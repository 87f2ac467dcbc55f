//! Embeds SeetaFace's frontal face detector, which the `rustface` package ships in its `model/`
//! folder (BSD-2, 1.2 MB), so that face alignment needs no file at run time. Cargo does not
//! expose a dependency's files to a build script, so the package is found through
//! `cargo metadata` (which reads the resolved lock file, offline).

use std::path::PathBuf;
use std::process::Command;

const MODEL: &str = "seeta_fd_frontal_v1.0.bin";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let cargo = std::env::var("CARGO").expect("cargo sets CARGO for build scripts");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .current_dir(&manifest_dir)
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let package = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "rustface"))
        .expect("rustface is a dependency");
    let manifest = PathBuf::from(package["manifest_path"].as_str().expect("a manifest path"));
    let model = manifest.parent().expect("the package folder").join("model").join(MODEL);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join(MODEL);
    std::fs::copy(&model, &out).unwrap_or_else(|e| panic!("copying {}: {e}", model.display()));
    println!("cargo:rerun-if-changed={}", model.display());
}
