import type { Graph } from '../graph/graph.js';
import { buildModel } from './zoo.js';
import { costTable, type Summary, type SummaryOptions } from '../cost/summary.js';

export interface SummarizeOptions extends SummaryOptions {
  /** Minibatch size. Default 1. */
  batch?: number;
  /** Input height and width, when not the model's default. */
  height?: number;
  width?: number;
}

/**
 * The cost table of a zoo model (by name) or of a graph.
 *
 * @example
 * const s = summarize('vgg16', { batch: 128 });
 * console.log(s.totals.params); // 138357544
 */
export function summarize(model: string | Graph, options: SummarizeOptions = {}): Summary {
  const graph =
    typeof model === 'string'
      ? buildModel(model, { batch: options.batch ?? 1, height: options.height, width: options.width ?? options.height })
      : model;
  return costTable(graph, options);
}
