#!/usr/bin/env python3
"""The reference side of the resize filters (crates/attgan-core/src/image/resize.rs).

Writes crates/attgan-core/tests/fixtures/resize/: source.png (a 64x64 RGB image of seeded noise
over smooth gradients) and reference.json, the source resized by
  - TensorFlow 1's legacy resize_bicubic (align_corners=False, half_pixel_centers=False), which
    AttGAN-Tensorflow v1 calls through tf.image.resize_images(..., BICUBIC);
  - TensorFlow 1's legacy resize_bilinear, which AttGAN-Tensorflow v2 calls through
    tf.image.resize;
  - PIL's BILINEAR resize, which AttGAN-PyTorch calls through torchvision's Resize;
to 48x48 (4:3, near the paper's 170 -> 128), and its top-left 20x20 corner up to 36x30. TensorFlow's values are kept
as floats (before AttGAN's clip to [0, 255]); PIL's are 8-bit. The Rust test `resize` matches
them: TensorFlow's to 1e-3, PIL's to one level.

    python3 -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu pillow numpy
    /tmp/tf/bin/python crates/attgan-core/tests/suite/resize_reference.py

Made with TensorFlow 2.21.0 (tf.raw_ops keeps the legacy kernels) and Pillow 13.0.0.
"""
import json
import os

import numpy as np
import tensorflow as tf
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "resize")


def source():
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:64, 0:64].astype(np.float64)
    base = np.stack([x * 3.0, y * 3.0, 128 + 100 * np.sin(x / 7.0 + y / 11.0)], axis=-1)
    noise = rng.normal(0.0, 40.0, size=base.shape)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def main():
    os.makedirs(OUT, exist_ok=True)
    img = source()
    Image.fromarray(img).save(os.path.join(OUT, "source.png"))
    cases = []
    for (side, h, w) in [(64, 48, 48), (20, 30, 36)]:
        part = img[:side, :side]
        batch = tf.constant(part[None].astype(np.float32))
        for name, op in [("tf-bicubic", tf.raw_ops.ResizeBicubic), ("tf-bilinear", tf.raw_ops.ResizeBilinear)]:
            out = op(images=batch, size=[h, w], align_corners=False, half_pixel_centers=False)[0].numpy()
            cases.append({"filter": name, "source": side, "width": w, "height": h,
                          "values": [round(float(v), 4) for v in out.reshape(-1)]})
        pil = np.asarray(Image.fromarray(part).resize((w, h), Image.BILINEAR))
        cases.append({"filter": "bilinear", "source": side, "width": w, "height": h, "values": [int(v) for v in pil.reshape(-1)]})
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "pillow": Image.__version__, "cases": cases}, f, separators=(",", ":"))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
