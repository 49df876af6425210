import { GraphBuilder, type Tensor } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';
import { invertedResidual } from './inverted-residual.js';

/** in, kernel, expanded, out, squeeze-and-excitation, hardswish (else ReLU), stride. */
type Bneck = readonly [number, number, number, number, boolean, boolean, number];

/** MobileNetV3-Large's bottlenecks (Howard et al. 2019, Table 1). */
const LARGE: readonly Bneck[] = [
  [16, 3, 16, 16, false, false, 1],
  [16, 3, 64, 24, false, false, 2],
  [24, 3, 72, 24, false, false, 1],
  [24, 5, 72, 40, true, false, 2],
  [40, 5, 120, 40, true, false, 1],
  [40, 5, 120, 40, true, false, 1],
  [40, 3, 240, 80, false, true, 2],
  [80, 3, 200, 80, false, true, 1],
  [80, 3, 184, 80, false, true, 1],
  [80, 3, 184, 80, false, true, 1],
  [80, 3, 480, 112, true, true, 1],
  [112, 3, 672, 112, true, true, 1],
  [112, 5, 672, 160, true, true, 2],
  [160, 5, 960, 160, true, true, 1],
  [160, 5, 960, 160, true, true, 1],
];

/** MobileNetV3-Small's bottlenecks (Table 2). */
const SMALL: readonly Bneck[] = [
  [16, 3, 16, 16, true, false, 2],
  [16, 3, 72, 24, false, false, 2],
  [24, 3, 88, 24, false, false, 1],
  [24, 5, 96, 40, true, true, 2],
  [40, 5, 240, 40, true, true, 1],
  [40, 5, 240, 40, true, true, 1],
  [40, 5, 120, 48, true, true, 1],
  [48, 5, 144, 48, true, true, 1],
  [48, 5, 288, 96, true, true, 2],
  [96, 5, 576, 96, true, true, 1],
  [96, 5, 576, 96, true, true, 1],
];

/** torchvision's _make_divisible: the nearest multiple of 8, at least 8, never 10% below v. */
function makeDivisible(v: number, divisor = 8): number {
  const d = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return d < 0.9 * v ? d + divisor : d;
}

/**
 * MobileNetV3 (Large or Small) in torchvision's layout: a 3x3 stem to 16 channels with
 * hardswish, the bottlenecks (a 1x1 expansion unless it would not widen, a k x k depthwise
 * conv, squeeze and excitation with ReLU and hardsigmoid where the table says, a linear 1x1
 * projection, a residual where the shape allows), a 1x1 conv to 6x the last width with
 * hardswish, global average pooling, a linear layer (1280 or 1024) with hardswish, dropout
 * 0.2 and the classifier. Batch norm (epsilon 1e-3) after every conv but the SE's (which
 * have biases). Each bottleneck is one row `b{k}`.
 */
function mobilenetV3(name: string, table: readonly Bneck[], lastChannel: number, options: ModelOptions): Graph {
  const o = resolveOptions(options, 224);
  const b = new GraphBuilder(name, o.seed);
  const bn = (t: Tensor) => t.bn(1e-3);
  let x = bn(b.input('input', [o.batch, 3, o.height, o.width]).conv('conv1', 16, 3, { stride: 2, pad: 1, bias: false })).hardswish();
  table.forEach(([, kernel, expanded, out, se, hs, stride], i) => {
    x = invertedResidual(b, x, `b${i + 1}`, {
      expanded, out, kernel, stride, bn, act: (t) => (hs ? t.hardswish() : t.relu()),
      ...(se ? { se: { squeeze: makeDivisible(Math.floor(expanded / 4)), act: (t: Tensor) => t.relu(), gate: (t: Tensor) => t.hardsigmoid() } } : {}),
    });
  });
  const y = bn(x.conv('conv2', 6 * x.channels, 1, { bias: false })).hardswish()
    .globalAvgPool('avgpool')
    .fc('fc1', lastChannel).hardswish()
    .dropout(0.2)
    .fc('fc2', 1000);
  return b.build([y]);
}

export const mobilenetV3Large = (options: ModelOptions = {}): Graph => mobilenetV3('mobilenetv3-large', LARGE, 1280, options);
export const mobilenetV3Small = (options: ModelOptions = {}): Graph => mobilenetV3('mobilenetv3-small', SMALL, 1024, options);
