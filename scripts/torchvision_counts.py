"""Parameter and multiply-accumulate counts of torchvision's models, counted by PyTorch.

The oracle for webconv's cost model: prints JSON {model: {params, macs, layerMacs}}, where
params is the number of trainable parameters, macs the multiply-accumulates of every Conv2d
and Linear measured with forward hooks on a real forward pass, and layerMacs those per layer.

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
    "mnasnet1_0": lambda: tvm.mnasnet1_0(),
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
    with torch.no_grad():
        model(torch.zeros(1, 3, side, side))
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"params": params, "macs": sum(layer_macs), "layerMacs": layer_macs}


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(json.dumps({name: count(name) for name in sys.argv[1:]}))
