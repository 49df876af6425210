import type { Graph } from '../graph/graph.js';
import { sizeOf } from '../graph/graph.js';
import { opDef } from '../ops/registry.js';

/** A tensor's lifetime: produced at step `first`, last read at step `last` (node indices). */
export interface Lifetime {
  readonly tensor: string;
  readonly bytes: number;
  readonly first: number;
  readonly last: number;
  /** The tensor whose buffer this one reuses in place (ReLU after conv, flatten, ...). */
  readonly aliasOf?: string;
  /** Not a tensor: the workspace of this node (OpDef.workspace, once per thread), live for its step only. */
  readonly workspaceOf?: string;
}

/** What the memory plan depends on beyond the graph. */
export interface LivenessOptions {
  /** Threads a fused kernel runs on: each holds its own workspace. Default 1. */
  readonly threads?: number;
  /** false: the backend's fused kernels hold their tiles elsewhere (WebGPU: workgroup memory), so no node has an arena workspace. Default true. */
  readonly workspaces?: boolean;
}

/** The lifetime name of a node's workspace. */
export const workspaceName = (node: string) => `${node}#workspace`;

export interface Liveness {
  readonly lifetimes: readonly Lifetime[];
  /** The most bytes of activations alive at once: what an ideal arena must hold. */
  readonly peakBytes: number;
  /** The node during which the peak is reached. */
  readonly peakNode: string;
}

/**
 * Activation lifetimes of a graph at its inferred shapes (f32). A node's output is
 * allocated when the node runs; an input is freed after its last reader. An in-place op
 * (activation, batch norm, residual add, flatten) reuses its first input's buffer when
 * that input is read by no later node. Graph inputs are live from the start, outputs to
 * the end; a graph output that is an initializer is not an activation and has no lifetime.
 * The cost model's inference memory and the runtime's memory plan share this.
 */
export function liveness(graph: Graph, options: LivenessOptions = {}): Liveness {
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const n = graph.nodes.length;
  // Activations only: a graph output that is an initializer is returned from the weights
  // and takes no arena space.
  const activation = (t: string) => !graph.initializers.has(t);
  const lastRead = new Map<string, number>();
  graph.nodes.forEach((node, i) => node.inputs.forEach((t) => lastRead.set(t, i)));
  const outputs = [...new Set(graph.outputs)].filter(activation);
  for (const t of outputs) lastRead.set(t, n);
  const bytes = (t: string) => sizeOf(graph.shape(t)) * 4;

  const lifetimes: Lifetime[] = [];
  const owner = new Map<string, string>(); // tensor -> the tensor whose buffer holds it
  const live = new Map<string, number>(); // buffer owner -> bytes
  // buffer owner -> the last step any tensor held in it is read (so freeing is O(1))
  const bufferLastRead = new Map<string, number>();
  const hold = (t: string, buf: string) => {
    owner.set(t, buf);
    bufferLastRead.set(buf, Math.max(bufferLastRead.get(buf) ?? -1, lastRead.get(t) ?? -1));
  };
  let current = 0;
  let peakBytes = 0;
  let peakNode = '';
  for (const inp of graph.inputs) {
    hold(inp.name, inp.name);
    live.set(inp.name, bytes(inp.name));
    current += bytes(inp.name);
  }
  peakBytes = current;
  const firstStep = new Map<string, number>(graph.inputs.map((i) => [i.name, -1]));

  graph.nodes.forEach((node, i) => {
    const def = opDef(node.op);
    const out = node.outputs[0];
    const x = node.inputs[0];
    const reuse =
      def.inplace && owner.has(x) && (lastRead.get(x) ?? -1) === i && bytes(x) === bytes(out) &&
      node.inputs.indexOf(x) === node.inputs.lastIndexOf(x);
    if (reuse) {
      hold(out, owner.get(x)!);
    } else {
      hold(out, out);
      live.set(out, bytes(out));
      current += bytes(out);
    }
    firstStep.set(out, i);
    // A fused op's workspace (its band of the tensors it never holds whole), for its step only.
    const ws = (options.workspaces === false ? 0 : def.workspace?.(node, node.inputs.map((t) => graph.shape(t)), node.outputs.map((t) => graph.shape(t))) ?? 0) * threads;
    if (ws > 0) lifetimes.push({ tensor: workspaceName(node.name), bytes: ws, first: i, last: i, workspaceOf: node.name });
    current += ws;
    if (current > peakBytes) {
      peakBytes = current;
      peakNode = node.name;
    }
    current -= ws;
    for (const t of new Set(node.inputs)) {
      if (!owner.has(t) || lastRead.get(t) !== i) continue;
      const buf = owner.get(t)!;
      const aliasedForward = reuse && t === x;
      lifetimes.push({ tensor: t, bytes: bytes(t), first: firstStep.get(t)!, last: i, ...(buf !== t ? { aliasOf: buf } : {}) });
      // Freed when no tensor held in the buffer is read after this step.
      if (!aliasedForward && live.has(buf) && bufferLastRead.get(buf)! <= i) {
        current -= live.get(buf)!;
        live.delete(buf);
      }
    }
    if (!lastRead.has(out)) {
      // Read by no one (a dead branch): it lives for its own step only.
      const buf = owner.get(out)!;
      lifetimes.push({ tensor: out, bytes: bytes(out), first: i, last: i, ...(buf !== out ? { aliasOf: buf } : {}) });
      if (live.has(buf)) {
        current -= live.get(buf)!;
        live.delete(buf);
      }
    }
  });
  for (const inp of graph.inputs) {
    if (!lastRead.has(inp.name)) lifetimes.push({ tensor: inp.name, bytes: bytes(inp.name), first: -1, last: -1 });
  }
  for (const t of outputs) {
    const buf = owner.get(t);
    lifetimes.push({ tensor: t, bytes: bytes(t), first: firstStep.get(t) ?? -1, last: n, ...(buf && buf !== t ? { aliasOf: buf } : {}) });
  }
  return { lifetimes, peakBytes, peakNode };
}
