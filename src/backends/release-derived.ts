/**
 * Forgetting the values of derived weights once a backend has its own copy of them.
 */
import type { Graph } from '../graph/graph.js';

/**
 * Drops the cached values of the named initializers that a graph pass derives (weights with
 * a batch norm or layer scale folded in, transposed or re-laid-out ones): `graph.weight`
 * caches them in the initializer, and the optimized graph an executable keeps would hold
 * them beside the backend's copy (wasm memory, a GPU buffer) for its whole life, a second
 * copy of most of a model's weights. They are derived again if asked for. Initializers
 * with no `derive` hold the caller's values and are left alone.
 */
export function releaseDerived(graph: Graph, names: Iterable<string>): void {
  for (const name of names) {
    const init = graph.initializers.get(name);
    if (init?.derive) init.data = undefined;
  }
}
