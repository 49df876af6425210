/**
 * The op cases every backend's kernels are held to (test/wasm-kernels.test.ts,
 * test/webgpu-kernels.test.ts): small graph builders, seeded inputs, the comparison against
 * the reference backend's outputs, and the case tables, each picked for the edge shapes and
 * attributes that break kernels (odd sizes and widths not divisible by 4, ceil mode,
 * dilation, asymmetric and negative pads, both count_include_pad rules, broadcasting of rank
 * 0..6, softmax on every axis, LRN of odd and even size, gemm with every transpose, in-place
 * chains, 1x1 inputs), and defineOpCaseSuites, which declares the tests over all of them
 * for one backend. A case added here runs on every backend; one a backend cannot pass
 * stays in its own test file, with the reason.
 */
import { describe, expect } from 'vitest';
import type { TensorData } from '../../src/backends/backend.js';
import { ExecutableError } from '../../src/graph/errors.js';
import type { Graph, Initializer, Node, OpType, Shape } from '../../src/graph/graph.js';
import { finalizeGraph } from '../../src/graph/validate.js';
import { mulberry32 } from '../../src/graph/weight-init.js';
import { planMemory } from '../../src/plan/memory-planner.js';

/** A node's attributes. */
export type Attrs = Record<string, unknown>;

// ---------------------------------------------------------------------------------------
// Graph builders

/** A node named after its one output. */
export const node = (name: string, op: OpType, inputs: string[], attrs: Attrs = {}): Node => ({ name, op, inputs, outputs: [name], attrs, layer: name });

/** A seeded constant tensor. */
export const constant = (name: string, shape: Shape, low = -1, high = 1): Initializer => ({
  name, shape, trainable: true, init: { seed: name.length * 7919 + shape.length, low, high },
});

/** A graph of the given inputs, nodes, outputs (by default the last node's) and constants. */
export function graphOf(inputs: Record<string, Shape>, nodes: Node[], outputs = [nodes[nodes.length - 1].name], inits: Initializer[] = []): Graph {
  return finalizeGraph('t', Object.entries(inputs).map(([name, shape]) => ({ name, shape })), outputs, nodes, new Map(inits.map((i) => [i.name, i])));
}

/** One node `y` over graph inputs x0, x1, ... and the given constants. */
export function single(op: OpType, shapes: Shape[], attrs: Attrs = {}, inits: Initializer[] = []): Graph {
  const inputs = Object.fromEntries(shapes.map((s, i) => [`x${i}`, s]));
  return graphOf(inputs, [node('y', op, [...Object.keys(inputs), ...inits.map((i) => i.name)], attrs)], ['y'], inits);
}

/** Max/avg pool attributes: dilation 1 and floor mode unless `extra` says otherwise. */
export const pool = (kernel: number[], stride: number[], pads: number[], extra: Attrs = {}): Attrs => ({
  kernel, stride, pads, dilation: [1, 1], ceilMode: false, ...extra,
});

/** `[2, 3, 4]`, for test names. */
export const dims = (shape: Shape): string => `[${shape.join(', ')}]`;

// ---------------------------------------------------------------------------------------
// Inputs and comparison

export interface AgreeOptions {
  low?: number;
  high?: number;
  seed?: number;
  /** Bit-exact (NaN matching NaN, infinities themselves): max pooling and copies. */
  exact?: boolean;
  /** Edits the seeded inputs (to plant NaN and infinities). */
  edit?: (name: string, data: Float32Array) => void;
}

/** Seeded inputs in [low, high) for every graph input, passed through `edit`. */
export function seededFeeds(g: Graph, { low = -2, high = 2, seed = 3, edit }: AgreeOptions = {}): Record<string, Float32Array> {
  const next = mulberry32(seed);
  return Object.fromEntries(
    g.inputs.map((i) => {
      const data = Float32Array.from({ length: i.shape.reduce((a, b) => a * b, 1) }, () => low + (high - low) * next());
      edit?.(i.name, data);
      return [i.name, data];
    }),
  );
}

/**
 * Expects every output of `got` to have the reference's shape and to match it: bit for bit
 * when `exact`, else a finite reference and a max |error| of at most `bound(max |reference|)`.
 */
