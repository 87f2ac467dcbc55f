#!/usr/bin/env python3
"""PyTorch reference timings of AttGAN's training steps, for `compare.rs` beside this file.

What it times, per batch size (random data made once on the device; data loading is not timed):

  critic        one D/C step with the WGAN-GP penalty   (AttGAN-PyTorch `AttGAN.trainD`, mode wgan)
  critic_no_gp  the same step without the penalty term (no nested backward at all)
  generator     one G step: one encoding, two decodings (`AttGAN.trainG`, mode wgan)
  iteration     5 critic steps + 1 generator step       (train.py with n_d = 5)

Every timed repetition reads its losses back with .item() (as AttGAN-PyTorch does, and as our
Rust step reads its metrics) and ends with a device synchronisation.

The networks and the steps mirror AttGAN-PyTorch (https://github.com/elvisyjlin/AttGAN-PyTorch):
`nn.py` (LinearBlock, Conv2dBlock, ConvTranspose2dBlock, add_normalization_*, add_activation),
`attgan.py` (Generator, Discriminators, AttGAN.trainD with its inner `gradient_penalty`,
AttGAN.trainG, the two Adam optimizers) and `train.py` (target attributes: att_a permuted within
the batch, att_a_ / att_b_ = (att * 2 - 1) * thres_int with thres_int 0.5, b_distribution
'none'; loss weights lambda_1 100, lambda_2 10, lambda_3 1, lambda_gp 10; lr 2e-4, betas
(0.5, 0.999)).
Configuration: 128x128, 13 attributes, shortcut_layers 1, inject_layers 1 (the AttGAN paper's
128x128 model), enc/dec dim 64 x 5 layers with batch norm, D dim 64 x 5 layers with affine
instance norm, fc_dim 1024. The code is self-contained (nothing from that repository is
imported); the parameter counts are checked against ours so that it is provably the same model.

Run:
  python3 benches/reference/attgan_pytorch.py [--device cpu|cuda] [--batch-sizes 1,8,32]
      [--steps critic,critic_no_gp,generator,iteration] [--warmup 2] [--reps 5] [--threads N]
      [--json FILE]

One human line per (batch, step) goes to stderr; one JSON object goes to stdout at the end
(and to --json FILE, written atomically):
  {"framework": "pytorch <version>", "device": "cpu (N threads)" | "cuda: <GPU name>",
   "results": [{"batch": 1, "step": "critic", "median_s": .., "mean_s": .., "min_s": ..,
                "max_s": .., "reps": 5, "images_per_s": .., "peak_memory_bytes": <int|null>},
               {"batch": 64, "step": "critic", "error": "out of memory"}, ...]}
Exit codes: 0 done, 1 the model is not the expected one, 2 bad arguments / device missing,
3 PyTorch is not installed (the runner relies on this one).
"""

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.stderr.write("PyTorch is not installed: pip install torch\n")
    sys.exit(3)


STEPS = ("critic", "critic_no_gp", "generator", "iteration")
N_D = 5  # train.py --n_d: critic steps per generator step

IMG_SIZE = 128
N_ATTRS = 13
THRES_INT = 0.5  # train.py --thres_int
LAMBDA_1 = 100.0  # reconstruction (train.py --lambda_1)
LAMBDA_2 = 10.0  # G's attribute classification (--lambda_2)
LAMBDA_3 = 1.0  # D's attribute classification (--lambda_3)
LAMBDA_GP = 10.0  # gradient penalty (--lambda_gp)
LR = 2e-4
BETAS = (0.5, 0.999)

# Trainable parameter counts of our Burn model with the same configuration.
EXPECTED_PARAMS = {
    "Genc": 11_148_160,
    "Gdec": 32_311_043,
    "G": 43_459_203,
    "D": 44_718_990,
}

MAX_DIM = 64 * 16  # 1024, as attgan.py


# --- nn.py ---------------------------------------------------------------------------------


def add_normalization_2d(layers, fn, n_out):
    if fn == "none":
        pass
    elif fn == "batchnorm":
        layers.append(nn.BatchNorm2d(n_out))
    elif fn == "instancenorm":
        layers.append(nn.InstanceNorm2d(n_out, affine=True))
    else:
        raise ValueError("unsupported normalization: " + str(fn))
    return layers


def add_activation(layers, fn):
    # nn.LeakyReLU() keeps PyTorch's default negative slope 0.01, as nn.py does; the paper's
    # TensorFlow code (and our Rust default) use 0.2. The slope does not change the cost.
    if fn == "none":
        pass
    elif fn == "relu":
        layers.append(nn.ReLU())
    elif fn == "lrelu":
        layers.append(nn.LeakyReLU())
    elif fn == "tanh":
        layers.append(nn.Tanh())
    else:
        raise ValueError("unsupported activation: " + str(fn))
    return layers


