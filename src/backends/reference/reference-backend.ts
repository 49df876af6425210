import type { Graph, Shape } from '../../graph/graph.js';
import { sizeOf } from '../../graph/graph.js';
import type { TensorView } from '../../ops/op.js';
import { opDef } from '../../ops/registry.js';
import { planMemory } from '../../plan/memory-planner.js';
import { optimizeGraph } from '../../plan/passes.js';
import { DISPOSED_MEMORY, type Backend, type BackendInfo, type CompileOptions, type Executable, type MemoryReport, type NodeTiming, type TensorData } from '../backend.js';
import { readInputs } from '../inputs.js';
import { ExecutableError, LimitError } from '../../graph/errors.js';

/**
 * The reference backend: every op's plain TypeScript kernel (declared beside the op in
 * src/ops/), run node by node over one planned arena. Obviously right, never tuned: it is
 * the oracle the fast backends are tested against.
 */
export const referenceBackend: Backend = {
  name: 'reference',
  isAvailable: async () => true,
  async compile(graph: Graph, options: CompileOptions = {}): Promise<Executable> {
    const g = options.optimize === false ? graph : optimizeGraph(graph).graph;
    return new ReferenceExecutable(g);
  },
};

/** The largest arena the reference backend allocates: 4 GiB, as wasm32 (one Float32Array). */
export const MAX_REFERENCE_ARENA_BYTES = 2 ** 32;

class ReferenceExecutable implements Executable {
  readonly inputs;
  readonly outputs: { name: string; shape: Shape }[];
  private arena: Float32Array | undefined;
  private readonly views = new Map<string, TensorView>();
  private readonly weights = new Map<string, TensorView>();
  private readonly plan;
  private timings: NodeTiming[] = [];

  constructor(private readonly graph: Graph) {
    this.inputs = graph.inputs;
    this.outputs = graph.outputs.map((name) => ({ name, shape: graph.shape(name) }));
    this.plan = planMemory(graph);
    if (this.plan.arenaBytes > MAX_REFERENCE_ARENA_BYTES) {
      throw new LimitError(graph.name, 'the activation arena', this.plan.arenaBytes, MAX_REFERENCE_ARENA_BYTES, 'the reference backend holds it in one Float32Array: use a smaller batch or input size');
    }
    // One arena for every activation; offsets are bytes, views are float32.
    this.arena = new Float32Array(this.plan.arenaBytes / 4);
    for (const [tensor, offset] of this.plan.offsets) {
      const shape = graph.shape(tensor);
      this.views.set(tensor, { shape, data: this.arena.subarray(offset / 4, offset / 4 + sizeOf(shape)) });
    }
    for (const name of graph.initializers.keys()) {
      this.weights.set(name, { shape: graph.shape(name), data: graph.weight(name) });
    }
  }

  async run(inputs: Record<string, TensorData | Float32Array> | Float32Array): Promise<Record<string, TensorData>> {
    if (!this.arena) throw new ExecutableError('this executable was disposed');
    for (const [name, data] of readInputs(this.inputs, inputs)) this.view(name).data.set(data);
    this.timings = [];
    for (const node of this.graph.nodes) {
      const start = performance.now();
      opDef(node.op).reference(node, node.inputs.map((t) => this.view(t)), node.outputs.map((t) => this.view(t)));
      this.timings.push({ node: node.name, op: node.op, ms: performance.now() - start });
    }
    const out: Record<string, TensorData> = {};
    for (const o of this.outputs) out[o.name] = { shape: o.shape, data: this.view(o.name).data.slice() };
    return out;
  }

  private view(tensor: string): TensorView {
    const v = this.views.get(tensor) ?? this.weights.get(tensor);
    if (!v) throw new ExecutableError(`no storage planned for tensor '${tensor}'`);
    return v;
  }

  profile(): NodeTiming[] {
    return [...this.timings];
  }

  memory(): MemoryReport {
    if (!this.arena) return DISPOSED_MEMORY;
    let weightBytes = 0;
    for (const w of this.weights.values()) weightBytes += w.data.byteLength;
    return { weightBytes, arenaBytes: this.plan.arenaBytes, peakBytes: this.plan.peakBytes, totalBytes: weightBytes + this.plan.arenaBytes };
  }

  info(): BackendInfo {
    return { backend: 'reference', features: [], threads: 1, fallbackNodes: [] };
  }

  dispose(): void {
    this.arena = undefined;
    this.views.clear();
    this.weights.clear();
  }
}
