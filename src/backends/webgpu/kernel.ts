import type { Graph, OpType } from '../../graph/graph.js';
import type { NodeOf } from '../../ops/attrs.js';
import type { Param } from '../params.js';
import type { GpuContext } from './device.js';
import type { WgslKernel } from './wgsl.js';

export type { Param };

/**
 * One compute dispatch of a node, described at compile time. Binding 0 is its uniform
 * parameter block (`params`, 4 bytes a field: a number is written as an i32/u32, `{f32}` as
 * an f32), binding 1 the executable's storage buffer. Pipelines are made from
 * (kernel, constants) and shared by every dispatch that asks for the same pair.
 */
export interface Dispatch {
  readonly kernel: WgslKernel;
  /** The shader's override constants (tile sizes, workgroup size, op codes: what changes the compiled code; the fused epilogue is uniform data). */
  readonly constants: Readonly<Record<string, number | boolean>>;
  readonly params: readonly Param[];
  /** Workgroups in x, y, z. */
  readonly workgroups: readonly [number, number, number];
}

/** What a kernel sees while it prepares a node, at compile time. */
export interface GpuKernelContext {
  readonly graph: Graph;
  readonly gpu: GpuContext;
  /**
   * Element offset of a tensor in the storage buffer: an activation in the planned arena,
   * or an initializer (copied into the constants region on first request).
   */
  offset(tensor: string): number;
  /** Workgroups for `invocations` invocations in groups of `size`: [x, y, 1], y > 1 only past the per-dimension limit. */
  grid(invocations: number, size: number): [number, number, number];
  /** The compile option `winograd` (WebgpuCompileOptions): which 3x3 stride-1 convs run by Winograd. */
  readonly winograd: boolean | 'all';
  /** Element offset of the scratch region after the arena, at least every kernel's {@link GpuKernel.scratchFloats} long. */
  readonly scratch: number;
  /** Element offset of a constant the kernel makes (transformed weights): `make` runs once, when the constants are written. */
  constant(length: number, make: () => Float32Array): number;
}

/**
 * The WebGPU backend's kernel for one op (one file per op family in kernels/, listed in
 * register-kernels.ts): the dispatches that compute a node, in order. None when the node
 * has nothing to do (a reshape whose output the planner placed over its input).
 */
export interface GpuKernel<T extends OpType = OpType> {
  readonly op: T;
  /**
   * Whether this kernel runs the node on this device: true, or why not (checked at
   * compile; an unsupported node is an UnsupportedOpError or, with `fallback`, runs on the
   * reference backend). Default: every node of the op.
   */
  supports?(node: NodeOf<T>, graph: Graph, gpu: GpuContext): true | string;
  prepare(node: NodeOf<T>, ctx: GpuKernelContext): Dispatch[];
  /** Floats of scratch a node needs for its step only (Winograd's transformed tiles); the executable holds the largest. */
  scratchFloats?(node: NodeOf<T>, graph: Graph, options: { winograd: boolean | 'all' }): number;
}

/**
 * Invocations per workgroup of the 1-D kernels: a multiple of every vendor's SIMD width,
 * and WebGPU's guaranteed maximum. On SwiftShader each workgroup costs tens of
 * microseconds to schedule, so fewer, larger ones run faster (measured: 64 was slower).
 */
export const WORKGROUP_SIZE = 256;

/** Field-name digits of the per-axis fields of kernels/binary.wgsl and kernels/pad.wgsl (d0..d5, ...). */
type Axis = 0 | 1 | 2 | 3 | 4 | 5;

/**
 * Six per-axis values as a parameter block's numbered fields: `axisFields('d', dims)` is
 * `{ d0: dims[0], ..., d5: dims[5] }` (kernels/params.json lists them as scalars, as the
 * WGSL structs declare them).
 */
export function axisFields<P extends string>(prefix: P, values: readonly number[]): Record<`${P}${Axis}`, number> {
  if (values.length !== 6) throw new Error(`${prefix}0..${prefix}5: ${values.length} values, not 6`);
  return Object.fromEntries(values.map((v, i) => [`${prefix}${i}`, v])) as Record<`${P}${Axis}`, number>;
}