class LinearBlock(nn.Module):
    # Only fc_norm 'none' is used here (nn.py's 1-d norms are not needed): bias on.
    def __init__(self, n_in, n_out, norm_fn="none", acti_fn="none"):
        super().__init__()
        if norm_fn != "none":
            raise ValueError("this reference only builds LinearBlocks without normalization")
        layers = [nn.Linear(n_in, n_out, bias=True)]
        layers = add_activation(layers, acti_fn)
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class Conv2dBlock(nn.Module):
    # Conv 4x4 s2 p1, bias only without a norm after it.
    def __init__(self, n_in, n_out, kernel_size, stride=1, padding=0, norm_fn="none", acti_fn="none"):
        super().__init__()
        layers = [nn.Conv2d(n_in, n_out, kernel_size, stride=stride, padding=padding, bias=(norm_fn == "none"))]
        layers = add_normalization_2d(layers, norm_fn, n_out)
        layers = add_activation(layers, acti_fn)
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class ConvTranspose2dBlock(nn.Module):
    def __init__(self, n_in, n_out, kernel_size, stride=1, padding=0, norm_fn="none", acti_fn="none"):
        super().__init__()
        layers = [
            nn.ConvTranspose2d(n_in, n_out, kernel_size, stride=stride, padding=padding, bias=(norm_fn == "none"))
        ]
        layers = add_normalization_2d(layers, norm_fn, n_out)
        layers = add_activation(layers, acti_fn)
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


# --- attgan.py -----------------------------------------------------------------------------


class Generator(nn.Module):
    def __init__(self, enc_dim=64, enc_layers=5, enc_norm_fn="batchnorm", enc_acti_fn="lrelu",
                 dec_dim=64, dec_layers=5, dec_norm_fn="batchnorm", dec_acti_fn="relu",
                 n_attrs=13, shortcut_layers=1, inject_layers=1, img_size=128):
        super().__init__()
        self.shortcut_layers = min(shortcut_layers, dec_layers - 1)
        self.inject_layers = min(inject_layers, dec_layers - 1)
        self.f_size = img_size // 2**enc_layers  # 4 for 128x128

        layers = []
        n_in = 3
        for i in range(enc_layers):
            n_out = min(enc_dim * 2**i, MAX_DIM)
            layers += [Conv2dBlock(n_in, n_out, (4, 4), stride=2, padding=1, norm_fn=enc_norm_fn, acti_fn=enc_acti_fn)]
            n_in = n_out
        self.enc_layers = nn.ModuleList(layers)

        layers = []
        n_in = n_in + n_attrs  # 1024 + 13
        for i in range(dec_layers):
            if i < dec_layers - 1:
                n_out = min(dec_dim * 2 ** (dec_layers - i - 1), MAX_DIM)
                layers += [ConvTranspose2dBlock(
                    n_in, n_out, (4, 4), stride=2, padding=1, norm_fn=dec_norm_fn, acti_fn=dec_acti_fn
                )]
                n_in = n_out
                n_in = n_in + n_in // 2 if self.shortcut_layers > i else n_in  # + encoder feature
                n_in = n_in + n_attrs if self.inject_layers > i else n_in  # + tiled attributes
            else:
                # Last: 3 channels, bias, tanh, no norm.
                layers += [ConvTranspose2dBlock(n_in, 3, (4, 4), stride=2, padding=1, norm_fn="none", acti_fn="tanh")]
        self.dec_layers = nn.ModuleList(layers)

    def encode(self, x):
        z = x
        zs = []
        for layer in self.enc_layers:
            z = layer(z)
            zs.append(z)
        return zs

    def decode(self, zs, a):
        a_tile = a.view(a.size(0), -1, 1, 1).repeat(1, 1, self.f_size, self.f_size)
        z = torch.cat([zs[-1], a_tile], dim=1)
        for i, layer in enumerate(self.dec_layers):
            z = layer(z)
            if self.shortcut_layers > i:  # concat 1024 with 512
                z = torch.cat([z, zs[len(self.dec_layers) - 2 - i]], dim=1)
            if self.inject_layers > i:
                size = self.f_size * 2 ** (i + 1)
                a_tile = a.view(a.size(0), -1, 1, 1).repeat(1, 1, size, size)
                z = torch.cat([z, a_tile], dim=1)
        return z

    def forward(self, x, a):
        return self.decode(self.encode(x), a)


