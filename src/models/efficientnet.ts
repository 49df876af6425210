import { GraphBuilder, type Tensor } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';
import { invertedResidual } from './inverted-residual.js';

/**
 * expansion, kernel, first stride, in (channels), out, repeats: EfficientNet-B0's MBConv
 * stages (Tan & Le 2019, Table 1), width and depth multipliers 1.0.
 */
const STAGES: readonly (readonly [number, number, number, number, number, number])[] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

/**
 * EfficientNet-B0 in torchvision's layout: a 3x3 stem, sixteen MBConv blocks (a 1x1
 * expansion unless the ratio is 1, a k x k depthwise conv, squeeze and excitation to a
 * quarter of the block's input channels, a linear 1x1 projection; a residual where the
 * shape allows: stochastic depth is the identity at inference), a 1x1 conv to 1280, global
 * average pooling, dropout 0.2 and a linear classifier. SiLU, batch norm (epsilon 1e-3)
 * after every conv but the SE's (which have biases). Each MBConv block is one row `b{k}`.
 */
export function efficientnetB0(options: ModelOptions = {}): Graph {
  const o = resolveOptions(options, 224);
  const b = new GraphBuilder('efficientnet-b0', o.seed);
  const bn = (t: Tensor) => t.bn(1e-3);
  let x = bn(b.input('input', [o.batch, 3, o.height, o.width]).conv('conv1', 32, 3, { stride: 2, pad: 1, bias: false })).silu();
  let k = 0;
  for (const [t, kernel, firstStride, , out, repeats] of STAGES) {
    for (let i = 0; i < repeats; i++) {
      // Squeeze and excitation to a quarter of the block's input channels, SiLU, sigmoid gate.
      x = invertedResidual(b, x, `b${++k}`, {
        expanded: x.channels * t, out, kernel, stride: i === 0 ? firstStride : 1, bn, act: (y) => y.silu(),
        se: { squeeze: Math.max(1, Math.floor(x.channels / 4)), act: (y) => y.silu(), gate: (y) => y.sigmoid() },
      });
    }
  }
  const y = bn(x.conv('conv2', 1280, 1, { bias: false })).silu()
    .globalAvgPool('avgpool')
    .dropout(0.2)
    .fc('fc1', 1000);
  return b.build([y]);
}