export function expectOutputsAgree(
  outputs: readonly string[], got: Record<string, TensorData>, want: Record<string, TensorData>,
  bound: (maxRef: number) => number, exact = false,
): void {
  for (const name of outputs) {
    const a = got[name].data;
    const b = want[name].data;
    expect(got[name].shape).toEqual(want[name].shape);
    if (exact) {
      const bad = [...b.keys()].filter((i) => !(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i]))));
      expect(bad.slice(0, 5).map((i) => `${name}[${i}]: got ${a[i]}, want ${b[i]}`)).toEqual([]);
      continue;
    }
    let maxRef = 0;
    let maxErr = 0;
    for (let i = 0; i < b.length; i++) {
      maxRef = Math.max(maxRef, Math.abs(b[i]));
      maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
    }
    expect(b.every(Number.isFinite), `${name}: reference finite`).toBe(true);
    expect(maxErr, `${name}: max |error| against max |reference| ${maxRef}`).toBeLessThanOrEqual(bound(maxRef));
  }
}

// ---------------------------------------------------------------------------------------
// Pooling

/** Max and avg pooling (avg under both count_include_pad rules): label, input shape, attributes. */
export const POOL_CASES: readonly (readonly [string, Shape, Attrs])[] = [
  ['3x3 s2', [1, 3, 7, 7], pool([3, 3], [2, 2], [0, 0, 0, 0])],
  ['3x3 s2, ceil, asymmetric pads, batch 2', [2, 5, 9, 10], pool([3, 3], [2, 2], [1, 0, 2, 1], { ceilMode: true })],
  ['2x2 s1, width 13', [1, 6, 5, 13], pool([2, 2], [1, 1], [0, 0, 0, 0])],
  ['2x2 s2, ceil, odd sides', [2, 3, 11, 21], pool([2, 2], [2, 2], [0, 0, 0, 0], { ceilMode: true })],
  ['3x3 s1 pad 1, width 17', [1, 2, 6, 17], pool([3, 3], [1, 1], [1, 1, 1, 1])],
  ['3x3 s3, ceil, pads 1', [1, 3, 10, 11], pool([3, 3], [3, 3], [1, 1, 1, 1], { ceilMode: true })],
  ['1x3 s(1,2), pads (0,1,0,2)', [1, 5, 4, 19], pool([1, 3], [1, 2], [0, 1, 0, 2])],
  ['5x5 s2 pad 2, wide row', [1, 1, 9, 40], pool([5, 5], [2, 2], [2, 2, 2, 2])],
  // Dilated (PyTorch MaxPool2d_stride_padding_dilation); avg keeps the reference divisor.
  ['3x3 s2 pad 1, dilation 2', [2, 3, 12, 13], pool([3, 3], [2, 2], [1, 1, 1, 1], { dilation: [2, 2] })],
  ['2x3 s(1,2), dilation (3,2), ceil', [1, 4, 9, 9], pool([2, 3], [1, 2], [1, 0, 0, 2], { dilation: [3, 2], ceilMode: true })],
  ['3x2 s(2,1), dilation (2,3), ceil', [1, 3, 10, 9], pool([3, 2], [2, 1], [2, 1, 1, 0], { dilation: [2, 3], ceilMode: true })],
  ['1x1 input', [2, 3, 1, 1], pool([1, 1], [1, 1], [0, 0, 0, 0])],
  ['1x1 input, pads 1, k2', [1, 2, 1, 1], pool([2, 2], [1, 1], [1, 1, 0, 0])],
];

/** Windows wholly in the padding: maxpool gives -Infinity, avgpool with countIncludePad 0. */
export const PADDING_ONLY_WINDOWS = { shape: [1, 2, 3, 4] as Shape, attrs: pool([2, 2], [1, 1], [2, 2, 2, 2]) };

/**
 * Max pooling over NaN and -Infinity: NaN wins, -Infinity is a value, padding never wins.
 * Each case runs with `edit` planting the values, bit-exact.
 */
export const MAXPOOL_SPECIAL_VALUES = {
  edit: (_: string, d: Float32Array): void => {
    d.fill(-Infinity, 0, 20); // a corner of plane 0 all -Infinity: windows there stay -Infinity
    d[40] = NaN;
    d[77] = NaN;
    d[d.length - 1] = NaN;
    d[100] = Infinity;
  },
  cases: [
    single('maxpool', [[1, 2, 7, 9]], pool([3, 3], [2, 2], [1, 1, 1, 1], { ceilMode: true })),
    single('maxpool', [[1, 2, 7, 9]], pool([2, 2], [1, 1], [1, 1, 1, 1], { dilation: [2, 2] })),
  ],
  /** All negative (inputs in [-3, -1)): a zero from the padding would win if padding counted. */
  allNegative: single('maxpool', [[1, 3, 5, 5]], pool([3, 3], [1, 1], [1, 1, 1, 1])),
};

