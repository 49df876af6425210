import { GraphBuilder, type Tensor } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';

/** A stage item: a 3x3 conv of that width, a 1x1 conv ('1x1:256'), LRN, or a max pool. */
type Item = number | `1x1:${number}` | 'lrn' | 'M';

/** The configurations of Simonyan & Zisserman (2014), Table 1. */
export const VGG_CONFIGS: Record<'A' | 'A-LRN' | 'B' | 'C' | 'D' | 'E', readonly Item[]> = {
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  'A-LRN': [64, 'lrn', 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  C: [64, 64, 'M', 128, 128, 'M', 256, 256, '1x1:256', 'M', 512, 512, '1x1:512', 'M', 512, 512, '1x1:512', 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

/**
 * A VGG network. Rows are numbered as in the lecture's VGG-16 table: conv1..conv13,
 * pool1..pool5, flatten, fc14..fc16 (weight layers counted from the input).
 */
export function vgg(name: string, config: keyof typeof VGG_CONFIGS, options: ModelOptions = {}): Graph {
  const o = resolveOptions(options, 224);
  const b = new GraphBuilder(name, o.seed);
  let x: Tensor = b.input('input', [o.batch, 3, o.height, o.width]);
  let layer = 0;
  let pool = 0;
  for (const item of VGG_CONFIGS[config]) {
    if (item === 'M') x = x.maxpool(`pool${++pool}`, 2, { stride: 2 });
    else if (item === 'lrn') x = x.lrn({ size: 5, alpha: 5e-4, beta: 0.75, bias: 2 });
    else if (typeof item === 'number') x = x.conv(`conv${++layer}`, item, 3, { pad: 1 }).relu();
    else x = x.conv(`conv${++layer}`, Number(item.slice(4)), 1).relu();
  }
  const y = x
    .flatten('flatten')
    .fc(`fc${++layer}`, 4096).relu().dropout()
    .fc(`fc${++layer}`, 4096).relu().dropout()
    .fc(`fc${++layer}`, 1000);
  return b.build([y]);
}
