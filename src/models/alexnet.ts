import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';

/**
 * AlexNet (Krizhevsky et al. 2012) on 227x227. `grouped` = as published, its convolutions
 * split over two GPUs (conv2, conv4, conv5 with two groups); otherwise the lecture's single
 * tower. LRN after the first two convolutions, dropout after fc6 and fc7.
 */
function alexnetGraph(name: string, grouped: boolean, options: ModelOptions): Graph {
  const o = resolveOptions(options, 227);
  const g = grouped ? 2 : 1;
  const b = new GraphBuilder(name, o.seed);
  const y = b
    .input('input', [o.batch, 3, o.height, o.width])
    .conv('conv1', 96, 11, { stride: 4 }).relu().lrn()
    .maxpool('pool1', 3, { stride: 2 })
    .conv('conv2', 256, 5, { pad: 2, groups: g }).relu().lrn()
    .maxpool('pool2', 3, { stride: 2 })
    .conv('conv3', 384, 3, { pad: 1 }).relu()
    .conv('conv4', 384, 3, { pad: 1, groups: g }).relu()
    .conv('conv5', 256, 3, { pad: 1, groups: g }).relu()
    .maxpool('pool3', 3, { stride: 2 })
    .flatten('flatten')
    .fc('fc6', 4096).relu().dropout()
    .fc('fc7', 4096).relu().dropout()
    .fc('fc8', 1000);
  return b.build([y]);
}

export const alexnet = (o: ModelOptions = {}) => alexnetGraph('alexnet', false, o);
export const alexnetPaper = (o: ModelOptions = {}) => alexnetGraph('alexnet-paper', true, o);

/**
 * ZFNet (Zeiler & Fergus 2013): AlexNet with a 7x7 stride-2 stem and a stride-2 second
 * conv, on 224x224. Pads are chosen to give the paper's 110 -> 55 -> 26 -> 13 -> 6 maps.
 */
export function zfnet(options: ModelOptions = {}): Graph {
  const o = resolveOptions(options, 224);
  const b = new GraphBuilder('zfnet', o.seed);
  const y = b
    .input('input', [o.batch, 3, o.height, o.width])
    .conv('conv1', 96, 7, { stride: 2, pad: 1 }).relu().lrn()
    .maxpool('pool1', 3, { stride: 2, pad: 1 })
    .conv('conv2', 256, 5, { stride: 2 }).relu().lrn()
    .maxpool('pool2', 3, { stride: 2, pad: 1 })
    .conv('conv3', 384, 3, { pad: 1 }).relu()
    .conv('conv4', 384, 3, { pad: 1 }).relu()
    .conv('conv5', 256, 3, { pad: 1 }).relu()
    .maxpool('pool3', 3, { stride: 2 })
    .flatten('flatten')
    .fc('fc6', 4096).relu().dropout()
    .fc('fc7', 4096).relu().dropout()
    .fc('fc8', 1000);
  return b.build([y]);
}
