"""Reference values for crates/attgan-core/tests/quality.rs, from real scikit-image.

It printed the constants in quality.rs (the `CASES` table and the grey-pair values), using
Python 3.11.7, numpy 2.4.6, scipy 1.17.1 and scikit-image 0.26.0. Run it again with
    python3 -m venv /tmp/skenv && /tmp/skenv/bin/pip install scikit-image
    /tmp/skenv/bin/python crates/attgan-core/tests/quality_reference.py
The image generator mirrors `pair` in quality.rs exactly.
"""

import numpy as np
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def xorshift32(s):
    s ^= (s << 13) & 0xFFFFFFFF
    s ^= s >> 17
    s ^= (s << 5) & 0xFFFFFFFF
    return s


def pair(w, h, seed, amp, invert):
    """A smooth wrapped gradient plus small noise, and a copy with +-amp noise (clamped),
    or its inverse 255 - a. Pixels in row-major order, channels innermost."""
    a = np.zeros((h, w, 3), dtype=np.uint8)
    b = np.zeros((h, w, 3), dtype=np.uint8)
    s = seed
    for y in range(h):
        for x in range(w):
            for c in range(3):
                s = xorshift32(s)
                base = (3 * x + 2 * y + 60 * c) % 200 + s % 32
                s = xorshift32(s)
                noisy = min(max(base + s % (2 * amp + 1) - amp, 0), 255)
                a[y, x, c] = base
                b[y, x, c] = 255 - base if invert else noisy
    return a, b


CASES = [
    # (w, h, seed, amp, invert)
    (32, 24, 1, 12, False),
    (128, 128, 2, 30, False),
    (128, 128, 5, 3, False),
    (7, 7, 3, 40, False),
    (9, 13, 4, 80, False),
    (20, 16, 6, 0, True),
]

print(f"// numpy {np.__version__}, scikit-image {skimage.__version__}")
print("const CASES: &[(u32, u32, u32, u32, bool, f64, f64)] = &[")
print("    // (w, h, seed, amp, invert, psnr, ssim)")
for w, h, seed, amp, invert in CASES:
    a, b = pair(w, h, seed, amp, invert)
    p = peak_signal_noise_ratio(a, b)
    q = structural_similarity(a, b, channel_axis=-1)
    print(f"    ({w}, {h}, {seed}, {amp}, {str(invert).lower()}, {float(p)!r}, {float(q)!r}),")
print("];")

g1 = np.full((16, 16, 3), 128, dtype=np.uint8)
g2 = np.full((16, 16, 3), 130, dtype=np.uint8)
print(f"const GREY_PSNR: f64 = {float(peak_signal_noise_ratio(g1, g2))!r};")
print(f"const GREY_SSIM: f64 = {float(structural_similarity(g1, g2, channel_axis=-1))!r};")
