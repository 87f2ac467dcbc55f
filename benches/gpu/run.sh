#!/usr/bin/env bash
# Runs on a GPU machine (CUDA driver, python3 with PyTorch; no Rust, no network), from the
# repository's root, with gpu-bin/ made by benches/gpu/build.sh beside it. In under 8 minutes:
#   1. the card (nvidia-smi);
#   2. our critic, critic-without-GP, generator and full-iteration steps on CUDA and on wgpu,
#      beside AttGAN-PyTorch's on the same card, batches 1, 8 and 32, as one table
#      (benches/reference/compare.rs; each backend has $BUDGET_S seconds, default 110;
#      DEVICES=cuda times one backend only);
#   3. the README's main command (`train_celeba`, the synthetic world) on the GPU (CUDA, else
#      wgpu; TRAIN_DEVICE=wgpu to choose), time-boxed;
#   4. with several GPUs, data-parallel scaling: images/s on one GPU and on all (scaling.txt).
# Everything it prints is also written to $OUT (or gpu-out/): card.txt, compare.txt,
# compare.log (per-step lines), train.log, train-metrics.csv, and the last sample grid.
# On a fresh machine CUDA compiles every kernel with NVRTC on first use: on an H200 (2026-12-04)
# the first critic step was still compiling after 95 s. So this script writes a cubecl.toml
# (removed at exit) that keeps CubeCL's compiled kernels (PTX) and autotune results in
# $CUBECL_CACHE (default /tmp/cubecl-cache, seeded from gpu-bin/cubecl-cache.tar.xz when carried,
# and packed into $OUT/cubecl-cache.tar.xz at the end: put it in gpu-bin/ and the next call
# starts warm), and tunes at AUTOTUNE=minimal (fewer candidate kernels to compile; `balanced` is
# CubeCL's default). Even so, on a fresh H200 (2026-12-04, later) CUDA compiled for 390 s (90 MB of
# kernels and autotune results) without finishing the first critic step at batch 1.
set -u
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
mkdir -p "$out"
deadline=${DEADLINE_S:-470}
bin=/tmp/attgan-gpu-bin
mkdir -p "$bin"
for b in compare_reference train_celeba; do
    xz -dc "gpu-bin/$b.xz" >"$bin/$b" && chmod +x "$bin/$b"
done

# wgpu needs the Vulkan loader; the NVIDIA driver brings the ICD.
if ! ldconfig -p | grep -q 'libvulkan.so.1' && ls gpu-bin/gl/*.deb >/dev/null 2>&1; then
    for f in gpu-bin/gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$icd" ] && export VK_DRIVER_FILES="$icd" && break
done
# CUDA's run-time compiler (NVRTC), which cubecl loads: the toolkit's, else PyTorch's wheel's.
# Never the toolkit's stubs/ folder: its libcuda.so is a stub that fails every call, and it
# would shadow the driver's.
nvrtc_dirs=$(find /usr/local /opt -name 'libnvrtc.so*' -not -path '*/stubs/*' -printf '%h\n' 2>/dev/null |
    sort -u | paste -sd:)
export LD_LIBRARY_PATH="${nvrtc_dirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

cache="${CUBECL_CACHE:-/tmp/cubecl-cache}"
mkdir -p "$cache"
[ -f gpu-bin/cubecl-cache.tar.xz ] && tar -C "$cache" -xJf gpu-bin/cubecl-cache.tar.xz
[ -e cubecl.toml ] || {
    printf '[compilation]\ncache = { file = "%s" }\n[autotune]\nlevel = "%s"\ncache = { file = "%s" }\n' \
        "$cache" "${AUTOTUNE:-minimal}" "$cache" >cubecl.toml
    trap 'rm -f cubecl.toml' EXIT
}
echo "CubeCL cache: $cache ($(du -sh "$cache" | cut -f1) at start); autotune ${AUTOTUNE:-minimal}"

{
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
    python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
    echo "nvrtc: ${nvrtc_dirs:-not found}; vulkan ICD: ${VK_DRIVER_FILES:-not found}"
} 2>&1 | tee "$out/card.txt"

PYTHONUNBUFFERED=1 timeout $((deadline - SECONDS - 130)) "$bin/compare_reference" \
    --device "${DEVICES:-cuda,wgpu}" --torch-device cuda --batch-sizes 1,8,32 --warmup 2 --reps 5 \
    --budget-s "${BUDGET_S:-110}" --python python3 \
    2> >(tee "$out/compare.log" >&2) | tee "$out/compare.txt"
echo "compare_reference: exit ${PIPESTATUS[0]} after ${SECONDS} s"

left=$((deadline - SECONDS))
if ((left > 40)); then
    timeout "$left" "$bin/train_celeba" --device "${TRAIN_DEVICE:-auto}" --out /tmp/attgan-gpu-train 2>&1 | tee "$out/train.log" |
        grep -v '^\s*$' | tail -25
    echo "train_celeba: exit ${PIPESTATUS[0]} after ${SECONDS} s in all"
    cp /tmp/attgan-gpu-train/metrics.csv "$out/train-metrics.csv" 2>/dev/null
    last=$(ls /tmp/attgan-gpu-train/samples/*.png 2>/dev/null | tail -1)
    [ -n "$last" ] && cp "$last" "$out/train-last-samples.png"
else
    echo "train_celeba: skipped, ${left} s left"
fi
# 4. On a machine with several GPUs: data-parallel scaling (issue 17), the synthetic run on one
#    GPU and on all of them at the same global batch (64, so that 2-8 GPUs split it), images per
#    second over steps 20-80 from each run's metrics.csv (the first steps compile kernels).
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
left=$((deadline - SECONDS))
if ((gpus > 1 && left > 60)); then
    kind=${TRAIN_DEVICE:-cuda}
    [ "$kind" = auto ] && kind=cuda
    all=$(seq -s, -f "$kind:%g" 0 $((gpus - 1)))
    for devices in "$kind:0" "$all"; do
        run=/tmp/attgan-gpu-scaling-${devices//[:,]/_}
        timeout $(((deadline - SECONDS) / 2)) "$bin/train_celeba" --devices "$devices" --batch-size 64 \
            --max-steps 80 --eval-images 0 --log 30 --out "$run" >"$out/scaling-${devices//[:,]/_}.log" 2>&1
        awk -F, -v d="$devices" 'NR > 1 && $1 == 20 { t0 = $5 } NR > 1 && $1 == 80 - 1 { t1 = $5 }
            END { if (t1 > t0) printf "scaling: %s: %.1f images/s (steps 20-79)\n", d, 59 * 64 / (t1 - t0);
                  else print "scaling: " d ": did not reach step 80" }' "$run/metrics.csv" 2>/dev/null |
            tee -a "$out/scaling.txt"
    done
else
    echo "scaling: skipped (${gpus} GPU(s), ${left} s left)"
fi
echo "CubeCL cache: $(du -sh "$cache" | cut -f1) at the end"
XZ_OPT=-T0 tar -C "$cache" -cJf "$out/cubecl-cache.tar.xz" . && ls -lh "$out/cubecl-cache.tar.xz"
echo "--- card"; head -2 "$out/card.txt"
echo "--- compare"; cat "$out/compare.txt"
