"""Trains LeNet-5 on Fashion-MNIST with PyTorch and ships it as ONNX with its metadata.

Reads Debian's dataset-fashion-mnist (gzipped IDX files; `dpkg -L dataset-fashion-mnist`),
trains the lecture's LeNet-5 (two 5x5 conv + 2x2 max-pool stages, three fully connected
layers; ReLU) on the 60,000 training images padded 28x28 -> 32x32, and writes into OUT_DIR:
  lenet5-fashion-mnist.onnx         opset 13, dynamic batch axis, input 'input' [N, 1, 32, 32]
  lenet5-fashion-mnist.json         metadata: labels, input size, channel order, mean/std
                                    (applied to pixels scaled to [0, 1]), padding, and the
                                    test accuracy PyTorch measured on the 10,000 test images
  lenet5-fashion-mnist.predictions  PyTorch's predicted class of every test image (uint8,
                                    in file order), for the tests to compare backends with
Deterministic on one machine (fixed seeds, one thread); each file written under a temporary
name and renamed.

With --classes 0,1,2,3,4 it trains on those classes only (the others left out of training
and test) and names the files lenet5-fashion-mnist-classes-0-1-2-3-4.*: the backbone of the
transfer-learning example, which learns the other five classes on top of its features.

usage: /usr/bin/python3 scripts/train_fashion_mnist.py OUT_DIR [--epochs N] [--classes 0,1,2,3,4]
"""
import gzip
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SEED = 20261125
PAD = 2  # 28x28 -> 32x32, as LeNet-5 was drawn


def dataset_dir():
    for d in [os.environ.get("FASHION_MNIST_DIR"), "/usr/share/datasets/fashion-mnist"]:
        if d and os.path.exists(os.path.join(d, "t10k-images-idx3-ubyte.gz")):
            return d
    out = subprocess.run(["dpkg", "-L", "dataset-fashion-mnist"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.endswith("t10k-images-idx3-ubyte.gz"):
            return os.path.dirname(line)
    sys.exit("Fashion-MNIST not found: apt-get install dataset-fashion-mnist (or set FASHION_MNIST_DIR)")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class LeNet5(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.classes = classes
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, self.classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def prepare(images, mean, std):
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    x = (x - mean) / std
    return nn.functional.pad(x, (PAD, PAD, PAD, PAD), value=(0.0 - mean) / std).unsqueeze(1)


def write_atomic(path, write):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        write(f)
    os.replace(tmp, path)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out_dir = args[0]
    epochs = int(args[args.index("--epochs") + 1]) if "--epochs" in args else 12
    classes = [int(c) for c in args[args.index("--classes") + 1].split(",")] if "--classes" in args else list(range(10))
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    d = dataset_dir()
    train_x = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz"))
    train_y = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz"))
    test_x = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))
    test_y = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz"))
    mean = float(train_x.mean() / 255.0)
    std = float(train_x.std() / 255.0)
    # Only the chosen classes, relabelled 0..k-1 in the order given.
    keep_train, keep_test = np.isin(train_y, classes), np.isin(test_y, classes)
    remap = np.zeros(10, dtype=np.uint8)
    remap[classes] = np.arange(len(classes))
    train_x, train_y = train_x[keep_train], remap[train_y[keep_train]]
    test_x, test_y = test_x[keep_test], remap[test_y[keep_test]]
    xs, ys = prepare(train_x, mean, std), torch.from_numpy(train_y.astype(np.int64))
    tx, ty = prepare(test_x, mean, std), torch.from_numpy(test_y.astype(np.int64))

    model = LeNet5(len(classes))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(xs), generator=gen)
        total = 0.0
        for i in range(0, len(xs), 128):
            idx = order[i:i + 128]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xs[idx]), ys[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        model.eval()
        with torch.no_grad():
            acc = (model(tx).argmax(1) == ty).float().mean().item()
        print(f"epoch {epoch + 1}/{epochs}: train loss {total / len(xs):.4f}, test accuracy {acc:.4f}", flush=True)

    model.eval()
    with torch.no_grad():
        pred = model(tx).argmax(1).numpy().astype(np.uint8)
    accuracy = float((pred == test_y).mean())
    os.makedirs(out_dir, exist_ok=True)
    name = "lenet5-fashion-mnist" if len(classes) == 10 else f"lenet5-fashion-mnist-classes-{'-'.join(map(str, classes))}"
    base = os.path.join(out_dir, name)
    tmp = base + ".onnx.tmp"
    torch.onnx.export(model, torch.zeros(1, 1, 32, 32), tmp, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    os.replace(tmp, base + ".onnx")
    write_atomic(base + ".predictions", lambda f: f.write(pred.tobytes()))
    meta = {
        "name": name,
        "description": "LeNet-5 (ReLU, max-pool) trained on Fashion-MNIST by scripts/train_fashion_mnist.py"
                       + ("" if len(classes) == 10 else f", on classes {classes} only"),
        "input": {"name": "input", "channels": 1, "height": 32, "width": 32, "channelOrder": "gray",
                  "scale": 1 / 255, "mean": [mean], "std": [std],
                  "pad": PAD, "padValue": 0, "note": "28x28 images are padded by 2 pixels of 0 (before scaling) to 32x32"},
        "labels": [LABELS[c] for c in classes],
        "datasetClasses": classes,
        "training": {"epochs": epochs, "optimizer": "SGD momentum 0.9, lr 0.05 cosine, weight decay 5e-4, batch 128", "seed": SEED,
                     "torch": torch.__version__},
        "testAccuracy": accuracy,
        "testImages": int(len(test_y)),
    }
    write_atomic(base + ".json", lambda f: f.write((json.dumps(meta, indent=2) + "\n").encode()))
    print(f"test accuracy {accuracy:.4f} ({int((pred == test_y).sum())} of {len(test_y)}); wrote {base}.onnx, .json, .predictions")


if __name__ == "__main__":
    main()
