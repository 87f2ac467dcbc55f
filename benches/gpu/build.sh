#!/usr/bin/env bash
# Builds what benches/gpu/run.sh carries to a GPU machine that has CUDA, PyTorch and an NVIDIA
# driver but no Rust toolchain and no network. Run it here, in the repository's root:
#
#   bash benches/gpu/build.sh            # ~20 min on 2 cores the first time
#
# It leaves in gpu-bin/ (ignored by git, 19 MiB; the device tool carries at most 64 MiB):
#   compare_reference.xz  our steps on CUDA and wgpu beside PyTorch's (benches/reference/compare.rs)
#   train_celeba.xz       the README's main command, run on the GPU
#   gl/*.deb              the Vulkan/EGL loaders, for machines whose image lacks libvulkan.so.1
# Both binaries are built with `--features cuda,wgpu`, stripped (50 and 58 MiB) and compressed
# with xz (8.2 and 10.1 MiB); run.sh unpacks them. CUDA is loaded at run time
# (cudarc's dynamic loading), so no CUDA toolkit is needed here. Then, with the device tool:
#   run(command="bash benches/gpu/run.sh", carry=["gpu-bin"], timeout_s=540)
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --features cuda,wgpu --example compare_reference --example train_celeba
mkdir -p gpu-bin/gl
for bin in compare_reference train_celeba; do
    strip -o "gpu-bin/$bin" "$target/release/examples/$bin"
    xz -T0 -6 -f "gpu-bin/$bin"
done
if command -v apt-get >/dev/null; then
    # The loaders only (the driver's own Vulkan ICD comes with the NVIDIA driver there).
    (cd gpu-bin/gl && apt-get download libvulkan1 libegl1 libglvnd0 >/dev/null 2>&1) ||
        echo "note: could not download the Vulkan loader packages; wgpu needs libvulkan.so.1 there"
fi
du -sh gpu-bin/*