export const GLOBAL_POOL_OPS = ['globalavgpool', 'globalmaxpool'] as const;
export const GLOBAL_POOL_SHAPES: readonly Shape[] = [[2, 5, 7, 7], [1, 3, 1, 1], [1, 6, 3, 5], [1, 4, 17, 19], [3, 2, 2, 4]];

/** Global max pooling of planes holding -Infinity (plane 0, all of it) and NaN (planes 1, 2); bit-exact. */
export const GLOBALMAXPOOL_SPECIAL_VALUES = {
  graph: single('globalmaxpool', [[1, 4, 9, 11]]),
  edit: (_: string, d: Float32Array): void => {
    d.fill(-Infinity, 0, 99); // plane 0
    d[99 + 98] = NaN; // plane 1, last value
    d[2 * 99 + 3] = NaN; // plane 2
  },
};

// ---------------------------------------------------------------------------------------
// Elementwise, copies, normalization

/** Activations, each over every shape of ACTIVATION_SHAPES (ranks 1..5), inputs in [-8, 8). */
export const ACTIVATION_SHAPES: readonly Shape[] = [[2, 3, 5, 7], [1, 1], [37], [4, 16], [1, 2, 3, 2, 5], [2, 7, 1, 1]];
export const ACTIVATION_OPS: readonly (readonly [OpType, Attrs])[] = [
  ['relu', {}], ['clip', { min: -0.5, max: 1 }], ['clip', { min: 0, max: 6 }], ['leakyrelu', { alpha: 0.1 }],
  ['leakyrelu', { alpha: -2 }], ['tanh', {}], ['sigmoid', {}],
];
/** Input ranges for sigmoid and tanh on [3, 33]: saturated, near 0, moderate. */
export const SATURATION_RANGES: readonly AgreeOptions[] = [{ low: -120, high: 120 }, { low: -1e-3, high: 1e-3 }, { low: -0.3, high: 0.3 }];

/** Ops that copy (or, in place, do nothing): op, input shape, attributes. */
export const COPY_CASES: readonly (readonly [OpType, Shape, Attrs])[] = [
  ['dropout', [2, 3, 5], { ratio: 0.5 }], ['identity', [7], {}], ['flatten', [2, 3, 4, 5], { axis: 1 }],
  ['flatten', [2, 3, 4, 5], { axis: 0 }], ['flatten', [2, 3, 4, 5], { axis: 3 }], ['reshape', [2, 3, 4, 5], { shape: [0, -1, 5] }],
  ['reshape', [6, 1], { shape: [2, 3] }],
];

/**
 * A copy op whose input is read again later (by `z = x * x`), so its output `y` cannot take
 * the input's buffer and must be copied.
 */
export const copiedGraph = (op: OpType, shape: Shape, attrs: Attrs): Graph =>
  graphOf({ x: shape }, [node('y', op, ['x'], attrs), node('z', 'mul', ['x', 'x'])], ['y', 'z']);

export const BATCHNORM_SHAPES: readonly Shape[] = [[2, 6, 5, 5], [3, 5], [2, 4, 7], [1, 3, 2, 3, 4], [1, 9, 1, 1]];
/** Constant scale, bias, mean and (positive) variance for `c` channels, named `${k}.scale` etc. */
export const batchnormStats = (c: number, k: string): Initializer[] => [
  constant(`${k}.scale`, [c], 0.5, 1.5), constant(`${k}.bias`, [c], -0.5, 0.5), constant(`${k}.mean`, [c], -0.3, 0.3), constant(`${k}.var`, [c], 0.2, 2),
];
/** Batchnorm with its statistics fed as inputs (as ONNX tests do); inputs in [0.1, 2). */
export const batchnormFedStats = (): Graph => single('batchnorm', [[2, 3, 4, 5], [3], [3], [3], [3]], { epsilon: 1e-3 });