class Discriminators(nn.Module):
    # No norm in the FC layers (as the official source; the paper says otherwise). fc_acti is
    # lrelu, the Discriminators class default; note that train.py's --dis_fc_acti default is
    # 'relu'. Either costs the same; lrelu is what our Rust model uses.
    def __init__(self, dim=64, norm_fn="instancenorm", acti_fn="lrelu",
                 fc_dim=1024, fc_norm_fn="none", fc_acti_fn="lrelu", n_layers=5, img_size=128, n_attrs=13):
        super().__init__()
        self.f_size = img_size // 2**n_layers

        layers = []
        n_in = 3
        for i in range(n_layers):
            n_out = min(dim * 2**i, MAX_DIM)
            layers += [Conv2dBlock(n_in, n_out, (4, 4), stride=2, padding=1, norm_fn=norm_fn, acti_fn=acti_fn)]
            n_in = n_out
        self.conv = nn.Sequential(*layers)
        # attgan.py hard-codes 1024 * f_size**2 and 13 outputs; n_in is 1024 for dim 64 x 5
        # layers (the only configuration timed), generalised so that a tiny D can be built.
        flat = n_in * self.f_size * self.f_size
        self.fc_adv = nn.Sequential(
            LinearBlock(flat, fc_dim, fc_norm_fn, fc_acti_fn),
            LinearBlock(fc_dim, 1, "none", "none"),
        )
        self.fc_cls = nn.Sequential(
            LinearBlock(flat, fc_dim, fc_norm_fn, fc_acti_fn),
            LinearBlock(fc_dim, n_attrs, "none", "none"),
        )

    def forward(self, x):
        h = self.conv(x)
        h = h.view(h.size(0), -1)
        return self.fc_adv(h), self.fc_cls(h)


def gradient_penalty(f, real, fake):
    """WGAN-GP as attgan.py's `gradient_penalty` (the WGAN branch, fake given): mean over the
    batch of (||d f_adv(x) / d x||_2 - 1)^2 at x = real + alpha (fake - real), alpha ~ U(0, 1)
    per sample, with the graph kept (create_graph) so that the penalty is differentiated."""
    # attgan.py draws alpha on the CPU and copies it with .cuda(); drawing it on the device
    # gives the same distribution without a host-to-device copy inside the timed step.
    alpha = torch.rand(real.size(0), 1, 1, 1, device=real.device, dtype=real.dtype)
    x = (real + alpha * (fake - real)).requires_grad_(True)
    pred = f(x)
    if isinstance(pred, tuple):
        pred = pred[0]
    grad = torch.autograd.grad(
        outputs=pred, inputs=x, grad_outputs=torch.ones_like(pred),
        create_graph=True, retain_graph=True, only_inputs=True,
    )[0]
    grad = grad.view(grad.size(0), -1)
    norm = grad.norm(2, dim=1)
    return ((norm - 1.0) ** 2).mean()


# --- the steps (attgan.py AttGAN.trainD / trainG, train.py's loop) ----------------------------


