import type { Graph } from '../graph/graph.js';
import { liveness, type LivenessOptions } from './liveness.js';

/** One arena buffer: the tensors that share it (in-place chains) and where it lives. */
export interface PlannedBuffer {
  /** The tensor that owns the buffer; in-place outputs alias it. */
  readonly owner: string;
  readonly tensors: readonly string[];
  readonly bytes: number;
  /** Byte offset in the arena (a multiple of {@link ALIGN}). */
  readonly offset: number;
  /** First and last step (node index) the buffer is live; -1 = before the first node. */
  readonly first: number;
  readonly last: number;
}

export interface MemoryPlan {
  readonly buffers: readonly PlannedBuffer[];
  /** Byte offset of every activation tensor (graph inputs, node outputs). */
  readonly offsets: ReadonlyMap<string, number>;
  /** Byte offset of each fused node's workspace (thread t's at offset + t * its bytes / threads), by node name. */
  readonly workspaces: ReadonlyMap<string, number>;
  /** Arena size: the largest end offset. At least the liveness peak; equal when nothing fragments. */
  readonly arenaBytes: number;
  /** The liveness peak: the lower bound any plan must meet. */
  readonly peakBytes: number;
}

/** Offsets are 16-byte aligned so SIMD kernels can load whole vectors. */
export const ALIGN = 16;

/**
 * Places every activation tensor in one arena. Buffers come from the liveness analysis
 * (an in-place chain shares one buffer); they are placed greedily, largest first, at the
 * lowest offset that overlaps no buffer live at the same time ("greedy by size", as in
 * TensorFlow Lite's arena planner).
 */
export function planMemory(graph: Graph, options: LivenessOptions = {}): MemoryPlan {
  const live = liveness(graph, options);
  const workspaceOwners = new Map(live.lifetimes.filter((t) => t.workspaceOf).map((t) => [t.tensor, t.workspaceOf!]));
  const groups = new Map<string, { tensors: string[]; bytes: number; first: number; last: number }>();
  for (const t of live.lifetimes) {
    const owner = t.aliasOf ?? t.tensor;
    const g = groups.get(owner) ?? { tensors: [], bytes: 0, first: Infinity, last: -Infinity };
    g.tensors.push(t.tensor);
    g.bytes = Math.max(g.bytes, t.bytes);
    g.first = Math.min(g.first, t.first);
    g.last = Math.max(g.last, t.last);
    groups.set(owner, g);
  }
  const order = [...groups.entries()].sort((a, b) => b[1].bytes - a[1].bytes || a[1].first - b[1].first);
  const placed: PlannedBuffer[] = [];
  const byTime = new TimeBuckets(graph.nodes.length);
  for (const [owner, g] of order) {
    const overlapping = byTime.overlapping(g.first, g.last).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of overlapping) {
      if (offset + g.bytes <= p.offset) break;
      offset = Math.max(offset, align(p.offset + p.bytes));
    }
    const b: PlannedBuffer = { owner, tensors: g.tensors, bytes: g.bytes, offset, first: g.first, last: g.last };
    placed.push(b);
    byTime.add(b);
  }
  const offsets = new Map<string, number>();
  const workspaces = new Map<string, number>();
  for (const b of placed) {
    const node = workspaceOwners.get(b.owner);
    if (node !== undefined) workspaces.set(node, b.offset);
    else for (const t of b.tensors) offsets.set(t, b.offset);
  }
  const arenaBytes = placed.reduce((m, b) => Math.max(m, b.offset + align(b.bytes)), 0);
  return { buffers: placed, offsets, workspaces, arenaBytes, peakBytes: live.peakBytes };
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/**
 * Placed buffers indexed by the steps they are live in, in buckets of {@link BUCKET} steps,
 * so finding those live at the same time as a new one reads only the buckets its lifetime
 * touches: planning a long chain is linear, not quadratic, in its length.
 */
class TimeBuckets {
  private readonly buckets: PlannedBuffer[][];
  constructor(steps: number) {
    // Steps run from -1 (before the first node) to `steps` (graph outputs, after the last).
    this.buckets = Array.from({ length: Math.floor((steps + 1) / BUCKET) + 1 }, () => []);
  }
  private bucket(step: number): number {
    return Math.floor((step + 1) / BUCKET);
  }
  add(b: PlannedBuffer): void {
    for (let k = this.bucket(b.first); k <= this.bucket(b.last); k++) this.buckets[k].push(b);
  }
  /** The placed buffers whose lifetime overlaps [first, last], each once. */
  overlapping(first: number, last: number): PlannedBuffer[] {
    const out = new Set<PlannedBuffer>();
    for (let k = this.bucket(first); k <= this.bucket(last); k++) {
      for (const p of this.buckets[k]) if (p.first <= last && first <= p.last) out.add(p);
    }
    return [...out];
  }
}

const BUCKET = 32;