export const LRN_CASES: readonly (readonly [Shape, Attrs])[] = [
  [[2, 7, 5, 5], { size: 5, alpha: 1e-4, beta: 0.75, bias: 2 }],
  [[1, 6, 3, 3], { size: 3, alpha: 0.5, beta: 0.5, bias: 1 }],
  [[1, 5, 2, 3], { size: 4, alpha: 2, beta: 0.75, bias: 1 }],
  [[1, 3, 1, 1], { size: 7, alpha: 1, beta: 1.3, bias: 0.5 }],
  [[2, 10, 4, 6], { size: 5, alpha: 0.3, beta: 0.75, bias: 1 }],
];

/** Softmax on every axis, with and without coerce2d; inputs in [-20, 20). */
export const SOFTMAX_CASES: readonly (readonly [Shape, Attrs])[] = [
  [[3, 10], { axis: 1 }], [[2, 3, 4, 5], { axis: 0 }], [[2, 3, 4, 5], { axis: 1 }], [[2, 3, 4, 5], { axis: 2 }],
  [[2, 3, 4, 5], { axis: 3 }], [[2, 3, 4, 5], { axis: 1, coerce2d: true }], [[2, 3, 4, 5], { axis: 2, coerce2d: true }],
  [[2, 3, 4, 5], { axis: 0, coerce2d: true }], [[5], { axis: 0 }], [[1, 1000], { axis: 1 }], [[2, 3, 7], { axis: 1 }],
  [[1, 1], { axis: 1 }], [[2, 9, 1, 1], {}],
];

// ---------------------------------------------------------------------------------------
// Broadcasting (add, mul)

export const BINARY_OPS = ['add', 'mul'] as const;

/** Operand shapes for add and mul: equal, scalar, rank 0, per-channel, both sides broadcast, rank 6. */
export const BROADCAST_PAIRS: readonly (readonly [Shape, Shape])[] = [
  [[2, 3, 4, 5], [2, 3, 4, 5]], [[2, 3, 4, 5], [3, 1, 1]], [[1], [2, 3]], [[2, 3, 4, 5], [1]], [[1], [2, 3, 4, 5]],
  [[2, 3, 4, 5], []], [[2, 6, 5, 7], [6, 1, 1]], [[2, 6, 5, 7], [1, 6, 1, 1]], [[2, 6, 5, 7], [7]], [[3, 1, 5], [1, 4, 1]],
  [[4, 1], [3]], [[2, 3, 4, 5, 6], [3, 1, 5, 1]], [[2, 3, 2, 3, 2, 3], [2, 1, 2, 1, 2, 1]], [[1, 1], [1, 1]],
  [[5, 1, 1, 1], [1, 1, 1, 9]], [[2, 6, 1, 1], [2, 6, 3, 3]], [[2, 1, 6], [2, 3, 1]],
];

/** `op` with a constant per-channel second operand. */
export const constantSecondOperand = (op: OpType): Graph => single(op, [[2, 5, 3, 3]], {}, [constant('w', [5, 1, 1])]);
/** `op` with a constant first operand. */
export const constantFirstOperand = (op: OpType): Graph => graphOf({ x: [2, 3, 4] }, [node('y', op, ['w', 'x'])], ['y'], [constant('w', [3, 1])]);

/** A broadcast needing 7 axes, which a backend must refuse (ExecutableError) at compile time. */
export const broadcastBeyondSixAxes = (): Graph => single('add', [[2, 3, 2, 3, 2, 3, 2], [2, 1, 2, 1, 2, 1, 2]]);

// ---------------------------------------------------------------------------------------
// Chains

/** add -> relu -> batchnorm -> clip -> softmax; `shared` are the tensors that must share one buffer. */
export function inPlaceChain(): { graph: Graph; shared: string[] } {
  const c = 6;
  const graph = graphOf({ a: [2, c, 3, 5], b: [2, c, 3, 5] }, [
    node('s', 'add', ['a', 'b']), node('r', 'relu', ['s']), node('n', 'batchnorm', ['r', 'sc', 'bi', 'me', 'va'], { epsilon: 1e-5 }),
    node('k', 'clip', ['n'], { min: -1, max: 2 }), node('y', 'softmax', ['k'], { axis: 1 }),
  ], ['y'], [constant('sc', [c]), constant('bi', [c]), constant('me', [c]), constant('va', [c], 0.5, 1)]);
  return { graph, shared: ['a', 's', 'r', 'n', 'k', 'y'] };
}

