import { GraphBuilder, type Tensor } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';

/** ShuffleNetV2 1.0x: blocks per stage and the widths of the stem, the three stages and conv5 (Ma et al. 2018, Table 5). */
const REPEATS = [4, 8, 4];
const WIDTHS = [24, 116, 232, 464, 1024];

/**
 * ShuffleNetV2 1.0x in torchvision's layout: a 3x3 stride-2 stem, 3x3 max pooling, three
 * stages of shuffle units, a 1x1 conv to 1024, the spatial mean and a linear classifier.
 * A unit of stride 1 splits the channels in two, passes one half through (1x1, 3x3
 * depthwise, 1x1) and concatenates it with the other; a unit of stride 2 runs both halves'
 * branches on the whole input. Then the channels are shuffled in 2 groups. Batch norm after
 * every conv (no conv bias), ReLU after the 1x1s. Each unit is one row `b{k}`.
 */
export function shufflenetV2(options: ModelOptions = {}): Graph {
  const o = resolveOptions(options, 224);
  const b = new GraphBuilder('shufflenetv2', o.seed);
  let x = b.input('input', [o.batch, 3, o.height, o.width])
    .conv('conv1', WIDTHS[0], 3, { stride: 2, pad: 1, bias: false }).bn().relu()
    .maxpool('maxpool', 3, { stride: 2, pad: 1 });
  let k = 0;
  REPEATS.forEach((repeats, stage) => {
    const out = WIDTHS[stage + 1];
    const half = out / 2;
    for (let i = 0; i < repeats; i++) {
      const id = `b${++k}`;
      const input = x;
      const stride = i === 0 ? 2 : 1;
      x = b.block(id, () => {
        const branch2 = (t: Tensor) => t
          .conv(`${id}.b2.pw1`, half, 1, { bias: false }).bn().relu()
          .conv(`${id}.b2.dw`, half, 3, { stride, pad: 1, groups: half, bias: false }).bn()
          .conv(`${id}.b2.pw2`, half, 1, { bias: false }).bn().relu();
        let parts: Tensor[];
        if (stride === 1) {
          const c = input.channels / 2;
          parts = [input.channelSlice(`${id}.x1`, 0, c), branch2(input.channelSlice(`${id}.x2`, c, 2 * c))];
        } else {
          const branch1 = input
            .conv(`${id}.b1.dw`, input.channels, 3, { stride, pad: 1, groups: input.channels, bias: false }).bn()
            .conv(`${id}.b1.pw`, half, 1, { bias: false }).bn().relu();
          parts = [branch1, branch2(input)];
        }
        return b.concat(`${id}.cat`, parts).channelShuffle(2);
      });
    }
  });
  const y = x
    .conv('conv5', WIDTHS[4], 1, { bias: false }).bn().relu()
    .globalAvgPool('mean')
    .fc('fc', 1000);
  return b.build([y]);
}
