import { GraphBuilder, type Tensor } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';

/** #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj (Szegedy et al. 2015, Table 1). */
type Module = readonly [number, number, number, number, number, number];

/**
 * An inception module: four branches joined by a channel concat, one composite row. The
 * pool branch is a 3x3 stride-1 max pool followed by a 1x1 projection.
 */
export function inceptionModule(b: GraphBuilder, name: string, x: Tensor, m: Module): Tensor {
  return b.block(name, () => {
    const [c1, r3, c3, r5, c5, pp] = m;
    const br1 = x.conv(`${name}.1x1`, c1, 1).relu();
    const br3 = x.conv(`${name}.3x3r`, r3, 1).relu().conv(`${name}.3x3`, c3, 3, { pad: 1 }).relu();
    const br5 = x.conv(`${name}.5x5r`, r5, 1).relu().conv(`${name}.5x5`, c5, 5, { pad: 2 }).relu();
    const brp = x.maxpool(`${name}.pool`, 3, { stride: 1, pad: 1 }).conv(`${name}.poolproj`, pp, 1).relu();
    return b.concat(name, [br1, br3, br5, brp]);
  });
}

/**
 * GoogLeNet (Inception v1) as in the paper: conv biases, LRN in the stem, no batch norm,
 * no auxiliary heads, global average pooling, dropout 0.4, one fc. Rows named as in the
 * lecture's table: conv1..conv3, pool1..pool4, incep1..incep9, avgpool, fc1.
 */
export function googlenet(options: ModelOptions = {}): Graph {
  const o = resolveOptions(options, 224);
  const b = new GraphBuilder('googlenet', o.seed);
  let x = b
    .input('input', [o.batch, 3, o.height, o.width])
    .conv('conv1', 64, 7, { stride: 2, pad: 3 }).relu()
    .maxpool('pool1', 3, { stride: 2, pad: 1 }).lrn({ size: 5, alpha: 1e-4, beta: 0.75, bias: 1 })
    .conv('conv2', 64, 1).relu()
    .conv('conv3', 192, 3, { pad: 1 }).relu().lrn({ size: 5, alpha: 1e-4, beta: 0.75, bias: 1 })
    .maxpool('pool2', 3, { stride: 2, pad: 1 });
  const modules: (Module | 'pool')[] = [
    [64, 96, 128, 16, 32, 32],
    [128, 128, 192, 32, 96, 64],
    'pool',
    [192, 96, 208, 16, 48, 64],
    [160, 112, 224, 24, 64, 64],
    [128, 128, 256, 24, 64, 64],
    [112, 144, 288, 32, 64, 64],
    [256, 160, 320, 32, 128, 128],
    'pool',
    [256, 160, 320, 32, 128, 128],
    [384, 192, 384, 48, 128, 128],
  ];
  let incep = 0;
  let pool = 2;
  for (const m of modules) {
    x = m === 'pool' ? x.maxpool(`pool${++pool}`, 3, { stride: 2, pad: 1 }) : inceptionModule(b, `incep${++incep}`, x, m);
  }
  const y = x.globalAvgPool('avgpool').dropout(0.4).fc('fc1', 1000);
  return b.build([y]);
}
