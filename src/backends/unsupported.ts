import type { Graph, Node } from '../graph/graph.js';

/** What a backend answers for one node: no kernel for its op, or its kernel's `supports()`. */
export type Support = 'no kernel' | true | string;

/**
 * The nodes of a graph a backend cannot run, for UnsupportedOpError or for the reference
 * fallback: `nodes` maps each to its op, `reasons` to why its kernel refuses it (nodes whose
 * op has no kernel have no reason).
 */
export function unsupportedNodes(graph: Graph, check: (node: Node) => Support): { nodes: Map<string, string>; reasons: Map<string, string> } {
  const nodes = new Map<string, string>();
  const reasons = new Map<string, string>();
  for (const n of graph.nodes) {
    const s = check(n);
    if (s === true) continue;
    nodes.set(n.name, n.op);
    if (s !== 'no kernel') reasons.set(n.name, s);
  }
  return { nodes, reasons };
}
