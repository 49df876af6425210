import { GraphBuilder, type Tensor } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';

/** ConvNeXt-T: blocks per stage and widths (Liu et al. 2022). */
const DEPTHS = [3, 3, 9, 3];
const DIMS = [96, 192, 384, 768];

/**
 * ConvNeXt-Tiny in torchvision's layout, channels-first throughout: a 4x4 stride-4 patchify
 * stem with layer norm, four stages of blocks (7x7 depthwise conv, layer norm over the
 * channels, a pointwise expansion to 4x with GELU and a pointwise projection, a learned
 * per-channel layer scale, a residual; stochastic depth is the identity at inference),
 * layer norm and a 2x2 stride-2 conv between stages, then global average pooling, layer
 * norm and the classifier. torchvision runs the block's LayerNorm and Linears channels-last
 * (permute, Linear over C, permute back): here they are a layer norm over axis 1 and 1x1
 * convs, the same arithmetic with the same parameters and MACs and no transposes. Each
 * block is one row `b{k}`.
 */
export function convnextTiny(options: ModelOptions = {}): Graph {
  const o = resolveOptions(options, 224);
  const b = new GraphBuilder('convnext-tiny', o.seed);
  let x = b.input('input', [o.batch, 3, o.height, o.width]).conv('stem', DIMS[0], 4, { stride: 4 }).layerNorm2d();
  let k = 0;
  DEPTHS.forEach((depth, stage) => {
    const dim = DIMS[stage];
    if (stage > 0) x = x.layerNorm2d().conv(`down${stage}`, dim, 2, { stride: 2 });
    for (let i = 0; i < depth; i++) {
      const id = `b${++k}`;
      const input = x;
      x = b.block(id, (): Tensor => input
        .conv(`${id}.dw`, dim, 7, { pad: 3, groups: dim })
        .layerNorm2d()
        .conv(`${id}.pw1`, 4 * dim, 1).gelu()
        .conv(`${id}.pw2`, dim, 1)
        .channelScale()
        .add(input));
    }
  });
  const y = x.globalAvgPool('avgpool').layerNorm2d().fc('fc', 1000);
  return b.build([y]);
}
