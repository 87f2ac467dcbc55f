#!/usr/bin/env python3
"""The PyTorch side of the AttGAN-PyTorch import and export (crates/attgan-core/src/pytorch/).

It builds the reference networks with AttGAN-PyTorch's module and key layout (the `Generator` and
`Discriminators` of benches/reference/attgan_pytorch.py, written from AttGAN-PyTorch's public
attgan.py and nn.py), gives them random weights and non-trivial batch-norm statistics, saves the
checkpoint as AttGAN-PyTorch does, and the outputs of a fixed input in eval mode (as test.py runs).

  python3 crates/attgan-core/tests/suite/pytorch_reference.py fixture
      Writes the committed fixtures of crates/attgan-core/tests/fixtures/pytorch/ (a tiny model):
      tiny.pth (the whole `AttGAN.save()` dictionary: G, D, optim_G, optim_D; zip format),
      tiny_legacy.pth (`{'G': ...}` with DataParallel's `module.` prefix, torch's legacy
      pickle format), tiny_setting.txt and tiny_reference.json (input, attributes, G's output,
      D's classifier logits). The Rust test `pytorch_import` matches them to 1e-4.

  python3 crates/attgan-core/tests/suite/pytorch_reference.py full [--dir DIR] [--img-size 128|256|384]
      The model of `128_shortcut1_inject1_none` (or its 256/384 version, as the published
      `256_..`/`384_.._hq` models) with random weights: writes DIR/weights.pth,
      DIR/setting.txt and DIR/reference.json, runs the Rust import on them (`cargo run --release
      --example import -- ... --reference`), which prints the largest differences, then exports
      the imported model back (`--example export`) as .pth and loads that into a fresh PyTorch
      Generator (strict load_state_dict), printing the largest difference from the original
      outputs. With `pip install safetensors`, the exported .safetensors is loaded too.

  python3 crates/attgan-core/tests/suite/pytorch_reference.py roundtrip --pth FILE --reference FILE
      Loads a .pth written by this crate (its `G`) into a fresh Generator built from the
      reference's configuration and prints the largest difference from the reference outputs.

Needs torch (any version with torch.load's zip and legacy formats; made with torch 2.15.0 CPU):
    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch numpy
    /tmp/torch/bin/python crates/attgan-core/tests/suite/pytorch_reference.py fixture
Exit codes: 0 done, 1 a difference above 1e-4, 3 torch is not installed.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "crates", "attgan-core", "tests", "fixtures", "pytorch")
TOLERANCE = 1e-4

try:
    import torch
except ImportError:
    sys.stderr.write("PyTorch is not installed: pip install torch\n")
    sys.exit(3)

spec = importlib.util.spec_from_file_location("attgan_pytorch", os.path.join(ROOT, "benches", "reference", "attgan_pytorch.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)

ATTRS = ["Bald", "Bangs", "Black_Hair", "Blond_Hair", "Brown_Hair", "Bushy_Eyebrows", "Eyeglasses", "Male",
         "Mouth_Slightly_Open", "Mustache", "No_Beard", "Pale_Skin", "Young"]

# train.py's arguments (setting.txt) for the two models. `full` is 128_shortcut1_inject1_none.
TINY = dict(img_size=16, enc_dim=4, dec_dim=4, enc_layers=3, dec_layers=3, dis_dim=4, dis_layers=3, dis_fc_dim=8,
            shortcut_layers=1, inject_layers=1)
FULL = dict(img_size=128, enc_dim=64, dec_dim=64, enc_layers=5, dec_layers=5, dis_dim=64, dis_layers=5,
            dis_fc_dim=1024, shortcut_layers=1, inject_layers=1)


def setting_of(shape, name):
    """setting.txt as train.py writes it (json.dumps(vars(args), indent=4, separators=(',', ':')))."""
    s = dict(attrs=ATTRS, data="CelebA", data_path="data/img_align_celeba", attr_path="data/list_attr_celeba.txt",
             image_list_path="data/image_list.txt", enc_norm="batchnorm", dec_norm="batchnorm",
             dis_norm="instancenorm", dis_fc_norm="none", enc_acti="lrelu", dec_acti="relu", dis_acti="lrelu",
             dis_fc_acti="relu", lambda_1=100.0, lambda_2=10.0, lambda_3=1.0, lambda_gp=10.0, mode="wgan",
             epochs=200, batch_size=32, num_workers=0, lr=0.0002, beta1=0.5, beta2=0.999, n_d=5,
             b_distribution="none", thres_int=0.5, test_int=1.0, n_samples=16, save_interval=1000,
             sample_interval=1000, gpu=False, multi_gpu=False, experiment_name=name)
    s.update(shape)
    s["lr_base"] = s["lr"]
    s["n_attrs"] = len(s["attrs"])
    s["betas"] = [s["beta1"], s["beta2"]]
    return s


def build(setting):
    G = ref.Generator(setting["enc_dim"], setting["enc_layers"], setting["enc_norm"], setting["enc_acti"],
                      setting["dec_dim"], setting["dec_layers"], setting["dec_norm"], setting["dec_acti"],
                      setting["n_attrs"], setting["shortcut_layers"], setting["inject_layers"], setting["img_size"])
    D = ref.Discriminators(setting["dis_dim"], setting["dis_norm"], setting["dis_acti"], setting["dis_fc_dim"],
                           setting["dis_fc_norm"], setting["dis_fc_acti"], setting["dis_layers"], setting["img_size"],
                           setting["n_attrs"])
    return G, D


def randomize(*modules):
    """Random weights everywhere, and batch-norm statistics far from (0, 1), so that eval mode's
    use of them is tested, not assumed."""
    with torch.no_grad():
        for m in modules:
            for name, p in m.named_parameters():
                if name.endswith("bias"):
                    p.uniform_(-0.2, 0.2)
                elif p.dim() == 1:  # norm scales
                    p.uniform_(0.5, 1.5)
            for mod in m.modules():
                if isinstance(mod, torch.nn.BatchNorm2d):
                    mod.running_mean.normal_(0.0, 0.5)
                    mod.running_var.uniform_(0.5, 2.0)
                    mod.num_batches_tracked.fill_(1234)


def outputs(G, D, setting, n=2):
    g = torch.Generator().manual_seed(7)
    s = setting["img_size"]
    x = torch.rand(n, 3, s, s, generator=g) * 2 - 1
    att = torch.randint(0, 2, (n, setting["n_attrs"]), generator=g).float()
    att_ = (att * 2 - 1) * setting["thres_int"]
    G.eval()
    D.eval()
    with torch.no_grad():
        y = G(x, att_)
        _, logits = D(x)
    return dict(input=x.flatten().tolist(), input_shape=list(x.shape), attributes=att.flatten().tolist(),
                output=y.flatten().tolist(), logits=logits.flatten().tolist(), thres_int=setting["thres_int"])


def write_json(obj, path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def save_checkpoint(G, D, path, legacy=False, data_parallel=False, g_only=False):
    """As AttGAN.save (G, D and both Adams) or AttGAN.saveG (G only)."""
    g_state = G.state_dict()
    if data_parallel:
        from collections import OrderedDict
        g_state = OrderedDict(("module." + k, v) for k, v in g_state.items())
    if g_only:
        states = {"G": g_state}
    else:
        optim_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        optim_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        states = {"G": g_state, "D": D.state_dict(), "optim_G": optim_G.state_dict(), "optim_D": optim_D.state_dict()}
    torch.save(states, path, _use_new_zipfile_serialization=not legacy)


def make_model(shape, name, seed):
    torch.manual_seed(seed)
    setting = setting_of(shape, name)
    G, D = build(setting)
    randomize(G, D)
    return setting, G, D


def fixture():
    os.makedirs(FIXTURES, exist_ok=True)
    setting, G, D = make_model(TINY, "tiny", seed=12)
    save_checkpoint(G, D, os.path.join(FIXTURES, "tiny.pth"))
    save_checkpoint(G, D, os.path.join(FIXTURES, "tiny_legacy.pth"), legacy=True, data_parallel=True, g_only=True)
    with open(os.path.join(FIXTURES, "tiny_setting.txt"), "w") as f:
        f.write(json.dumps(setting, indent=4, separators=(",", ":")))
    write_json(outputs(G, D, setting), os.path.join(FIXTURES, "tiny_reference.json"))
    for name in sorted(os.listdir(FIXTURES)):
        print(f"{name}: {os.path.getsize(os.path.join(FIXTURES, name)):,} bytes")


def largest_difference(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


def roundtrip(pth, reference, setting):
    """Loads G from a .pth this crate wrote into a fresh reference Generator (strictly) and
    returns the largest difference from the reference output."""
    G, _ = build(setting)
    states = torch.load(pth, weights_only=True)
    G.load_state_dict(states["G"], strict=True)
    G.eval()
    x = torch.tensor(reference["input"]).view(reference["input_shape"])
    att = torch.tensor(reference["attributes"]).view(x.shape[0], -1)
    with torch.no_grad():
        y = G(x, (att * 2 - 1) * setting["thres_int"])
    return largest_difference(y.flatten().tolist(), reference["output"]), G


def cargo(*args):
    cmd = ["cargo", "run", "--release", "--quiet", "--example", *args]
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def full(directory, img_size):
    os.makedirs(directory, exist_ok=True)
    shape = dict(FULL, img_size=img_size)
    setting, G, D = make_model(shape, f"{img_size}_shortcut1_inject1_none", seed=img_size)
    weights = os.path.join(directory, "weights.pth")
    setting_path = os.path.join(directory, "setting.txt")
    reference_path = os.path.join(directory, "reference.json")
    save_checkpoint(G, D, weights)
    with open(setting_path, "w") as f:
        f.write(json.dumps(setting, indent=4, separators=(",", ":")))
    reference = outputs(G, D, setting)
    write_json(reference, reference_path)
    export = os.path.join(directory, "export")
    cargo("import", "--", "--pytorch", weights, "--setting", setting_path, "--out", export, "--reference",
          reference_path, "--force")
    pth = os.path.join(directory, "roundtrip.pth")
    st = os.path.join(directory, "roundtrip.safetensors")
    cargo("export", "--", "--checkpoint", export, "--pth", pth, "--setting", os.path.join(directory, "roundtrip_setting.txt"),
          "--safetensors", st)
    # As test.py would: the model built from the setting.txt we wrote, G loaded strictly.
    with open(os.path.join(directory, "roundtrip_setting.txt")) as f:
        ours = json.load(f)
    worst, _ = roundtrip(pth, reference, ours)
    print(f"PyTorch, G built from our setting.txt and loaded from our .pth: largest |difference| from the "
          f"original outputs {worst:.3g}")
    try:
        from safetensors.torch import load_file
    except ImportError:
        print("(safetensors is not installed: the .safetensors check is skipped)")
    else:
        G2, _ = build(setting)
        tensors = load_file(st)
        G2.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("G.")}, strict=True)
        # num_batches_tracked is not part of our model (written as 0; the original has 1234).
        original, loaded = G.state_dict(), G2.state_dict()
        same = all(torch.equal(original[k], loaded[k]) for k in original if not k.endswith("num_batches_tracked"))
        print(f"PyTorch, G loaded from our .safetensors: {'bit-identical weights' if same else 'DIFFERENT weights'}")
        worst = max(worst, 0.0 if same else float("inf"))
    return 0 if worst <= TOLERANCE else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fixture")
    p = sub.add_parser("full")
    p.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "attgan-pytorch-full"))
    p.add_argument("--img-size", type=int, default=128, choices=[128, 256, 384])
    p = sub.add_parser("roundtrip")
    p.add_argument("--pth", required=True)
    p.add_argument("--reference", required=True)
    p.add_argument("--setting", required=True)
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    print(f"torch {torch.__version__}")
    if args.command == "fixture":
        fixture()
        return 0
    if args.command == "full":
        return full(args.dir, args.img_size)
    with open(args.reference) as f:
        reference = json.load(f)
    with open(args.setting) as f:
        setting = json.load(f)
    worst, _ = roundtrip(args.pth, reference, setting)
    print(f"largest |difference| from the reference outputs: {worst:.3g}")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
