import { mulberry32 } from '../../src/graph/weight-init.js';
import type { Graph } from '../../src/index.js';

/** A seeded input in [-1, 1) for a graph's first input. */
export function seededInput(g: Graph, seed = 11): Float32Array {
  const n = g.inputs[0].shape.reduce((a, b) => a * b, 1);
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
}
