import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';
import { invertedResidual } from './inverted-residual.js';

/** t (expansion), c (channels), n (repeats), s (first stride): Sandler et al. 2018, Table 2. */
const SETTINGS: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/**
 * MobileNetV2 in torchvision's layout (width 1.0): inverted residual bottlenecks, a 1x1
 * expansion, a 3x3 depthwise conv and a linear 1x1 projection, ReLU6, batch norm after
 * every conv (no conv bias), dropout 0.2 before the classifier. Each bottleneck is one
 * composite row `b{k}`.
 */
export function mobilenetV2(options: ModelOptions = {}): Graph {
  const o = resolveOptions(options, 224);
  const b = new GraphBuilder('mobilenetv2', o.seed);
  let x = b.input('input', [o.batch, 3, o.height, o.width]).conv('conv1', 32, 3, { stride: 2, pad: 1, bias: false }).bn().relu6();
  let k = 0;
  for (const [t, c, n, s] of SETTINGS) {
    for (let i = 0; i < n; i++) {
      x = invertedResidual(b, x, `b${++k}`, {
        expanded: x.channels * t, out: c, kernel: 3, stride: i === 0 ? s : 1, act: (y) => y.relu6(), bn: (y) => y.bn(),
      });
    }
  }
  const y = x
    .conv('conv2', 1280, 1, { bias: false }).bn().relu6()
    .globalAvgPool('avgpool')
    .dropout(0.2)
    .fc('fc1', 1000);
  return b.build([y]);
}
