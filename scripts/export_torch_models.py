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
`<model>@<side>` exports a model as an app ships it: side x side, batch 1, torch.onnx.export's
own settings (BN folded by torch); bench/torchvision.bench.mjs uses `mobilenet_v3_small@224`...
(Debian's python3-torch and python3-torchvision install for the system Python.)
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torchvision.models as tvm

class LayoutNet(torch.nn.Module):
    """Data movement as torch exports it (Split, Slice, Transpose, channel shuffle, Squeeze/Unsqueeze), 3x16x16."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 12, 3, padding=1)
        self.fc = torch.nn.Linear(12 * 14 * 7, 10)

    def forward(self, x):
        x = self.conv(x)
        a, b = x.chunk(2, dim=1)  # Split, equal parts
        c, d = torch.split(x, [4, 8], dim=1)  # Split, given sizes
        x = torch.cat((b, a), 1) + torch.cat((d, c), 1)
        x = tvm.shufflenetv2.channel_shuffle(x, 3)  # Reshape -> Transpose -> Reshape
        x = x[:, :, 1:-1:2, 2:]  # Slice: negative end, step, open end
        x = x.permute(0, 2, 3, 1).permute(0, 3, 2, 1)  # Transposes
        x = x.unsqueeze(2).squeeze(2)
        x = x[:, :, :, -8:]
        return self.fc(torch.flatten(x, 1))


def tiny_cnn():
    """A small CNN (3x32x32 -> 10 classes) for quick tests of the CLI."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10),
    )


class TinyLN(torch.nn.Module):
    """ConvNeXt's pieces, 3x32x32 -> 10 (webconv's LayerNorm fusion): a stem conv and a LayerNorm2d
    over channels-first, a block (7x7 depthwise, permute to NHWC, LayerNorm(C), Linear(C->4C),
    GELU, Linear(4C->C), layer scale, permute back, residual), and a mean over [2, 3].
    torch 1.13 exports each LayerNorm at opset 13 as ReduceMean, Sub, Pow, ReduceMean, Add,
    Sqrt, Div, Mul, Add."""

    def __init__(self, c=16):
        super().__init__()
        nn = torch.nn
        self.stem = nn.Conv2d(3, c, 4, stride=4)
        self.norm0 = nn.LayerNorm(c, eps=1e-6)
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c, eps=1e-6)
        self.fc1 = nn.Linear(c, 4 * c)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(4 * c, c)
        self.gamma = nn.Parameter(torch.rand(c) + 0.5)
        self.head = nn.Linear(c, 10)
        with torch.no_grad():
            for ln in (self.norm0, self.norm):
                ln.weight.copy_(torch.rand(c) + 0.5)
                ln.bias.copy_(torch.randn(c) * 0.2)

    def forward(self, x):
        x = self.stem(x)
        # LayerNorm2d as torchvision's ConvNeXt writes it: over channels-first.
        x = self.norm0(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.fc2(self.act(self.fc1(self.norm(y))))
        x = x + (self.gamma * y).permute(0, 3, 1, 2)
        return self.head(x.mean([2, 3]))


class TinyAct(torch.nn.Module):
    """The activations of MobileNetV3, EfficientNet and ConvNeXt as torch 1.13 exports them at
    opset 13, 3x32x32 -> 10 (webconv's pointwise recognisers and epilogue fusion): conv + BN +
    Hardswish (Mul(x, HardSigmoid(x))), MobileNetV3's SE block (pool, conv 1x1, ReLU, conv 1x1,
    Hardsigmoid, x * s), conv + BN + SiLU (Mul(x, Sigmoid(x))), a depthwise conv + GELU (the
    Erf chain), Sub / Div / Sqrt / Pow of computed tensors, and Linear + Hardswish."""

    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.Hardswish())
        self.se1 = nn.Conv2d(16, 8, 1)
        self.se2 = nn.Conv2d(8, 16, 1)
        self.se_act = nn.Hardsigmoid()
        self.conv = nn.Sequential(nn.Conv2d(16, 24, 3, padding=1), nn.BatchNorm2d(24), nn.SiLU())
        self.dw = nn.Conv2d(24, 24, 3, padding=1, groups=24)
        self.gelu = nn.GELU()
        self.fc = nn.Linear(24, 32)
        self.fc_act = nn.Hardswish()
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        F = torch.nn.functional
        x = self.stem(x)
        x = x * self.se_act(self.se2(torch.relu(self.se1(F.adaptive_avg_pool2d(x, 1)))))
        x = self.gelu(self.dw(self.conv(x)))
        y = x / torch.sqrt(x * x + 1.0)
        x = x - 0.5 * y
        x = torch.pow(torch.sigmoid(x) + 0.5, torch.tanh(y))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.head(self.fc_act(self.fc(x)))


