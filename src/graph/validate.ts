import { opDef } from '../ops/registry.js';
import { GraphError, ShapeError } from './errors.js';
import { Graph, type GraphInput, type Initializer, type Node } from './graph.js';

/**
 * Checks a graph and infers the shape of every tensor: unique names, every input defined,
 * no cycle, attributes valid, shapes consistent. Nodes are put in topological order.
 * Returns a new Graph; throws a typed error naming the first problem found.
 */
export function finalizeGraph(
  name: string,
  inputs: readonly GraphInput[],
  outputs: readonly string[],
  nodes: readonly Node[],
  initializers: ReadonlyMap<string, Initializer>,
): Graph {
  const producer = new Map<string, Node>();
  const nodeNames = new Set<string>();
  const inputNames = new Set(inputs.map((i) => i.name));
  for (const i of inputs) {
    if (initializers.has(i.name)) throw new GraphError(`graph '${name}': input '${i.name}' is also an initializer`);
    if (i.shape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new ShapeError(i.name, 'an input shape of positive integers', i.shape);
    }
  }
  for (const n of nodes) {
    if (nodeNames.has(n.name)) throw new GraphError(`graph '${name}': two nodes are named '${n.name}'`);
    nodeNames.add(n.name);
    const def = opDef(n.op);
    if (n.inputs.length < def.arity[0] || n.inputs.length > def.arity[1]) {
      throw new GraphError(
        `node '${n.name}' (${n.op}): expected ${def.arity[0]}..${def.arity[1]} inputs, found ${n.inputs.length}`,
      );
    }
    for (const t of n.outputs) {
      if (producer.has(t) || initializers.has(t) || inputNames.has(t)) {
        throw new GraphError(`graph '${name}': tensor '${t}' is defined twice (by node '${n.name}')`);
      }
      producer.set(t, n);
    }
  }
  const isSource = (t: string) => initializers.has(t) || inputNames.has(t);
  for (const n of nodes) {
    for (const t of n.inputs) {
      if (!isSource(t) && !producer.has(t)) {
        throw new GraphError(`node '${n.name}' (${n.op}): input '${t}' is neither a graph input, an initializer nor a node output`);
      }
    }
  }
  for (const t of outputs) {
    if (!producer.has(t) && !isSource(t)) throw new GraphError(`graph '${name}': output '${t}' is never produced`);
  }

  // Each node's attributes checked and completed once (defaults filled): what every kernel reads.
  const sorted = topologicalOrder(name, nodes, producer).map((n) => ({ ...n, attrs: opDef(n.op).attrs(n) }));
  const graph = new Graph(name, inputs, outputs, sorted, initializers);
  for (const i of inputs) graph.shapes.set(i.name, i.shape);
  for (const n of sorted) {
    const inShapes = n.inputs.map((t) => graph.shape(t));
    const outShapes = opDef(n.op).inferShapes(n, inShapes);
    n.outputs.forEach((t, k) => graph.shapes.set(t, outShapes[k]));
  }
  return graph;
}

/**
 * Kahn's algorithm, stable: nodes already in order stay in order (the ready node first in
 * the given order goes next, from a binary heap: O(n log n)). A cycle is an error.
 */
function topologicalOrder(name: string, nodes: readonly Node[], producer: Map<string, Node>): Node[] {
  const index = new Map(nodes.map((n, i) => [n, i]));
  const pending = new Int32Array(nodes.length);
  const consumers: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    const deps = new Set<number>();
    for (const t of n.inputs) {
      const p = producer.get(t);
      if (p) deps.add(index.get(p)!);
    }
    pending[i] = deps.size;
    for (const d of deps) consumers[d].push(i);
  });
  const ready = new MinHeap();
  nodes.forEach((_, i) => pending[i] === 0 && ready.push(i));
  const out: Node[] = [];
  while (ready.size) {
    const i = ready.pop();
    out.push(nodes[i]);
    for (const c of consumers[i]) if (--pending[c] === 0) ready.push(c);
  }
  if (out.length !== nodes.length) {
    const stuck = nodes.filter((_, i) => pending[i] > 0).map((n) => n.name);
    throw new GraphError(`graph '${name}' has a cycle through nodes: ${stuck.slice(0, 8).join(', ')}${stuck.length > 8 ? ', ...' : ''}`);
  }
  return out;
}

/** A binary min-heap of node indices. */
class MinHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(v: number): void {
    const a = this.a;
    let i = a.push(v) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && a[l + 1] < a[l] ? l + 1 : l;
        if (a[c] >= last) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