/** mul -> leakyrelu -> tanh -> sigmoid -> add (residual) on a 1x1 input. */
export const residualChainOn1x1 = (): Graph => graphOf({ a: [3, 4, 1, 1], b: [4, 1, 1] }, [
  node('m', 'mul', ['a', 'b']), node('l', 'leakyrelu', ['m'], { alpha: 0.2 }), node('t', 'tanh', ['l']),
  node('s', 'sigmoid', ['t']), node('y', 'add', ['s', 'a']),
]);

/** mul -> lrn -> maxpool -> pad -> globalavgpool -> flatten -> gemm, with the pad's output an output too. */
export const poolingChain = (): Graph => graphOf({ a: [2, 4, 6, 6], b: [4, 1, 1] }, [
  node('m', 'mul', ['a', 'b']), node('l', 'lrn', ['m'], { size: 3, alpha: 0.1, beta: 0.75, bias: 1 }),
  node('p', 'maxpool', ['l'], pool([2, 2], [2, 2], [0, 0, 0, 0])), node('q', 'pad', ['p'], { pads: [0, 0, 1, 0, 0, 0, 0, 1], value: 0.5 }),
  node('g', 'globalavgpool', ['q']), node('f', 'flatten', ['g'], { axis: 1 }),
  node('y', 'gemm', ['f', 'W', 'C'], { alpha: 1, beta: 1, transA: false, transB: true }),
], ['y', 'q'], [constant('W', [3, 4]), constant('C', [3])]);

// ---------------------------------------------------------------------------------------
// Concat, pad, gemm

/** Input shapes and axis. */
export const CONCAT_CASES: readonly (readonly [Shape[], number])[] = [
  [[[2, 3, 4, 5], [2, 1, 4, 5], [2, 6, 4, 5]], 1], [[[1, 3, 4, 5], [2, 3, 4, 5]], 0], [[[2, 3, 1, 5], [2, 3, 3, 5], [2, 3, 2, 5]], 2],
  [[[2, 3, 4, 1], [2, 3, 4, 7]], 3], [[[3], [5], [1]], 0], [[[4, 2], [4, 3]], 1],
];
/** Concat of an input twice and a constant. */
export const concatInputTwiceAndConstant = (): Graph => graphOf({ x: [1, 2, 3] }, [node('y', 'concat', ['x', 'c', 'x'], { axis: 1 })], ['y'], [constant('c', [1, 4, 3])]);

/** Input shape, ONNX pads (begins then ends, negative crops), value. */
export const PAD_CASES: readonly (readonly [Shape, number[], number])[] = [
  [[1, 3, 4, 5], [0, 0, 1, 2, 0, 0, 2, 1], 0], [[2, 3, 4, 5], [0, 0, 1, 1, 0, 0, 1, 1], 1.5],
  [[1, 3, 4, 5], [0, 0, -1, 1, 0, 0, 1, -2], 0], [[7], [2, 3], -1], [[2, 3, 4], [1, 2, 0, 0, 1, 3], 2],
  [[2, 3, 4, 5], [1, 0, 0, 0, 1, 0, 0, 0], 0], [[2, 3, 6, 5], [0, -1, -2, -1, 0, 0, -1, -3], 0],
  [[1, 2, 3, 2, 3], [0, 1, 0, 1, 0, 0, 1, 0, 2, 1], 0.5], [[2, 3], [0, 0, 0, 0], 0],
  [[2, 1, 3, 2, 2, 3], [1, 0, -1, 0, 1, 1, 0, 2, 0, 1, -1, -1], -2.5],
];

/** M, K, N, attributes, shape of C (none: no C). */
export const GEMM_CASES: readonly (readonly [number, number, number, Attrs, Shape | undefined])[] = [
  [3, 5, 37, { alpha: 1, beta: 1, transA: false, transB: false }, [3, 37]],
  [4, 7, 3, { alpha: 0.5, beta: 2, transA: true, transB: false }, [3]],
  [2, 6, 21, { alpha: 1, beta: 1, transA: false, transB: true }, [2, 1]],
  [5, 4, 19, { alpha: -1.5, beta: 0.25, transA: true, transB: true }, [1]],
  [1, 9, 64, { alpha: 1, beta: 0, transA: false, transB: false }, undefined],
  [6, 1, 4, { alpha: 1, beta: 1, transA: false, transB: true }, [1, 4]],
  [1, 1, 1, { alpha: 2, beta: 3, transA: true, transB: true }, []],
  [7, 13, 5, { alpha: 0.75, beta: -1, transA: true, transB: false }, [7, 5]],
  [3, 11, 2, { alpha: 1, beta: 1, transA: true, transB: true }, undefined],
];

