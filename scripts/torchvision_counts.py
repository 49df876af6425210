"""Parameter and multiply-accumulate counts of torchvision's models, counted by PyTorch.

The oracle for webconv's cost model: prints JSON {model: {params, macs, layerMacs}}, where
params is the number of trainable parameters, macs the multiply-accumulates of every Conv2d
and Linear measured with forward hooks on a forward pass (on PyTorch's meta device: every
module runs its own shape logic, no arithmetic), and layerMacs those per layer.

usage: python3 scripts/torchvision_counts.py resnet50 vgg16 ...
"""
import json
import sys

import torch
import torchvision.models as tvm

BUILDERS = {
    "resnet18": lambda: tvm.resnet18(),
    "resnet34": lambda: tvm.resnet34(),
    "resnet50": lambda: tvm.resnet50(),
    "resnet101": lambda: tvm.resnet101(),
    "resnet152": lambda: tvm.resnet152(),
    "vgg11": lambda: tvm.vgg11(),
    "vgg13": lambda: tvm.vgg13(),
    "vgg16": lambda: tvm.vgg16(),
    "vgg19": lambda: tvm.vgg19(),
    "mobilenet_v2": lambda: tvm.mobilenet_v2(),
    "mobilenet_v3_large": lambda: tvm.mobilenet_v3_large(),
    "mobilenet_v3_small": lambda: tvm.mobilenet_v3_small(),
    "mnasnet1_0": lambda: tvm.mnasnet1_0(),
    "shufflenet_v2_x1_0": lambda: tvm.shufflenet_v2_x1_0(),
    "convnext_tiny": lambda: tvm.convnext_tiny(),
    "efficientnet_b0": lambda: tvm.efficientnet_b0(),
    "inception_v3": lambda: tvm.inception_v3(aux_logits=False, init_weights=False),
}
SIDE = {"inception_v3": 299}


def count(name):
    model = BUILDERS[name]().eval()
    layer_macs = []

    def hook(module, inputs, output):
        if isinstance(module, torch.nn.Conv2d):
            k = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            layer_macs.append(output.numel() * k)
        else:
            layer_macs.append(output.numel() * module.in_features)

    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            m.register_forward_hook(hook)
    side = SIDE.get(name, 224)
    # On the meta device: shapes are propagated and the hooks see every output's size, with
    # no arithmetic (ConvNeXt-T's 4.5 GMACs would take seconds per model on the CPU).
    model = model.to("meta")
    with torch.no_grad():
        model(torch.zeros(1, 3, side, side, device="meta"))
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"params": params, "macs": sum(layer_macs), "layerMacs": layer_macs}


def skip_weight_init():
    """Counting needs shapes, not values: the in-place initialisers (torch.nn.init.*_) become
    no-ops, so building VGG-16's 138M parameters costs an allocation and nothing more."""
    for name in dir(torch.nn.init):
        if name.endswith("_") and not name.startswith("_"):
            setattr(torch.nn.init, name, lambda tensor, *args, **kwargs: tensor)


if __name__ == "__main__":
    torch.set_num_threads(1)
    skip_weight_init()
    print(json.dumps({name: count(name) for name in sys.argv[1:]}))
