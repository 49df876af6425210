import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';

/** LeNet-5 (LeCun et al. 1998): 6@5x5, avgpool, 16@5x5, avgpool, 120, 84, 10, tanh, on 1x32x32. */
export function lenet5(options: ModelOptions = {}): Graph {
  const o = resolveOptions(options, 32);
  const b = new GraphBuilder('lenet5', o.seed);
  const y = b
    .input('input', [o.batch, 1, o.height, o.width])
    .conv('conv1', 6, 5).tanh()
    .avgpool('pool1', 2)
    .conv('conv2', 16, 5).tanh()
    .avgpool('pool2', 2)
    .flatten('flatten')
    .fc('fc1', 120).tanh()
    .fc('fc2', 84).tanh()
    .fc('fc3', 10);
  return b.build([y]);
}
