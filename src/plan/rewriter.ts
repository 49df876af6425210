/**
 * The Rewriter and the few helpers every graph pass shares (optimizeGraph's generic passes
 * and the pattern recognisers of recognise-*.ts, channels-first.ts and fold-layer-constants.ts):
 * one module so no pass keeps its own copy of "who reads this tensor" or "is this a scalar".
 */
import type { Graph, Initializer, Node } from '../graph/graph.js';
import { sizeOf } from '../graph/graph.js';

/**
 * The nodes of a graph being rewritten, with who produces and who reads each tensor kept
 * up to date, so every query and every rewrite costs O(degree), not O(nodes): the passes
 * are linear in the size of the graph.
 */
export class Rewriter {
  private readonly slots: (Node | undefined)[];
  private readonly producers = new Map<string, number>();
  private readonly readerSets = new Map<string, Set<number>>();

  constructor(nodes: readonly Node[]) {
    this.slots = [...nodes];
    this.slots.forEach((n, i) => this.link(i, n!));
  }

  /** Indices of the live nodes of an op, in order (taken once: a pass may remove some as it goes). */
  indicesOf(...ops: string[]): number[] {
    const out: number[] = [];
    this.slots.forEach((n, i) => n && ops.includes(n.op) && out.push(i));
    return out;
  }

  node(i: number): Node | undefined {
    return this.slots[i];
  }

  /** The node whose first output is `t`. */
  producer(t: string): number | undefined {
    return this.producers.get(t);
  }

  readers(t: string): ReadonlySet<number> {
    return this.readerSets.get(t) ?? EMPTY;
  }

  replace(i: number, n: Node): void {
    this.unlink(i, this.slots[i]!);
    this.slots[i] = n;
    this.link(i, n);
  }

  remove(i: number): void {
    this.unlink(i, this.slots[i]!);
    this.slots[i] = undefined;
  }

  nodes(): Node[] {
    return this.slots.filter((n): n is Node => n !== undefined);
  }

  private link(i: number, n: Node): void {
    if (n.outputs.length) this.producers.set(n.outputs[0], i);
    for (const t of n.inputs) {
      let s = this.readerSets.get(t);
      if (!s) this.readerSets.set(t, (s = new Set()));
      s.add(i);
    }
  }

  private unlink(i: number, n: Node): void {
    if (n.outputs.length && this.producers.get(n.outputs[0]) === i) this.producers.delete(n.outputs[0]);
    for (const t of n.inputs) this.readerSets.get(t)?.delete(i);
  }
}

const EMPTY: ReadonlySet<number> = new Set();

/** What a pass that rewrites constants shares with optimizeGraph. */
export interface PassContext {
  readonly g: Rewriter;
  readonly graph: Graph;
  readonly outputs: ReadonlySet<string>;
  readonly inits: Map<string, Initializer>;
  readonly values: (name: string) => Float32Array;
  readonly freshName: (base: string) => string;
}

/** The value of a one-element initializer, else undefined. */
export function scalarInit(inits: ReadonlyMap<string, Initializer>, t: string, values: (name: string) => ArrayLike<number>): number | undefined {
  const init = inits.get(t);
  return init && sizeOf(init.shape) === 1 ? values(t)[0] : undefined;
}

/** The node reading `t`, when it is the only one and `t` is not a graph output. */
export function onlyReader(g: Rewriter, outputs: ReadonlySet<string>, t: string): number | undefined {
  const r = g.readers(t);
  return r.size === 1 && !outputs.has(t) ? [...r][0] : undefined;
}

export const sameDims = (u: readonly number[], v: readonly number[]) => u.length === v.length && u.every((d, k) => d === v[k]);
