import { OptionError } from '../graph/errors.js';
import type { Graph } from '../graph/graph.js';
import { alexnet, alexnetPaper, zfnet } from './alexnet.js';
import { efficientnetB0 } from './efficientnet.js';
import { googlenet } from './googlenet.js';
import { convnextTiny } from './convnext.js';
import { inceptionV3 } from './inception-v3.js';
import { lenet5 } from './lenet.js';
import { mnasnet } from './mnasnet.js';
import { mobilenetV2 } from './mobilenet-v2.js';
import { mobilenetV3Large, mobilenetV3Small } from './mobilenet-v3.js';
import type { ModelOptions } from './model-options.js';
import { resnet } from './resnet.js';
import { shufflenetV2 } from './shufflenet-v2.js';
import { vgg } from './vgg.js';

export interface ZooEntry {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  /** Default input [C, H, W]. */
  readonly input: readonly [number, number, number];
  readonly build: (options?: ModelOptions) => Graph;
}

const entry = (
  name: string,
  description: string,
  input: readonly [number, number, number],
  build: (o?: ModelOptions) => Graph,
  aliases: readonly string[] = [],
): ZooEntry => ({ name, description, input, build, aliases });

/** Every model of the zoo, in the lecture's order. */
export const ZOO: readonly ZooEntry[] = [
  entry('lenet5', 'LeNet-5, tanh, average pooling (LeCun 1998)', [1, 32, 32], lenet5),
  entry('alexnet', "AlexNet, the lecture's single tower (Krizhevsky 2012)", [3, 227, 227], alexnet),
  entry('alexnet-paper', 'AlexNet as published: grouped convs over two GPUs', [3, 227, 227], alexnetPaper),
  entry('zfnet', 'ZFNet: 7x7/2 stem, stride-2 conv2 (Zeiler & Fergus 2013)', [3, 224, 224], zfnet),
  entry('vgg-a', 'VGG configuration A, 11 weight layers', [3, 224, 224], (o) => vgg('vgg-a', 'A', o), ['vgg11']),
  entry('vgg-a-lrn', 'VGG configuration A-LRN', [3, 224, 224], (o) => vgg('vgg-a-lrn', 'A-LRN', o)),
  entry('vgg-b', 'VGG configuration B, 13 weight layers', [3, 224, 224], (o) => vgg('vgg-b', 'B', o), ['vgg13']),
  entry('vgg-c', 'VGG configuration C, 16 weight layers with 1x1 convs', [3, 224, 224], (o) => vgg('vgg-c', 'C', o)),
  entry('vgg-d', 'VGG configuration D: VGG-16', [3, 224, 224], (o) => vgg('vgg-d', 'D', o), ['vgg16']),
  entry('vgg-e', 'VGG configuration E: VGG-19', [3, 224, 224], (o) => vgg('vgg-e', 'E', o), ['vgg19']),
  entry('googlenet', 'GoogLeNet / Inception v1 as in the paper (Szegedy 2015)', [3, 224, 224], googlenet),
  entry('inception-v3', 'Inception v3, factorised modules, torchvision layout without aux head', [3, 299, 299], inceptionV3),
  entry('resnet18', 'ResNet-18, basic blocks, torchvision layout', [3, 224, 224], (o) => resnet('resnet18', 18, 'B', o)),
  entry('resnet34', 'ResNet-34, basic blocks, torchvision layout', [3, 224, 224], (o) => resnet('resnet34', 34, 'B', o)),
  entry('resnet50', 'ResNet-50, bottleneck blocks, torchvision layout (= ResNet-50-B)', [3, 224, 224], (o) => resnet('resnet50', 50, 'B', o)),
  entry('resnet101', 'ResNet-101, torchvision layout', [3, 224, 224], (o) => resnet('resnet101', 101, 'B', o)),
  entry('resnet152', 'ResNet-152, torchvision layout', [3, 224, 224], (o) => resnet('resnet152', 152, 'B', o)),
  entry('resnet50-v1', 'ResNet-50 as in the paper: stride on the first 1x1', [3, 224, 224], (o) => resnet('resnet50-v1', 50, 'v1', o)),
  entry('resnet50-b', 'ResNet-50-B: stride on the 3x3 (Bag of Tricks)', [3, 224, 224], (o) => resnet('resnet50-b', 50, 'B', o)),
  entry('resnet50-c', 'ResNet-50-C: B with a three-3x3 stem', [3, 224, 224], (o) => resnet('resnet50-c', 50, 'C', o)),
  entry('resnet50-d', 'ResNet-50-D: C with avg-pool downsampling shortcuts', [3, 224, 224], (o) => resnet('resnet50-d', 50, 'D', o)),
  entry('mobilenetv2', 'MobileNetV2 1.0, inverted residuals, torchvision layout', [3, 224, 224], mobilenetV2, ['mobilenet-v2']),
  entry('mobilenetv3-large', 'MobileNetV3-Large: SE, hardswish, torchvision layout', [3, 224, 224], mobilenetV3Large, ['mobilenet_v3_large']),
  entry('mobilenetv3-small', 'MobileNetV3-Small: SE, hardswish, torchvision layout', [3, 224, 224], mobilenetV3Small, ['mobilenet_v3_small']),
  entry('shufflenetv2', 'ShuffleNetV2 1.0x: channel split and shuffle, torchvision layout', [3, 224, 224], shufflenetV2, ['shufflenet_v2_x1_0']),
  entry('mnasnet', 'MNASNet 1.0 (MnasNet-B1 without SE), torchvision layout', [3, 224, 224], mnasnet, ['mnasnet1_0', 'mnasnet1.0']),
  entry('convnext-tiny', 'ConvNeXt-Tiny: 7x7 depthwise, layer norm, GELU, layer scale, torchvision layout', [3, 224, 224], convnextTiny, ['convnext_tiny']),
  entry('efficientnet-b0', 'EfficientNet-B0: MBConv with squeeze-and-excitation, SiLU, torchvision layout', [3, 224, 224], efficientnetB0, ['efficientnet_b0']),
];

/** Finds a zoo model by name or alias (case-insensitive). */
export function zooEntry(name: string): ZooEntry {
  const key = name.toLowerCase();
  const e = ZOO.find((m) => m.name === key || m.aliases.includes(key));
  if (!e) throw new OptionError(`unknown model '${name}'; known models: ${ZOO.map((m) => m.name).join(', ')}`);
  return e;
}

/**
 * Builds a zoo model with deterministic seeded weights (generated on first use).
 *
 * @example
 * const g = buildModel('resnet50', { batch: 8 });
 */
export function buildModel(name: string, options: ModelOptions = {}): Graph {
  return zooEntry(name).build(options);
}