MODELS = {
    "shufflenetv2": lambda: tvm.shufflenet_v2_x1_0(),
    "layoutnet": LayoutNet,
    "resnet18": lambda: tvm.resnet18(),
    "vgg11": lambda: tvm.vgg11(),
    "googlenet": lambda: tvm.googlenet(aux_logits=False, transform_input=False, init_weights=True),
    "tinycnn": tiny_cnn,
    "tinyln": TinyLN,
    "tinyln17": TinyLN,
    "tinyact": TinyAct,
    # For bench/torchvision.bench.mjs (as `<model>@224`): issue 14's models beside issue 13's.
    "resnet50": lambda: tvm.resnet50(),
    "mobilenet_v2": lambda: tvm.mobilenet_v2(),
    "vgg16": lambda: tvm.vgg16(),
}
DEFAULT = ["resnet18", "vgg11", "googlenet"]
SIDE = {"tinyact": 32, "tinyln": 32, "tinyln17": 32, "tinycnn": 32, "shufflenetv2": 64, "layoutnet": 16}
SEED = 20240601
# Opset 13 unless named here (tinyln17: LayerNormalization is an ONNX op from opset 17).
OPSET = {"tinyln17": 17}
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


def randomize_layer_scale(model, gen):
    """ConvNeXt's LayerNorms start as the identity and its layer scales at 1e-6, which would
    leave every block a no-op: give them values that make each block count."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm) or type(m).__name__ == "LayerNorm2d":
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
            if hasattr(m, "layer_scale"):
                m.layer_scale.copy_(torch.rand(m.layer_scale.shape, generator=gen) * 0.2 + 0.1)


# torchvision's lightweight classifiers (issue 13): name -> (builder, side, batch, defaults).
# Other widths, resolutions and batch sizes of each family; `defaults` exports with
# torch.onnx.export's own settings (TrainingMode.EVAL: torch folds BN into the convs), the
# others keep their BatchNormalization nodes for webconv's folding.
LIGHTWEIGHT = {
    "mobilenet_v3_small": (lambda: tvm.mobilenet_v3_small(), 64, 2, False),
    "mobilenet_v3_large": (lambda: tvm.mobilenet_v3_large(), 96, 1, True),
    "mnasnet0_5": (lambda: tvm.mnasnet0_5(), 64, 2, False),
    "mnasnet1_0": (lambda: tvm.mnasnet1_0(), 64, 1, True),
    "shufflenet_v2_x0_5": (lambda: tvm.shufflenet_v2_x0_5(), 64, 1, True),
    "efficientnet_b0": (lambda: tvm.efficientnet_b0(), 64, 1, False),
    "efficientnet_b1": (lambda: tvm.efficientnet_b1(), 64, 2, True),
    "convnext_tiny": (lambda: tvm.convnext_tiny(), 64, 1, False),
}
# The end-to-end test's ResNet-18 and GoogLeNet (global pooling: any input size) at 112x112,
# a quarter of the work at 224 on every backend; "resnet18" stays at 224 for the cost table.
LIGHTWEIGHT["resnet18_112"] = (lambda: tvm.resnet18(), 112, 2, False)
LIGHTWEIGHT["googlenet_112"] = (lambda: tvm.googlenet(aux_logits=False, transform_input=False, init_weights=True), 112, 2, False)
for _name, (_build, _side, _batch, _) in LIGHTWEIGHT.items():
    MODELS[_name] = _build
    SIDE[_name] = _side
    BATCH[_name] = _batch
DEFAULTS = {name for name, spec in LIGHTWEIGHT.items() if spec[3]}


def shipped(name):
    """`<model>@<side>`: (model, side) for a shipped-style export, else None."""
    base, at, side = name.partition("@")
    return (base, int(side)) if at and base in MODELS and side.isdigit() and 16 <= int(side) <= 1024 else None


def export(name, out_dir):
    # One seed per model, so exporting a subset gives the same files.
    torch.manual_seed(SEED + sum(map(ord, name)))
    gen = torch.Generator().manual_seed(SEED)
    ship = shipped(name)
    model = MODELS[ship[0] if ship else name]()
    randomize_batchnorm(model, gen)
    randomize_layer_scale(model, gen)
    model.eval()
    side = ship[1] if ship else SIDE.get(name, 224)
    x = torch.randn(1 if ship else BATCH.get(name, 2), 3, side, side, generator=gen)
    with torch.no_grad():
        y = model(x)

    def save_onnx(path):
        # PRESERVE keeps BatchNormalization nodes (the model is in eval mode, so they are
        # inference BNs); EVAL would fold them into the convs before webconv sees them,
        # and webconv's own folding pass is what this export exists to test.
        torch.onnx.export(
            model, x, path, opset_version=OPSET.get(name, 13), do_constant_folding=True,
            training=torch.onnx.TrainingMode.EVAL if name in DEFAULTS or ship else torch.onnx.TrainingMode.PRESERVE,
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
    unknown = [n for n in names if n not in MODELS and not shipped(n)]
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
