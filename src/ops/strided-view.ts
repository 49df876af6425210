import type { Shape } from '../graph/graph.js';

/**
 * The layout ops (transpose, slice, split, channel shuffle) as one gather: output element
 * [i0, ..., ik] (row-major, contiguous) is input element `offset + sum(i_d * strides[d])`.
 * Strides are in elements and may be negative (a slice with a negative step). Every
 * backend runs this one description: the reference loop below, one wasm kernel
 * (assembly/layout.ts) and one WGSL kernel (kernels/gather.wgsl).
 */
export interface StridedView {
  readonly dims: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Row-major element strides of a shape. */
export function rowMajorStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  for (let d = shape.length - 1, acc = 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/**
 * The same gather over as few axes as possible: axes of extent 1 dropped, and an axis merged
 * into the one outside it when both walk the input as one run (outer stride = inner stride *
 * inner extent). A pure copy collapses to one axis of stride 1; NCHW channel shuffle to
 * [N, C/g, g, H*W] with H*W-long contiguous rows. Rank 0 becomes one axis of extent 1.
 */
export function collapseView(v: StridedView): StridedView {
  const dims: number[] = [];
  const strides: number[] = [];
  for (let d = v.dims.length - 1; d >= 0; d--) {
    const n = v.dims[d];
    if (n === 1) continue;
    const k = dims.length ? 0 : -1;
    if (k === 0 && strides[0] * dims[0] === v.strides[d]) {
      dims[0] *= n;
    } else {
      dims.unshift(n);
      strides.unshift(v.strides[d]);
    }
  }
  if (!dims.length) return { dims: [1], strides: [1], offset: v.offset };
  return { dims, strides, offset: v.offset };
}

/** y[o] = x[offset + sum(i_d * strides[d])]: the reference gather. */
export function gatherStrided(x: Float32Array, y: Float32Array, v: StridedView): void {
  const rank = v.dims.length;
  const idx = new Array<number>(rank).fill(0);
  const n = y.length;
  let src = v.offset;
  for (let o = 0; o < n; o++) {
    y[o] = x[src];
    for (let d = rank - 1; d >= 0; d--) {
      src += v.strides[d];
      if (++idx[d] < v.dims[d]) break;
      src -= v.strides[d] * v.dims[d];
      idx[d] = 0;
    }
  }
}
