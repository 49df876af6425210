import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';
import { invertedResidual } from './inverted-residual.js';

/**
 * in (channels), out, kernel, first stride, expansion, repeats: torchvision's MNASNet 1.0
 * stacks (Tan et al. 2019, MnasNet-B1 without squeeze-and-excitation).
 */
const STACKS: readonly (readonly [number, number, number, number, number, number])[] = [
  [16, 24, 3, 2, 3, 3],
  [24, 40, 5, 2, 3, 3],
  [40, 80, 5, 2, 6, 3],
  [80, 96, 3, 1, 6, 2],
  [96, 192, 5, 2, 6, 4],
  [192, 320, 3, 1, 6, 1],
];

/**
 * MNASNet 1.0 in torchvision's layout: a 3x3 stem, a depthwise-separable conv, six stacks
 * of inverted residuals (1x1 expansion, k x k depthwise, linear 1x1 projection; a residual
 * where the shape allows), a 1x1 conv to 1280, the spatial mean, dropout 0.2 and a linear
 * classifier. ReLU, batch norm after every conv (no conv bias). Each inverted residual is
 * one composite row `b{k}`.
 */
export function mnasnet(options: ModelOptions = {}): Graph {
  const o = resolveOptions(options, 224);
  const b = new GraphBuilder('mnasnet', o.seed);
  let x = b.input('input', [o.batch, 3, o.height, o.width])
    .conv('conv1', 32, 3, { stride: 2, pad: 1, bias: false }).bn().relu()
    .conv('conv2.dw', 32, 3, { pad: 1, groups: 32, bias: false }).bn().relu()
    .conv('conv2.pw', 16, 1, { bias: false }).bn();
  let k = 0;
  for (const [, out, kernel, firstStride, t, repeats] of STACKS) {
    for (let i = 0; i < repeats; i++) {
      x = invertedResidual(b, x, `b${++k}`, {
        expanded: x.channels * t, out, kernel, stride: i === 0 ? firstStride : 1, act: (y) => y.relu(), bn: (y) => y.bn(),
      });
    }
  }
  const y = x
    .conv('conv3', 1280, 1, { bias: false }).bn().relu()
    .globalAvgPool('mean')
    .dropout(0.2)
    .fc('fc1', 1000);
  return b.build([y]);
}
