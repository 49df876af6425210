import { GraphBuilder, type Tensor } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';

/**
 * The ResNet family (He et al. 2016) in torchvision's layout: convs without bias, each
 * followed by batch norm; a 1x1 projection with batch norm where shape changes. Tweaks of
 * Bag of Tricks (He et al. 2019):
 * - `v1`: the paper's bottleneck, stride on the first 1x1;
 * - `B`: stride on the 3x3 of the bottleneck (torchvision's ResNet-50, "v1.5");
 * - `C`: B, with the 7x7 stem replaced by three 3x3 convs (32, 32, 64; the first stride 2);
 * - `D`: C, with a 2x2 stride-2 average pool before a stride-1 projection.
 * Rows follow the lecture: conv1, pool1, conv.s{stage}.b{block}.{k}, avgpool, fc1; each
 * residual block is one composite row `s{stage}.b{block}`.
 */
export type ResNetVariant = 'v1' | 'B' | 'C' | 'D';

interface ResNetSpec {
  readonly bottleneck: boolean;
  readonly blocks: readonly [number, number, number, number];
}

export const RESNET_SPECS: Record<18 | 34 | 50 | 101 | 152, ResNetSpec> = {
  18: { bottleneck: false, blocks: [2, 2, 2, 2] },
  34: { bottleneck: false, blocks: [3, 4, 6, 3] },
  50: { bottleneck: true, blocks: [3, 4, 6, 3] },
  101: { bottleneck: true, blocks: [3, 4, 23, 3] },
  152: { bottleneck: true, blocks: [3, 8, 36, 3] },
};

export function resnet(name: string, depth: keyof typeof RESNET_SPECS, variant: ResNetVariant, options: ModelOptions = {}): Graph {
  const o = resolveOptions(options, 224);
  const spec = RESNET_SPECS[depth];
  const b = new GraphBuilder(name, o.seed);
  let x = b.input('input', [o.batch, 3, o.height, o.width]);
  if (variant === 'C' || variant === 'D') {
    x = x
      .conv('conv1.1', 32, 3, { stride: 2, pad: 1, bias: false }).bn().relu()
      .conv('conv1.2', 32, 3, { pad: 1, bias: false }).bn().relu()
      .conv('conv1.3', 64, 3, { pad: 1, bias: false }).bn().relu();
  } else {
    x = x.conv('conv1', 64, 7, { stride: 2, pad: 3, bias: false }).bn().relu();
  }
  x = x.maxpool('pool1', 3, { stride: 2, pad: 1 });
  const expansion = spec.bottleneck ? 4 : 1;
  spec.blocks.forEach((count, s) => {
    const width = 64 << s;
    for (let k = 0; k < count; k++) {
      const stride = s > 0 && k === 0 ? 2 : 1;
      const id = `s${s + 1}.b${k + 1}`;
      const input = x;
      x = b.block(id, () => {
        const needsProjection = stride !== 1 || input.channels !== width * expansion;
        const project = () => shortcut(input, `conv.${id}.proj`, width * expansion, stride, variant === 'D');
        let y: Tensor;
        if (spec.bottleneck) {
          const s1 = variant === 'v1' ? stride : 1;
          y = input
            .conv(`conv.${id}.1`, width, 1, { stride: s1, bias: false }).bn().relu()
            .conv(`conv.${id}.2`, width, 3, { stride: stride / s1, pad: 1, bias: false }).bn().relu()
            .conv(`conv.${id}.3`, width * 4, 1, { bias: false }).bn();
        } else {
          y = input
            .conv(`conv.${id}.1`, width, 3, { stride, pad: 1, bias: false }).bn().relu()
            .conv(`conv.${id}.2`, width, 3, { pad: 1, bias: false }).bn();
        }
        return y.add(needsProjection ? project() : input).relu();
      });
    }
  });
  const y = x.globalAvgPool('avgpool').fc('fc1', 1000);
  return b.build([y]);
}

function shortcut(x: Tensor, name: string, channels: number, stride: number, avgDown: boolean): Tensor {
  if (avgDown && stride > 1) {
    const pooled = x.avgpool(`${name}.pool`, stride, { stride, ceilMode: true, countIncludePad: false });
    return pooled.conv(name, channels, 1, { bias: false }).bn();
  }
  return x.conv(name, channels, 1, { stride, bias: false }).bn();
}
