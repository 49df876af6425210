/**
 * Gemm and MatMul: an `fc` layer when B is a constant, the general `gemm` otherwise; MatMul of
 * N-d tensors is the IR `matmul` (batch axes broadcast), or an fc over the last axis when B is
 * a constant matrix.
 */
import { nodeLabel } from '../attributes.js';
import { spec, toFloat32, type OpHandler, type Step } from '../step.js';

/** Tile edge of {@link transpose2d}: a 32 x 32 tile of the source and of the result stay in L1. */
const TILE = 32;

/**
 * `scale` x the transpose of a rows x cols matrix. Tiled: a plain double loop writes a column
 * of the result per source row and misses the cache on every store. On 6.9M floats of
 * ConvNeXt-T-sized matrices ([768, 3072], [3072, 768], ...), the two alternated in one
 * process: min 44-52 ms tiled against 55-101 ms plain (a loaded machine, 2026-12-01).
 */
export function transpose2d(data: Float32Array, rows: number, cols: number, scale: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const src = r * cols;
        if (scale === 1) for (let c = c0; c < c1; c++) out[c * rows + r] = data[src + c];
        else for (let c = c0; c < c1; c++) out[c * rows + r] = scale * data[src + c];
      }
    }
  }
  return out;
}

/**
 * `beta * C` as an fc bias of length n, when C is a constant that is the same for every
 * row (a scalar, [1], [n] or [1, n]); undefined otherwise (then the general gemm is used).
 */
function rowBias(s: Step, n: number, beta: number): string | undefined {
  if (!s.isConst(2)) return undefined;
  const c = s.konst(2);
  const size = c.data.length;
  const perRow = size === 1 || (size === n && c.shape.length >= 1 && c.shape[c.shape.length - 1] === n && c.shape.length <= 2);
  if (!perRow) return undefined;
  if (beta === 1 && c.data instanceof Float32Array && c.shape.length === 1 && c.shape[0] === n) return s.input(2);
  const v = toFloat32(c, `${s.where}: input '${s.input(2)}'`);
  const bias = new Float32Array(n);
  for (let j = 0; j < n; j++) bias[j] = beta * v[size === 1 ? 0 : j];
  return s.im.addInit(`${s.input(2)}.bias`, [n], bias, true);
}

/** An fc layer y = x W^T + b from a constant B of `Gemm`/`MatMul` ([K, N], or [N, K] if transB). */
function fcFromConstant(s: Step, transB: boolean, alpha: number, bias: string | undefined): void {
  const b = s.konst(1);
  const [r, c] = b.shape;
  let weight = s.input(1);
  if (!transB || alpha !== 1 || !(b.data instanceof Float32Array)) {
    const data = toFloat32(b, `${s.where}: input '${s.input(1)}'`);
    const w = transB ? data.map((v) => alpha * v) : transpose2d(data, r, c, alpha);
    weight = s.im.addInit(`${s.input(1)}.fc`, transB ? [r, c] : [c, r], w, true);
  }
  s.emit('fc', bias ? [s.input(0), weight, bias] : [s.input(0), weight], {});
}

/**
 * A constant 2-D weight applied over the last axis of an N-d input (a Linear on channels-last
 * data, ConvNeXt's MLP): the leading axes flattened into rows, one fc, then the N-d shape
 * back. Both reshapes are views, so it runs as fast as fc.
 */
function linearOverLastAxis(s: Step, a: readonly number[], b: readonly number[]): void {
  const label = nodeLabel(s.msg);
  const rows = s.im.freshTensorName(`${s.input(0)}.rows`);
  s.im.addNode(`${label}.rows`, 'reshape', [s.input(0)], rows, { shape: [-1, a[a.length - 1]], allowzero: false }, [], s.where);
  const data = toFloat32(s.konst(1), `${s.where}: input '${s.input(1)}'`);
  const weight = s.im.addInit(`${s.input(1)}.fc`, [b[1], b[0]], transpose2d(data, b[0], b[1], 1), true);
  const y = s.im.freshTensorName(`${label}.fc`);
  s.im.addNode(label, 'fc', [rows, weight], y, {}, [], s.where);
  s.emit('reshape', [y], { shape: [...a.slice(0, -1), b[1]], allowzero: false });
}

export const gemm: OpHandler = {
  inputs: () => spec('A B C', 2),
  run: (s) => {
    const transA = s.attrs.int('transA', 0) === 1;
    const transB = s.attrs.int('transB', 0) === 1;
    const alpha = s.attrs.float('alpha', 1);
    const beta = s.attrs.float('beta', 1);
    const a = s.shape(0);
    const b = s.shape(1);
    if (a.length !== 2 || b.length !== 2) {
      return s.invalid(`inputs A '${s.input(0)}' and B '${s.input(1)}' must be 2-D matrices, found shapes [${a.join(', ')}] and [${b.join(', ')}]`);
    }
    if (s.isConst(1) && !transA) {
      const bias = s.has(2) ? rowBias(s, transB ? b[0] : b[1], beta) : undefined;
      if (!s.has(2) || bias) return fcFromConstant(s, transB, alpha, bias);
    }
    const inputs = s.has(2) ? [s.input(0), s.input(1), s.input(2)] : [s.input(0), s.input(1)];
    s.emit('gemm', inputs, { alpha, beta, transA, transB });
  },
};

export const matmul: OpHandler = {
  inputs: () => spec('A B'),
  run: (s) => {
    const a = s.shape(0);
    const b = s.shape(1);
    if (a.length === 2 && b.length === 2) {
      if (s.isConst(1)) return fcFromConstant(s, false, 1, undefined);
      return s.emit('gemm', [s.input(0), s.input(1)], { alpha: 1, beta: 0, transA: false, transB: false });
    }
    if (a.length > 2 && b.length === 2 && s.isConst(1) && a[a.length - 1] === b[0]) return linearOverLastAxis(s, a, b);
    s.emit('matmul', [s.input(0), s.input(1)], {});
  },
};