export const gemmLabel = ([M, K, N, attrs, cShape]: (typeof GEMM_CASES)[number]): string =>
  `gemm M=${M} K=${K} N=${N} ${JSON.stringify(attrs)} C ${cShape ? dims(cShape) : 'none'}`;

/** A gemm case twice: all operands inputs, then B (and C) constant, as an imported MatMul with weights would have them. */
export function gemmGraphs([M, K, N, attrs, cShape]: (typeof GEMM_CASES)[number]): Graph[] {
  const a: Shape = attrs.transA ? [K, M] : [M, K];
  const b: Shape = attrs.transB ? [N, K] : [K, N];
  const inits = [constant('B', b), ...(cShape ? [constant('C', cShape)] : [])];
  return [single('gemm', cShape ? [a, b, cShape] : [a, b], attrs), single('gemm', [a], attrs, inits)];
}

// ---------------------------------------------------------------------------------------
// The tests

export interface OpCaseSuiteOptions {
  /** Prefix of the describe blocks: 'wasm', 'webgpu'. */
  backend: string;
  /** Declares a test: vitest's `it`, or one that skips when the backend has no device. */
  test: (name: string, fn: () => Promise<unknown>) => void;
  /** Runs the graph on the backend and on the reference backend, and expects them to agree. */
  agree: (g: Graph, options?: AgreeOptions) => Promise<void>;
  /** Compiles the graph on the backend, with no graph passes (to see it refused). */
  compile: (g: Graph) => Promise<unknown>;
  /** Whether max pooling, copies, concat and pad must match bit for bit, else to the backend's tolerance. */
  exactMaxAndCopies: boolean;
}

/**
 * Declares, in describe blocks named after the backend, a test for every case above
 * (pooling, activations, copies, batchnorm, LRN, softmax, broadcasting add and mul,
 * in-place chains, concat, pad, gemm). Cases with NaN or infinities are always bit-exact.
 */
