"""Exports torchvision's ResNet-18, VGG-11 and GoogLeNet to ONNX with PyTorch's own outputs.

The oracle of webconv's end-to-end tests: for each model it writes, into OUT_DIR,
  <name>.onnx          opset 13, constant-folded, dynamic batch axis
  <name>.input.npy     a fixed float32 input, batch 2 (VGG-11: 1), 3x224x224
  <name>.output.npy    PyTorch's output (logits) for that input
Weights are random (nothing can be downloaded) under a fixed seed, and every BatchNorm gets
non-trivial running statistics, so BN folding and BN kernels are really exercised
(freshly built BNs are the identity: mean 0, var 1, weight 1, bias 0). Deterministic: the
same files on every run. Each file is written under a temporary name and renamed, and
manifest.json is written last, so a reader that finds the manifest finds complete files.

usage: /usr/bin/python3 scripts/export_torch_models.py OUT_DIR [model ...]
Models: resnet18 vgg11 googlenet (the default), and tinycnn (3x32x32, for quick CLI tests).
(Debian's python3-torch and python3-torchvision install for the system Python.)
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torchvision.models as tvm

def tiny_cnn():
    """A small CNN (3x32x32 -> 10 classes) for quick tests of the CLI."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10),
    )


MODELS = {
    "resnet18": lambda: tvm.resnet18(),
    "vgg11": lambda: tvm.vgg11(),
    "googlenet": lambda: tvm.googlenet(aux_logits=False, transform_input=False, init_weights=True),
    "tinycnn": tiny_cnn,
}
DEFAULT = ["resnet18", "vgg11", "googlenet"]
SIDE = {"tinycnn": 32}
SEED = 20240601
# Batch 2, which tests the dynamic batch axis; VGG-11 (7.6 GFLOP per image, every backend
# runs it in the end-to-end test, SwiftShader's WebGPU among them) at batch 1.
BATCH = {"vgg11": 1}


def randomize_batchnorm(model, gen):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.5)
                m.running_var.copy_(torch.rand(n, generator=gen) * 1.5 + 0.5)  # [0.5, 2)
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)  # [0.5, 1.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.2)


def write_atomic(path, write):
    tmp = path + ".tmp"
    write(tmp)
    os.replace(tmp, path)


def export(name, out_dir):
    # One seed per model, so exporting a subset gives the same files.
    torch.manual_seed(SEED + sum(map(ord, name)))
    gen = torch.Generator().manual_seed(SEED)
    model = MODELS[name]()
    randomize_batchnorm(model, gen)
    model.eval()
    side = SIDE.get(name, 224)
    x = torch.randn(BATCH.get(name, 2), 3, side, side, generator=gen)
    with torch.no_grad():
        y = model(x)

    def save_onnx(path):
        # PRESERVE keeps BatchNormalization nodes (the model is in eval mode, so they are
        # inference BNs); EVAL would fold them into the convs before webconv sees them,
        # and webconv's own folding pass is what this export exists to test.
        torch.onnx.export(
            model, x, path, opset_version=13, do_constant_folding=True,
            training=torch.onnx.TrainingMode.PRESERVE,
            input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        )

    write_atomic(os.path.join(out_dir, f"{name}.onnx"), save_onnx)
    for kind, t in (("input", x), ("output", y)):
        arr = np.ascontiguousarray(t.numpy().astype(np.float32))
        # np.save appends '.npy' to names without it: save to an explicit file object.
        write_atomic(os.path.join(out_dir, f"{name}.{kind}.npy"), lambda p, a=arr: np.save(open(p, "wb"), a))
    return {"input": list(x.shape), "output": list(y.shape), "maxAbsOutput": float(y.abs().max())}


def main(argv):
    if not argv:
        sys.exit(__doc__)
    out_dir, names = argv[0], argv[1:] or DEFAULT
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(MODELS)}")
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    # The script's own hash lets a cache of these files tell that they are stale.
    script = hashlib.sha256(open(__file__, "rb").read()).hexdigest()
    manifest = {"script": script, "torch": torch.__version__, "seed": SEED, "models": {}}
    for name in names:
        manifest["models"][name] = export(name, out_dir)
        print(f"exported {name}: {manifest['models'][name]}", file=sys.stderr)
    write_atomic(os.path.join(out_dir, "manifest.json"), lambda p: open(p, "w").write(json.dumps(manifest, indent=2)))


if __name__ == "__main__":
    main(sys.argv[1:])
