import { GraphBuilder, type Tensor } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';

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

/** Squeeze and excitation: the spatial mean, a 1x1 reduction, SiLU, a 1x1 expansion, sigmoid, and the scale. */
function squeezeExcite(x: Tensor, id: string, squeeze: number): Tensor {
  const s = x.globalAvgPool(`${id}.se.pool`)
    .conv(`${id}.se.fc1`, squeeze, 1).silu()
    .conv(`${id}.se.fc2`, x.channels, 1).sigmoid();
  return x.mul(s);
}

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
      const id = `b${++k}`;
      const input = x;
      const stride = i === 0 ? firstStride : 1;
      x = b.block(id, () => {
        const mid = input.channels * t;
        let y: Tensor = input;
        if (t !== 1) y = bn(y.conv(`${id}.expand`, mid, 1, { bias: false })).silu();
        y = bn(y.conv(`${id}.dw`, mid, kernel, { stride, pad: kernel >> 1, groups: mid, bias: false })).silu();
        y = squeezeExcite(y, id, Math.max(1, Math.floor(input.channels / 4)));
        y = bn(y.conv(`${id}.project`, out, 1, { bias: false }));
        return stride === 1 && input.channels === out ? y.add(input) : y;
      });
    }
  }
  const y = bn(x.conv('conv2', 1280, 1, { bias: false })).silu()
    .globalAvgPool('avgpool')
    .dropout(0.2)
    .fc('fc1', 1000);
  return b.build([y]);
}