def count_params(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def check_param_counts(G, D):
    got = {
        "Genc": count_params(G.enc_layers),
        "Gdec": count_params(G.dec_layers),
        "G": count_params(G),
        "D": count_params(D),
    }
    wrong = {k: (got[k], v) for k, v in EXPECTED_PARAMS.items() if got[k] != v}
    if wrong:
        detail = ", ".join(f"{k}: {g:,} (expected {e:,})" for k, (g, e) in wrong.items())
        sys.stderr.write(f"error: the PyTorch model is not the expected AttGAN: {detail}\n")
        sys.exit(1)
    return got


class Bench:
    """G, D, their Adams (as AttGAN.__init__) and one random batch on `device`."""

    def __init__(self, batch, device):
        self.device = device
        self.G = Generator(n_attrs=N_ATTRS, shortcut_layers=1, inject_layers=1, img_size=IMG_SIZE).to(device)
        self.D = Discriminators(img_size=IMG_SIZE, n_attrs=N_ATTRS).to(device)
        check_param_counts(self.G, self.D)
        self.G.train()  # attgan.py keeps both in train mode (BatchNorm batch statistics)
        self.D.train()
        self.optim_G = torch.optim.Adam(self.G.parameters(), lr=LR, betas=BETAS)
        self.optim_D = torch.optim.Adam(self.D.parameters(), lr=LR, betas=BETAS)
        self.img_a = torch.rand(batch, 3, IMG_SIZE, IMG_SIZE, device=device) * 2 - 1
        self.att_a = torch.randint(0, 2, (batch, N_ATTRS), device=device).float()

    def targets(self):
        # train.py: att_b = att_a[randperm]; att_*_ = (att_* * 2 - 1) * thres_int. train.py
        # draws the permutation on the CPU and indexes the device tensor with it; drawing it
        # on the device is the same permutation law without a copy.
        att_a = self.att_a
        att_b = att_a[torch.randperm(att_a.size(0), device=att_a.device)].contiguous()
        return att_a, (att_a * 2 - 1) * THRES_INT, att_b, (att_b * 2 - 1) * THRES_INT

    def critic(self, penalty=True):
        img_a = self.img_a
        att_a, att_a_, att_b, att_b_ = self.targets()
        for p in self.D.parameters():
            p.requires_grad = True

        # attgan.py: img_fake = self.G(img_a, att_b_).detach(), G in train mode. It does not
        # wrap this in torch.no_grad(), so autograd records G's forward and the graph is
        # dropped right away; our Rust step likewise runs G on the autodiff backend and
        # detaches. We mirror that (not no_grad) so that both do the same work.
        img_fake = self.G(img_a, att_b_).detach()
        d_real, dc_real = self.D(img_a)
        d_fake, dc_fake = self.D(img_fake)

        wd = d_real.mean() - d_fake.mean()
        df_loss = -wd
        if penalty:
            df_gp = gradient_penalty(self.D, img_a, img_fake)
        dc_loss = F.binary_cross_entropy_with_logits(dc_real, att_a)
        d_loss = df_loss + LAMBDA_3 * dc_loss
        if penalty:
            d_loss = d_loss + LAMBDA_GP * df_gp

        self.optim_D.zero_grad()
        d_loss.backward()
        self.optim_D.step()

        # attgan.py reads its four losses with .item() (so does our Rust step: d_gan, gp,
        # xa_attr, d_total).
        return {
            "d_loss": d_loss.item(), "df_loss": df_loss.item(),
            "df_gp": df_gp.item() if penalty else 0.0, "dc_loss": dc_loss.item(),
        }

    def generator(self):
        img_a = self.img_a
        att_a, att_a_, att_b, att_b_ = self.targets()
        # attgan.py freezes D's parameters for G's step (no grads accumulate in D; D stays in
        # train mode) and steps only optim_G.
        for p in self.D.parameters():
            p.requires_grad = False

        zs_a = self.G.encode(img_a)  # one encoding for both decodings, as trainG
        img_fake = self.G.decode(zs_a, att_b_)
        img_recon = self.G.decode(zs_a, att_a_)
        d_fake, dc_fake = self.D(img_fake)

        gf_loss = -d_fake.mean()
        gc_loss = F.binary_cross_entropy_with_logits(dc_fake, att_b)
        gr_loss = F.l1_loss(img_recon, img_a)
        g_loss = gf_loss + LAMBDA_2 * gc_loss + LAMBDA_1 * gr_loss

        self.optim_G.zero_grad()
        g_loss.backward()
        self.optim_G.step()

        return {
            "g_loss": g_loss.item(), "gf_loss": gf_loss.item(),
            "gc_loss": gc_loss.item(), "gr_loss": gr_loss.item(),
        }

    def run(self, step):
        if step == "critic":
            out = self.critic(penalty=True)
        elif step == "critic_no_gp":
            out = self.critic(penalty=False)
        elif step == "generator":
            out = self.generator()
        elif step == "iteration":
            for _ in range(N_D):
                self.critic(penalty=True)
            out = self.generator()
        else:
            raise ValueError(step)
        synchronize(self.device)
        return out


# --- timing and output --------------------------------------------------------------------


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def is_oom(e):
    if isinstance(e, getattr(torch.cuda, "OutOfMemoryError", ())):
        return True
    msg = str(e).lower()
    return "out of memory" in msg or "can't allocate memory" in msg or "not enough memory" in msg


def free(device):
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def fmt_time(s, unit):
    return f"{s:.3f}" if unit == "s" else f"{s * 1e3:.1f}"


def parse_list(text, convert, what):
    try:
        items = [convert(x.strip()) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad {what} list: {text!r}")
    if not items:
        raise argparse.ArgumentTypeError(f"empty {what} list")
    return items


def batch_sizes(text):
    sizes = parse_list(text, int, "batch size")
    if any(b < 1 for b in sizes):
        raise argparse.ArgumentTypeError("batch sizes must be at least 1")
    return sizes


def steps(text):
    names = parse_list(text, str, "step")
    unknown = [s for s in names if s not in STEPS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown step(s) {', '.join(unknown)}; expected {', '.join(STEPS)}")
    return names


def non_negative(text):
    v = int(text)
    if v < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return v


def positive(text):
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return v


def write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".attgan_pytorch.", suffix=".json.tmp", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def reset_peak_resident():
    """Starts a new peak of the process's resident set (Linux: 5 > /proc/self/clear_refs), as
    the Rust side does for its CPU figure."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_resident():
    """The process's peak resident set in bytes since the last reset (Linux VmHWM), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def main():
    parser = argparse.ArgumentParser(description="Time AttGAN's training steps in PyTorch (AttGAN-PyTorch layout).")
    parser.add_argument("--device", choices=["cpu", "cuda"], default=None,
                        help="default: cuda if available, else cpu")
    parser.add_argument("--batch-sizes", type=batch_sizes, default=[1], help="comma-separated (default 1)")
    parser.add_argument("--steps", type=steps, default=list(STEPS), help="comma-separated: " + ",".join(STEPS))
    parser.add_argument("--warmup", type=non_negative, default=2, help="untimed runs per step (default 2)")
    parser.add_argument("--reps", type=positive, default=5, help="timed runs per step (default 5)")
    parser.add_argument("--threads", type=positive, default=None, help="CPU threads (default: torch's)")
    parser.add_argument("--json", default=None, help="also write the JSON here (atomically)")
    args = parser.parse_args()

    device_name = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device_name == "cuda" and not torch.cuda.is_available():
        sys.stderr.write("error: --device cuda, but this PyTorch sees no CUDA device\n")
        sys.exit(2)
    device = torch.device(device_name)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if device.type == "cuda":
        # cudnn.benchmark and the TF32 switches stay at PyTorch's defaults, as AttGAN-PyTorch
        # leaves them.
        description = f"cuda: {torch.cuda.get_device_name(device)}"
    else:
        description = f"cpu ({torch.get_num_threads()} threads)"
    framework = f"pytorch {torch.__version__}"

    results = []
    for batch in args.batch_sizes:
        torch.manual_seed(0)
        bench = None
        try:
            bench = Bench(batch, device)
        except (RuntimeError, MemoryError) as e:
            if not (isinstance(e, MemoryError) or is_oom(e)):
                raise
        if bench is None:
            free(device)
            for step in args.steps:
                sys.stderr.write(f"{framework} {device.type} batch {batch} {step}: out of memory\n")
                results.append({"batch": batch, "step": step, "error": "out of memory"})
            continue

        for step in args.steps:
            oom = False
            try:
                for _ in range(args.warmup):
                    bench.run(step)
                synchronize(device)
                if device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats(device)
                else:
                    reset_peak_resident()
                samples = []
                for _ in range(args.reps):
                    t0 = time.perf_counter()
                    bench.run(step)  # reads the losses with .item() and synchronises
                    samples.append(time.perf_counter() - t0)
                peak = int(torch.cuda.max_memory_allocated(device)) if device.type == "cuda" else peak_resident()
            except (RuntimeError, MemoryError) as e:
                if not (isinstance(e, MemoryError) or is_oom(e)):
                    raise
                oom = True
            if oom:
                # Out of the except block, so that the traceback's frames (and their
                # tensors) are gone before the cache is emptied.
                bench.optim_G.zero_grad(set_to_none=True)
                bench.optim_D.zero_grad(set_to_none=True)
                free(device)
                sys.stderr.write(f"{framework} {device.type} batch {batch} {step}: out of memory\n")
                results.append({"batch": batch, "step": step, "error": "out of memory"})
                continue

            median = statistics.median(samples)
            images = (N_D + 1) * batch if step == "iteration" else batch
            results.append({
                "batch": batch,
                "step": step,
                "median_s": median,
                "mean_s": statistics.fmean(samples),
                "min_s": min(samples),
                "max_s": max(samples),
                "reps": len(samples),
                "images_per_s": images / median,
                "peak_memory_bytes": peak,
            })
            unit = "s" if median >= 1.0 else "ms"
            line = (f"{framework} {device.type} batch {batch} {step}: median {fmt_time(median, unit)} {unit} "
                    f"(min {fmt_time(min(samples), unit)}, max {fmt_time(max(samples), unit)}, {len(samples)} reps)")
            if peak is not None:
                line += f", peak {peak / 2**20:.0f} MiB"
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

        del bench
        free(device)

    text = json.dumps({"framework": framework, "device": description, "results": results})
    if args.json:
        write_atomically(args.json, text + "\n")
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
