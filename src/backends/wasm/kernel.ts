import type { Graph, Node, OpType } from '../../graph/graph.js';
import type { NodeOf } from '../../ops/attrs.js';
import type { ParallelKernel } from './thread-pool.js';

import type { Param } from '../params.js';

export type { Param };

/** Functions exported by the kernels module: each takes a pointer to its parameter block. */
export type KernelExports = Record<string, (params: number) => void>;

/**
 * What a kernel sees while it prepares a node, at compile time. Memory may grow during
 * compile; after compile it never does, so a prepared step can keep the offsets it got.
 */
export interface KernelContext {
  readonly graph: Graph;
  readonly exports: KernelExports;
  /** Byte offset of a tensor: an activation in the arena, or an initializer (copied in as it is on first request). */
  ptr(tensor: string): number;
  /**
   * An initializer's values to pack now: valid only until the kernel's prepare returns. Values
   * not yet decoded or derived are made in a staging buffer reused from node to node, not in
   * a new array each (cold start: no fresh memory to fault in per weight).
   */
  weight(name: string): Float32Array;
  /** Copies data into the module's memory (16-byte aligned); returns its byte offset. */
  upload(data: Float32Array): number;
  /**
   * Reserves `floats` of weights (counted as weights, 16-byte aligned, zeroed) and hands them to
   * `pack` as a view, so a kernel packs or transforms its weights straight into the module's
   * memory: no temporary array of their size and no second copy (cold start, peak memory).
   */
  uploadPacked(floats: number, pack: (into: Float32Array) => void): number;
  /** Reserves bytes (16-byte aligned, zeroed); returns the offset. */
  alloc(bytes: number): number;
  /** Writes a parameter block (field i = params[i]); returns its byte offset. */
  params(values: readonly Param[]): number;
  /** Byte offset of thread 0's scratch area, at least `scratchBytes` of every kernel long. */
  readonly scratch: number;
  /** Threads that run parallel kernels (1 when single-threaded). */
  readonly threads: number;
  /**
   * Whether 3x3 stride-1 convs run by Winograd: where their shape makes it pay (true, the
   * default), never (false), or wherever it applies ('all': benchmarks and tests of the
   * kernel). The compile option `winograd`.
   */
  readonly winograd: boolean | 'all';
  /** Byte offset of thread t's own scratch area. */
  scratchOf(thread: number): number;
  /** Byte offset of thread t's share of a node's workspace (OpDef.workspace), planned in the arena for the node's step. */
  workspace(node: Node, thread: number): number;
  /**
   * Runs a parallel kernel: parameter block t on thread t (one block per thread, block 0 on
   * the calling thread), returning when all are done.
   */
  parallel(fn: ParallelKernel, blocks: readonly number[]): void;
  /** A Float32Array over the module's memory (re-made on each call: memory may have grown). */
  f32(): Float32Array;
}

/** A prepared node: what to call at run time. */
export type Step = () => void;

/**
 * The wasm backend's kernel for one op (one file per op in kernels/, listed in
 * register-kernels.ts), as tfjs-backend-wasm registers kernels.
 */
export interface WasmKernel<T extends OpType = OpType> {
  readonly op: T;
  /** Scratch bytes per thread the node needs while it runs on `threads` threads (shared by all nodes; default 0). */
  scratchBytes?(node: NodeOf<T>, graph: Graph, threads: number): number;
  /**
   * Whether this kernel runs the node: true, or why not (checked at compile, before
   * anything is allocated; an unsupported node is an UnsupportedOpError or, with
   * `fallback`, runs on the reference backend). Default: every node of the op.
   */
  supports?(node: NodeOf<T>, graph: Graph): true | string;
  /**
   * Bytes `prepare` reserves for the node's weights beyond their size as they are (Winograd's
   * 36 transformed values for 9); default 0. The memory is made at its final size from this,
   * before compile, rather than grown weight by weight (cold start).
   */
  extraWeightBytes?(node: NodeOf<T>, graph: Graph, winograd: boolean | 'all'): number;
  /** Packs weights, writes parameter blocks, and returns the step to run. */
  prepare(node: NodeOf<T>, ctx: KernelContext): Step;
}