export function defineOpCaseSuites({ backend, test, agree, compile, exactMaxAndCopies: exact }: OpCaseSuiteOptions): void {
  describe(`${backend} pooling kernels`, () => {
    for (const [label, shape, attrs] of POOL_CASES) {
      test(`maxpool ${label}`, () => agree(single('maxpool', [shape], attrs), { exact }));
      for (const countIncludePad of [false, true]) {
        test(`avgpool ${label}, countIncludePad ${countIncludePad}`, () => agree(single('avgpool', [shape], { ...attrs, countIncludePad })));
      }
    }
    test('windows wholly in the padding: maxpool -Infinity, avgpool with countIncludePad 0', async () => {
      const { shape, attrs } = PADDING_ONLY_WINDOWS;
      await agree(single('maxpool', [shape], attrs), { exact: true });
      await agree(single('avgpool', [shape], { ...attrs, countIncludePad: true }));
    });
    test('maxpool with NaN and -Infinity in the input: NaN wins, -Infinity is a value, padding never wins', async () => {
      const { edit, cases, allNegative } = MAXPOOL_SPECIAL_VALUES;
      for (const g of cases) await agree(g, { exact: true, edit });
      await agree(allNegative, { exact: true, low: -3, high: -1 });
    });
    for (const op of GLOBAL_POOL_OPS) {
      for (const shape of GLOBAL_POOL_SHAPES) {
        test(`${op} ${dims(shape)}`, () => agree(single(op, [shape]), { exact: exact && op === 'globalmaxpool' }));
      }
    }
    test('globalmaxpool with NaN and -Infinity planes', () =>
      agree(GLOBALMAXPOOL_SPECIAL_VALUES.graph, { exact: true, edit: GLOBALMAXPOOL_SPECIAL_VALUES.edit }));
  });

  describe(`${backend} activation kernels`, () => {
    for (const [op, attrs] of ACTIVATION_OPS) {
      test(`${op} ${JSON.stringify(attrs)} on ranks 1..5`, async () => {
        for (const s of ACTIVATION_SHAPES) await agree(single(op, [s], attrs), { low: -8, high: 8 });
      });
    }
    test('sigmoid and tanh saturate like the reference, and stay accurate near 0', async () => {
      for (const op of ['sigmoid', 'tanh'] as const) {
        for (const range of SATURATION_RANGES) await agree(single(op, [[3, 33]]), range);
      }
    });
  });

  describe(`${backend} copy kernels (dropout, identity, flatten, reshape)`, () => {
    for (const [op, shape, attrs] of COPY_CASES) {
      test(`${op} ${JSON.stringify(attrs)}: in place (nothing to do) and copied`, async () => {
        // Alone, the output takes the input's buffer; read again later, it must be copied.
        const alone = single(op, [shape], attrs);
        expect(planMemory(alone).offsets.get('y')).toBe(planMemory(alone).offsets.get('x0'));
        await agree(alone, { exact });
        const copied = copiedGraph(op, shape, attrs);
        expect(planMemory(copied).offsets.get('y')).not.toBe(planMemory(copied).offsets.get('x'));
        await agree(copied, { exact });
      });
    }
  });

  describe(`${backend} batchnorm, lrn and softmax kernels`, () => {
    for (const shape of BATCHNORM_SHAPES) {
      test(`batchnorm ${dims(shape)}`, () => agree(single('batchnorm', [shape], { epsilon: 1e-5 }, batchnormStats(shape[1], `bn${shape.length}`))));
    }
    test('batchnorm with statistics fed as inputs (as ONNX tests do)', () => agree(batchnormFedStats(), { low: 0.1, high: 2 }));
    for (const [shape, attrs] of LRN_CASES) {
      test(`lrn ${dims(shape)} ${JSON.stringify(attrs)}`, () => agree(single('lrn', [shape], attrs)));
    }
    for (const [shape, attrs] of SOFTMAX_CASES) {
      test(`softmax ${dims(shape)} ${JSON.stringify(attrs)}`, async () => {
        const g = single('softmax', [shape], attrs);
        expect(planMemory(g).offsets.get('y')).toBe(planMemory(g).offsets.get('x0')); // in place
        await agree(g, { low: -20, high: 20 });
      });
    }
  });

  describe(`${backend} add and mul (broadcasting)`, () => {
    for (const op of BINARY_OPS) {
      for (const [a, b] of BROADCAST_PAIRS) {
        test(`${op} ${dims(a)} and ${dims(b)}`, () => agree(single(op, [a, b])));
      }
      test(`${op} with a constant per-channel operand`, () => agree(constantSecondOperand(op)));
      test(`${op} with a constant first operand`, () => agree(constantFirstOperand(op)));
    }
    test('refuses a broadcast needing more than 6 axes with a clear error', async () => {
      await expect(compile(broadcastBeyondSixAxes())).rejects.toThrow(ExecutableError);
    });
  });

  describe(`${backend} in-place chains`, () => {
    test('add -> relu -> batchnorm -> clip -> softmax share one buffer and agree', async () => {
      const { graph, shared } = inPlaceChain();
      const plan = planMemory(graph);
      expect(new Set(shared.map((t) => plan.offsets.get(t))).size).toBe(1);
      await agree(graph);
    });
    test('mul -> leakyrelu -> tanh -> sigmoid -> add (residual) on a 1x1 input', () => agree(residualChainOn1x1()));
    test('mul -> lrn -> maxpool -> pad -> globalavgpool -> gemm', () => agree(poolingChain()));
  });

  describe(`${backend} concat, pad and gemm`, () => {
    for (const [shapes, axis] of CONCAT_CASES) {
      test(`concat axis ${axis} of ${shapes.map(dims).join(', ')}`, () => agree(single('concat', shapes, { axis }), { exact }));
    }
    test('concat of an input twice and a constant', () => agree(concatInputTwiceAndConstant(), { exact }));
    for (const [shape, pads, value] of PAD_CASES) {
      test(`pad ${dims(shape)} by [${pads.join(', ')}] with ${value}`, () => agree(single('pad', [shape], { pads, value }), { exact }));
    }
    for (const gemm of GEMM_CASES) {
      test(gemmLabel(gemm), async () => {
        for (const g of gemmGraphs(gemm)) await agree(g);
      });
    }
  });
}
