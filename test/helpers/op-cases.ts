/**
 * The op cases every backend's kernels are held to (test/wasm-kernels.test.ts,
 * test/webgpu-kernels.test.ts): small graph builders, seeded inputs, the comparison against
 * the reference backend's outputs, and the case tables, each picked for the edge shapes and
 * attributes that break kernels (odd sizes and widths not divisible by 4, ceil mode,
 * dilation, asymmetric and negative pads, both count_include_pad rules, broadcasting of rank
 * 0..6, softmax on every axis, LRN of odd and even size, gemm with every transpose, in-place
 * chains, 1x1 inputs), every op again over NaN and infinities (issue 11: one rule per op,
 * PyTorch's and ONNX's, matched in position; conv/fc + activation fused and unfused), and
 * defineOpCaseSuites, which declares the tests over all of them for one backend. A case added here runs on every backend; one a backend cannot pass
 * stays in its own test file, with the reason.
 */
import { describe, expect } from 'vitest';
import { UnsupportedOpError } from '../../src/graph/errors.js';
import type { CompileOptions, Executable, TensorData } from '../../src/backends/backend.js';
import '../../src/backends/register-all.js';
import { getBackend } from '../../src/backends/registry.js';
import type { Graph, Initializer, Node, OpType, Shape } from '../../src/graph/graph.js';
import { finalizeGraph } from '../../src/graph/validate.js';
import { longestReduction } from '../../src/cost/summary.js';
import { mulberry32 } from '../../src/graph/weight-init.js';
import { planMemory } from '../../src/plan/memory-planner.js';
import { optimizeGraph } from '../../src/plan/passes.js';
import { fuseBottlenecks } from '../../src/plan/fuse-bottleneck.js';

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
  /**
   * NaN and infinities expected (issue 11): every non-finite reference value must be matched
   * in position (NaN by NaN, an infinity by itself), the finite ones to the tolerance; at
   * least one output value must be non-finite, so the case tests what it says.
   */
  special?: boolean;
  /**
   * Also compile with the graph passes (optimize: true, activations fused into the conv/fc
   * epilogue) and hold that run to the plain reference as well: fused and unfused must agree.
   */
  fused?: boolean;
  /** Edits the seeded inputs (to plant NaN and infinities). */
  edit?: (name: string, data: Float32Array) => void;
  /**
   * Compile options for the backend under test beyond the common ones (wasm: `winograd`);
   * a backend without an option ignores it.
   */
  compile?: Readonly<Record<string, unknown>>;
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

// ---------------------------------------------------------------------------------------
// Tolerances

/**
 * Named tolerances of a fast backend against the float64 reference. `relative`: of the
 * largest reference value (of at least 1 where `atLeastOne`): the error of an op computed once per output
 * (transcendentals: wasm's exp/log are polynomial approximations, WGSL's are the GPU's).
 * `perTerm`: per product term of a reduction, of the operands' magnitudes: a float32 sum of
 * K products of size up to |x| |w| drifts by up to about K x 2^-24 x |x| |w| from the exact
 * sum (as XNNPACK's GEMM tests bound theirs by K and the operands' ranges).
 */
export const TOLERANCES = {
  /** wasm: relaxed SIMD's fused multiply-add and polynomial exp/log; relative to max |reference| alone. */
  wasm: { relative: 1e-4, atLeastOne: false, perTerm: 2 ** -22 },
  /** WebGPU (SwiftShader's f32; a real GPU's builtins are held to the same); of max(1, max |reference|). */
  webgpu: { relative: 1e-5, atLeastOne: true, perTerm: 2 ** -22 },
  /** The reference backend against itself, fused against unfused: float64 sums rounded once. */
  reference: { relative: 1e-5, atLeastOne: true, perTerm: 2 ** -24 },
  /**
   * A whole model on a fast backend against the reference backend or PyTorch (the zoo and
   * exported-model tests): relative to max |output| alone, 1e-4, whatever the depth.
   */
  model: { relative: 1e-4, atLeastOne: false, perTerm: 0 },
} as const;
export type TolerancePreset = keyof typeof TOLERANCES;

/** Largest |value| of the finite values of some arrays (1 when there are none). */
function magnitude(arrays: Iterable<Float32Array>): number {
  let m = 0;
  for (const a of arrays) for (const v of a) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m || 1;
}

/**
 * The max |error| allowed for the outputs of `g` run on `feeds`, given the largest reference
 * value: the preset's relative part, plus its per-term part times the longest reduction and
 * the magnitudes of the inputs and the weights.
 */
export function tolerance(g: Graph, feeds: Record<string, Float32Array>, preset: TolerancePreset): (maxRef: number) => number {
  const { relative, atLeastOne, perTerm } = TOLERANCES[preset];
  const operands = () => magnitude(Object.values(feeds)) * magnitude([...g.initializers.keys()].map((t) => g.weight(t)));
  const reduction = perTerm === 0 ? 0 : longestReduction(g) * operands() * perTerm;
  return (maxRef) => relative * (atLeastOne ? Math.max(1, maxRef) : maxRef) + reduction;
}

/**
 * Expects every output of `got` to have the reference's shape and to match it: bit for bit
 * when `exact`, else a finite reference and a max |error| of at most `bound(max |reference|)`
 * (from {@link tolerance});
 * with `special`, non-finite reference values are allowed and must be matched exactly in
 * position (NaN by NaN, +-Infinity by itself), the finite ones to the bound (and by finite
 * values).
 */
export function expectOutputsAgree(
  outputs: readonly string[], got: Record<string, TensorData>, want: Record<string, TensorData>,
  bound: (maxRef: number) => number, exact = false, special = false,
): void {
  let nonFinite = 0;
  for (const name of outputs) {
    const a = got[name].data;
    const b = want[name].data;
    expect(got[name].shape).toEqual(want[name].shape);
    const same = (i: number) => a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i]));
    if (exact) {
      const bad = [...b.keys()].filter((i) => !same(i));
      expect(bad.slice(0, 5).map((i) => `${name}[${i}]: got ${a[i]}, want ${b[i]}`)).toEqual([]);
      nonFinite += b.filter((v) => !Number.isFinite(v)).length;
      continue;
    }
    if (special) {
      // Non-finite values: exactly; finite ones: finite here too, then to the bound below.
      const bad = [...b.keys()].filter((i) => (Number.isFinite(b[i]) ? !Number.isFinite(a[i]) : !same(i)));
      expect(bad.slice(0, 5).map((i) => `${name}[${i}]: got ${a[i]}, want ${b[i]}`)).toEqual([]);
      nonFinite += b.filter((v) => !Number.isFinite(v)).length;
    } else {
      expect(b.every(Number.isFinite), `${name}: reference finite`).toBe(true);
    }
    let maxRef = 0;
    let maxErr = 0;
    for (let i = 0; i < b.length; i++) {
      if (!Number.isFinite(b[i])) continue;
      maxRef = Math.max(maxRef, Math.abs(b[i]));
      maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
    }
    expect(maxErr, `${name}: max |error| against max |reference| ${maxRef}`).toBeLessThanOrEqual(bound(maxRef));
  }
  if (special) expect(nonFinite, 'non-finite values in the reference outputs').toBeGreaterThan(0);
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
  ['hardsigmoid', { alpha: 0.2, beta: 0.5 }], ['hardsigmoid', { alpha: 1 / 6, beta: 0.5 }], ['hardswish', {}], ['silu', {}],
  ['gelu', {}], ['erf', {}],
  // The 8-bit grid (QuantizeLinear -> DequantizeLinear): [-8, 8) saturates at both ends.
  ['qdq', { scale: 0.07, zeroPoint: -3, type: 'int8' }], ['qdq', { scale: 0.05, zeroPoint: 128, type: 'uint8' }],
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

export const BINARY_OPS = ['add', 'mul', 'sub', 'div'] as const;

/** Operand shapes for add and mul: equal, scalar, rank 0, per-channel, both sides broadcast, rank 6. */
export const BROADCAST_PAIRS: readonly (readonly [Shape, Shape])[] = [
  [[2, 3, 4, 5], [2, 3, 4, 5]], [[2, 3, 4, 5], [3, 1, 1]], [[1], [2, 3]], [[2, 3, 4, 5], [1]], [[1], [2, 3, 4, 5]],
  [[2, 3, 4, 5], []], [[2, 6, 5, 7], [6, 1, 1]], [[2, 6, 5, 7], [1, 6, 1, 1]], [[2, 6, 5, 7], [7]], [[3, 1, 5], [1, 4, 1]],
  [[4, 1], [3]], [[2, 3, 4, 5, 6], [3, 1, 5, 1]], [[2, 3, 2, 3, 2, 3], [2, 1, 2, 1, 2, 1]], [[1, 1], [1, 1]],
  [[5, 1, 1, 1], [1, 1, 1, 9]], [[2, 6, 1, 1], [2, 6, 3, 3]], [[2, 1, 6], [2, 3, 1]],
];

// ---------------------------------------------------------------------------------------
// Issue 13: sqrt, pow, and torch's opset-13 activation patterns (silu, hardswish, gelu, SE)

/**
 * pow of seeded positive bases by exponents in [0.1, 3) over the broadcast pairs, and C's
 * special cases (checked with torch 1.13: pow([1, -1, nan, -2, -2, 0, 0], [nan, inf, 0, 3,
 * 0.5, -1, -3]) = [1, 1, 1, -8, nan, inf, inf]), negative bases with integer exponents,
 * and infinities.
 */
export const POW_SPECIAL = {
  x: [1, -1, NaN, -2, -2, 0, 0, Infinity, -Infinity, 2, 0.5, -0.5, -3, 4, -1.5, 3, 2, 7, -0, -0, -0, -Infinity],
  y: [NaN, Infinity, 0, 3, 0.5, -1, -3, -1, 3, Infinity, -Infinity, 2, 2, -0.5, -2, 0.25, -Infinity, 1, -3, 3, 0.5, -2],
};
export const powSpecialEdit = (name: string, d: Float32Array): void => d.set(name === 'x0' ? POW_SPECIAL.x : POW_SPECIAL.y);
/** pow by constant exponents (LayerNorm's Pow(x, 2), and odd, negative, fractional ones) of bases of both signs. */
export const powByConstant = (e: number): Graph =>
  single('pow', [[2, 3, 4, 5]], {}, [{ name: 'e', shape: [], trainable: false, data: Float32Array.of(e) }]);

/** y = conv -> `tail` (builds the fused-activation patterns of torch's exports over a conv output `c`). */
const convOut = (tail: Node[], inits: Initializer[] = []): Graph => graphOf(
  { x: [2, 4, 6, 5] }, [node('c', 'conv2d', ['x', 'cw', 'cb'], { kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1 }), ...tail],
  undefined, [constant('cw', [6, 4, 3, 3], -0.5, 0.5), constant('cb', [6]), ...inits],
);
const scalarInit = (name: string, v: number): Initializer => ({ name, shape: [], trainable: false, data: Float32Array.of(v) });

/**
 * torch 1.13's opset-13 exports, as the importer writes them: nn.SiLU as Mul(x, Sigmoid(x)),
 * nn.Hardswish as Mul(x, HardSigmoid(x; 1/6, 1/2)) (each operand order), nn.GELU as
 * Div(x, sqrt 2) -> Erf -> Add(1) -> Mul(x) -> Mul(0.5) (and the Muls the other way round),
 * and MobileNetV3's SE block. Each with the ops the passes leave (`ops`) and the patterns
 * they recognise (`patterns`).
 */
export function pointwisePatternGraphs(): readonly { label: string; graph: Graph; ops: string[]; patterns: string[] }[] {
  const hs = { alpha: 1 / 6, beta: 0.5 };
  const geluTail = (swapped: boolean): Node[] => [
    node('d', 'div', ['c', 'sqrt2']), node('e', 'erf', ['d']), node('a', 'add', ['one', 'e']),
    ...(swapped ? [node('m', 'mul', ['a', 'half']), node('y', 'mul', ['c', 'm'])] : [node('m', 'mul', ['c', 'a']), node('y', 'mul', ['m', 'half'])]),
  ];
  const geluInits = [scalarInit('sqrt2', Math.fround(Math.SQRT2)), scalarInit('one', 1), scalarInit('half', 0.5)];
  // SE: x * hardsigmoid(conv(relu(conv(globalavgpool(x))))), broadcast over H, W.
  const se = graphOf({ x: [2, 8, 5, 5] }, [
    node('p', 'globalavgpool', ['x']), node('c1', 'conv2d', ['p', 'w1', 'b1'], { kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1 }),
    node('r', 'relu', ['c1']), node('c2', 'conv2d', ['r', 'w2', 'b2'], { kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1 }),
    node('h', 'hardsigmoid', ['c2'], hs), node('y', 'mul', ['x', 'h']),
  ], undefined, [constant('w1', [4, 8, 1, 1]), constant('b1', [4]), constant('w2', [8, 4, 1, 1]), constant('b2', [8])]);
  return [
    { label: 'conv2d -> Mul(x, Sigmoid(x)): silu, fused', graph: convOut([node('s', 'sigmoid', ['c']), node('y', 'mul', ['c', 's'])]), ops: ['conv2d'], patterns: ['y'] },
    { label: 'conv2d -> Mul(Sigmoid(x), x): silu, fused', graph: convOut([node('s', 'sigmoid', ['c']), node('y', 'mul', ['s', 'c'])]), ops: ['conv2d'], patterns: ['y'] },
    { label: 'conv2d -> Mul(x, HardSigmoid(x; 1/6, 1/2)): hardswish, fused', graph: convOut([node('s', 'hardsigmoid', ['c'], hs), node('y', 'mul', ['c', 's'])]), ops: ['conv2d'], patterns: ['y'] },
    { label: 'conv2d -> Mul(x, HardSigmoid(x; 0.2, 0.5)): not hardswish, left as it is', graph: convOut([node('s', 'hardsigmoid', ['c'], { alpha: 0.2, beta: 0.5 }), node('y', 'mul', ['c', 's'])]), ops: ['conv2d', 'hardsigmoid', 'mul'], patterns: [] },
    { label: 'conv2d -> GELU (torch opset 13): gelu, fused', graph: convOut(geluTail(false), geluInits), ops: ['conv2d'], patterns: ['y'] },
    { label: 'conv2d -> GELU, Mul(0.5) first: gelu, fused', graph: convOut(geluTail(true), geluInits), ops: ['conv2d'], patterns: ['y'] },
    { label: 'SE block: hardsigmoid fused into the second conv, broadcast mul', graph: se, ops: ['globalavgpool', 'conv2d', 'conv2d', 'mul'], patterns: [] },
  ];
}

/** `op` with a constant per-channel second operand. */
export const constantSecondOperand = (op: OpType): Graph => single(op, [[2, 5, 3, 3]], {}, [constant('w', [5, 1, 1])]);
/** `op` with a constant first operand. */
export const constantFirstOperand = (op: OpType): Graph => graphOf({ x: [2, 3, 4] }, [node('y', op, ['w', 'x'])], ['y'], [constant('w', [3, 1])]);

/** A broadcast needing 7 axes, which the fast backends refuse at compile (UnsupportedOpError with the reason) or run on the reference backend with fallback. */
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
  // The edges of the wasm blocking (panels of 8 columns, rows of 4, a last row alone or 2-3
  // rows clamped, the 1x8 kernel's K in three runs and a tail): M 1..5, N 1, 7, 9, 17, each
  // transpose, C scalar, row, column and full, alpha and beta. M * K >= 11, so the NaN cases
  // plant a special value in A when B is constant.
  [1, 17, 7, { alpha: 1, beta: 1, transA: false, transB: false }, [7]],
  [1, 601, 9, { alpha: 0.5, beta: -1, transA: true, transB: false }, [1, 9]],
  [1, 13, 17, { alpha: 1, beta: 0.5, transA: false, transB: true }, [1]],
  [2, 6, 9, { alpha: 0.5, beta: -1, transA: true, transB: false }, [2, 1]],
  [2, 9, 1, { alpha: 1, beta: 1, transA: false, transB: true }, [2, 1]],
  [3, 17, 17, { alpha: 1, beta: 1, transA: false, transB: true }, [3, 17]],
  [3, 5, 7, { alpha: -2, beta: 1, transA: true, transB: true }, []],
  [4, 3, 1, { alpha: 2, beta: 0.5, transA: true, transB: true }, []],
  [4, 20, 9, { alpha: 1, beta: 1, transA: false, transB: false }, [4, 1]],
  [5, 9, 9, { alpha: 1, beta: 1, transA: false, transB: false }, [1]],
  [5, 6, 17, { alpha: -1, beta: 2, transA: true, transB: true }, [5, 17]],
  [5, 4, 7, { alpha: 1.5, beta: 0, transA: false, transB: true }, [7]],
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
// NaN and infinities (issue 11): one rule per op, the one PyTorch and ONNX use, on every
// backend and in every fusion. Checked with PyTorch 1.13 (Debian python3-torch):
//   relu([nan, inf, -inf, -0, 0, -1, 2]) = [nan, inf, 0, -0, 0, 0, 2]
//   clamp(same, -0.5, 1) = [nan, 1, -0.5, -0, 0, -0.5, 1]; relu6(nan) = nan
//   leaky_relu(same, 0.1) = [nan, inf, -inf, -0, 0, -0.1, 2]
//   sigmoid(same) = [nan, 1, 0, 0.5, 0.5, 0.269, 0.881]; tanh(same) = [nan, 1, -1, -0, 0, -0.762, 0.964]
//   softmax([1, inf, 2]) = softmax([1, nan, 2]) = softmax([-inf, -inf, -inf]) = [nan, nan, nan],
//   softmax([1, -inf, 2]) = [0.269, 0, 0.731]
//   local_response_norm([1, nan, 2], size 3) = [nan, nan, nan];
//   local_response_norm([1, inf, 2, 3, 4], size 3) = [0, nan, 0, 2.998, 3.998]
//   max_pool2d: a NaN in the window wins; a window of -inf gives -inf; avg_pool2d: nan, and
//   inf + -inf, give nan; adaptive_max_pool2d (global) of a plane with a nan: nan
//   relu(conv2d(x with a nan)) = nan where the window saw it (also with inplace=True)
// ONNX AveragePool with count_include_pad 0 over a window wholly in the padding: the mean of
// no values, 0/0 = NaN (PyTorch refuses such padding).

/**
 * An `edit` planting NaN, +Infinity and -Infinity about once every `every`, `every + 4`,
 * `every + 6` values, at places that differ per input (by the last letter of its name).
 */
export const specials = (every = 13) => (name: string, d: Float32Array): void => {
  const shift = 3 * name.charCodeAt(name.length - 1);
  for (let i = 0; i < d.length; i++) {
    const j = i + shift;
    if (j % every === every >> 1) d[i] = NaN;
    else if (j % (every + 4) === 2) d[i] = Infinity;
    else if (j % (every + 6) === every + 4) d[i] = -Infinity;
  }
};

/** An `edit` setting the first values of every input to `values`. */
export const startWith = (values: number[]) => (_: string, d: Float32Array): void => d.set(values.slice(0, d.length));

/** Pooling cases whose inputs hold NaN and infinities (max bit-exact; avg under both rules). */
export const SPECIAL_POOL_CASES: readonly (readonly [string, Shape, Attrs])[] = [POOL_CASES[0], POOL_CASES[1], POOL_CASES[4], POOL_CASES[8], POOL_CASES[9]];

/** LRN on the issue's [1, NaN, 2] (size 3: all NaN) and [1, inf, 2, 3, 4] (0, NaN, 0, finite, finite), one plane each. */
export const LRN_ISSUE_CASES: readonly (readonly [Shape, Attrs, number[]])[] = [
  [[1, 3, 1, 1], { size: 3, alpha: 1e-4, beta: 0.75, bias: 1 }, [1, NaN, 2]],
  [[1, 3, 1, 1], { size: 3, alpha: 1e-4, beta: 0.5, bias: 1 }, [1, NaN, 2]],
  [[1, 5, 1, 1], { size: 3, alpha: 1e-4, beta: 0.75, bias: 1 }, [1, Infinity, 2, 3, 4]],
  [[1, 5, 1, 1], { size: 3, alpha: 1e-4, beta: 1.3, bias: 1 }, [1, Infinity, 2, 3, 4]],
];

/**
 * Softmax rows as PyTorch gives them: a -inf is 0; a row of -inf, a row with +inf, a row
 * with NaN are all NaN. Rows of 5 (a vector and a tail) along the last axis, and the same
 * rows along axis 1 of [.., 5, 3] (columns, several rows per vector).
 */
export const SOFTMAX_ROWS = [
  [1, -Infinity, 2, 3, -Infinity], [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity], [1, Infinity, 2, 3, 4],
  [1, NaN, 2, 3, 4], [Infinity, Infinity, 1, 2, 3], [0.5, 1, 2, 3, 4],
];
export const softmaxRowsGraphs = (): readonly (readonly [Graph, AgreeOptions])[] => {
  const rows = SOFTMAX_ROWS;
  const lastAxis = single('softmax', [[rows.length, 5]], { axis: 1 });
  // [2, 5, 3]: row r of the table is (o, i) = (floor(r / 3), r % 3), its k-th value at (o, k, i).
  const middle = single('softmax', [[2, 5, 3]], { axis: 1 });
  const planted = (d: Float32Array) => rows.forEach((row, r) => row.forEach((v, k) => (d[(Math.floor(r / 3) * 5 + k) * 3 + (r % 3)] = v)));
  return [
    [lastAxis, { edit: (_, d) => d.set(rows.flat()) }],
    [middle, { edit: (_, d) => planted(d) }],
  ];
};

/** Convolutions over inputs with NaN and infinities: input shape, weight shape, attributes (every path: GEMM, depthwise, direct, grouped). */
export const CONV_CASES: readonly (readonly [string, Shape, Shape, Attrs])[] = [
  ['3x3 pad 1, 8 of 3 channels', [1, 3, 9, 10], [8, 3, 3, 3], { kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1 }],
  ['3x3 s2 pad 1, 6 of 5 channels, batch 2', [2, 5, 11, 13], [6, 5, 3, 3], { kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1 }],
  ['1x1, 13 of 20 channels', [1, 20, 5, 7], [13, 20, 1, 1], { kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1 }],
  ['depthwise 3x3 pad 1', [1, 6, 7, 9], [6, 1, 3, 3], { kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 6 }],
  ['grouped 3x3 dilation 2', [1, 4, 9, 9], [6, 2, 3, 3], { kernel: [3, 3], stride: [1, 1], pads: [2, 2, 2, 2], dilation: [2, 2], groups: 2 }],
  ['3x3 on a 2x2 input (few pixels)', [1, 16, 2, 2], [8, 16, 3, 3], { kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1 }],
];
const conv = (k: number[], stride: number[], pads: number[], dilation = [1, 1], groups = 1): Attrs => ({ kernel: k, stride, pads, dilation, groups });

/**
 * Convolutions every backend's conv kernels are held to (finite inputs): input shape, weight
 * shape, attributes, each picked for a path or an edge of the GEMM, depthwise and direct
 * kernels.
 */
export const CONV_KERNEL_CASES: readonly (readonly [string, Shape, Shape, Attrs])[] = [
  ...CONV_CASES,
  // The wasm depthwise kernel's planes (assembly/dwconv.ts dwPlane): 5x5 stride 2, widths and
  // heights not multiples of its 2 rows x 8 columns, asymmetric pads, 2 outputs per channel;
  // column stride 1 under row stride 2; a 3x5 window.
  ['depthwise 5x5 s2, asymmetric pads, 2 per channel', [1, 3, 13, 11], [6, 1, 5, 5], conv([5, 5], [2, 2], [2, 1, 1, 2], [1, 1], 3)],
  ['depthwise 3x3 stride (2, 1), 5 channels, batch 2', [2, 5, 6, 15], [5, 1, 3, 3], conv([3, 3], [2, 1], [1, 1, 1, 1], [1, 1], 5)],
  ['depthwise 3x5 stride (1, 2)', [1, 4, 9, 10], [4, 1, 3, 5], conv([3, 5], [1, 2], [1, 2, 1, 2], [1, 1], 4)],
  ['depthwise with channel multiplier 2', [1, 4, 7, 9], [8, 1, 3, 3], conv([3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 4)],
  ['depthwise 5x5 s2, batch 2', [2, 5, 12, 11], [5, 1, 5, 5], conv([5, 5], [2, 2], [2, 2, 2, 2], [1, 1], 5)],
  ['3 groups of 3 output channels (not a multiple of 4)', [1, 6, 8, 8], [9, 2, 3, 3], conv([3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 3)],
  ['K = 576 > 512 (64 channels, 3x3)', [1, 64, 6, 6], [10, 64, 3, 3], conv([3, 3], [1, 1], [1, 1, 1, 1])],
  ['K = 1040 > 512, 1x1, 35 pixels', [1, 1040, 5, 7], [12, 1040, 1, 1], conv([1, 1], [1, 1], [0, 0, 0, 0])],
  ['35 pixels (not a multiple of 8), 70 output channels', [1, 5, 5, 7], [70, 5, 3, 3], conv([3, 3], [1, 1], [1, 1, 1, 1])],
  ['asymmetric pads (0, 1, 2, 1)', [1, 3, 8, 9], [4, 3, 3, 3], conv([3, 3], [1, 1], [0, 1, 2, 1])],
  ['dilation (2, 3), stride (2, 1)', [1, 3, 13, 14], [6, 3, 3, 3], conv([3, 3], [2, 1], [2, 3, 2, 3], [2, 3])],
  ['7x7 s2 pad 3 (a ResNet stem), batch 2', [2, 3, 23, 23], [16, 3, 7, 7], conv([7, 7], [2, 2], [3, 3, 3, 3])],
  ['1x1 s2, 17 output channels', [1, 8, 9, 9], [17, 8, 1, 1], conv([1, 1], [2, 2], [0, 0, 0, 0])],
  ['2x4 kernel, no padding, 1 output row', [1, 2, 2, 12], [3, 2, 2, 4], conv([2, 4], [1, 2], [0, 0, 0, 0])],
  ['one input channel to 6, 5x5 pad 2 (LeNet-5\'s first conv), rows of 10, batch 2', [2, 1, 9, 10], [6, 1, 5, 5], conv([5, 5], [1, 1], [2, 2, 2, 2])],
  ['depthwise 3x3, dilation 2, asymmetric pads (1, 2, 2, 0)', [1, 4, 9, 13], [4, 1, 3, 3], conv([3, 3], [1, 1], [1, 2, 2, 0], [2, 2], 4)],
  ['2x3 output pixels (rows narrower than 4), 40 channels to 24, 3x3 pad 1', [1, 40, 2, 3], [24, 40, 3, 3], conv([3, 3], [1, 1], [1, 1, 1, 1])],
];

/** conv2d with constant weight and bias. */
export const convGraph = ([, x, w, attrs]: (typeof CONV_CASES)[number]): Graph =>
  single('conv2d', [x], attrs, [constant('cw', w, -0.5, 0.5), constant('cb', [w[0]])]);

/**
 * Inverted residuals (issue 14), as the unfused chain [1x1 expand + act] -> k x k depthwise +
 * act -> 1x1 project [+ x] that the bottleneck pass (src/plan/fuse-bottleneck.ts) fuses on
 * backends with the fused kernel (wasm): label, input [N, C, H, W], expansion (1: no expand
 * conv), output channels, kernel, stride, activation, residual. Shapes picked for the
 * kernel's bands: odd sides, channels not multiples of 4, one band and many (the 40x40 and
 * 45x37 cases exceed one band's 192 KiB), batch 2.
 */
export const INVERTED_RESIDUAL_CASES: readonly (readonly [string, Shape, number, number, number, number, Attrs | undefined, boolean])[] = [
  ["expansion 1 (MobileNetV2's first block), 3x3 s1, relu6", [1, 8, 9, 11], 1, 5, 3, 1, { op: 'clip', min: 0, max: 6 }, false],
  ['expansion 6, 3x3 s1, relu6, residual, 13x11', [1, 4, 13, 11], 6, 4, 3, 1, { op: 'clip', min: 0, max: 6 }, true],
  ['expansion 6, 3x3 s2, relu6, 15x13, 30 expanded and 7 output channels', [1, 5, 15, 13], 6, 7, 3, 2, { op: 'clip', min: 0, max: 6 }, false],
  ['expansion 6, 5x5 s2, hardswish, batch 2', [2, 6, 14, 9], 6, 10, 5, 2, { op: 'hardswish' }, false],
  ['expansion 3, 5x5 s1, silu, residual, batch 2', [2, 6, 10, 12], 3, 6, 5, 1, { op: 'silu' }, true],
  ["expansion 6, 3x3 s1, relu6, residual, 7x7 (MobileNetV2's last stage, fewer channels)", [1, 16, 7, 7], 6, 16, 3, 1, { op: 'clip', min: 0, max: 6 }, true],
  ['expansion 6, 3x3 s1, relu6, residual, 40x40: many bands', [1, 16, 40, 40], 6, 16, 3, 1, { op: 'clip', min: 0, max: 6 }, true],
  ['expansion 6, 3x3 s2, relu, 45x37: many bands, odd sides', [1, 8, 45, 37], 6, 12, 3, 2, { op: 'relu' }, false],
  ['expansion 1, 5x5 s2, hardswish, 1x1 input, batch 2', [2, 12, 1, 1], 1, 8, 5, 2, { op: 'hardswish' }, false],
  ['expansion 6 to 528 channels (over 512: the projection reads repacked panels), 3x3 s1, relu6, residual, 9x7', [1, 88, 9, 7], 6, 88, 3, 1, { op: 'clip', min: 0, max: 6 }, true],
];

/**
 * The unfused chain of an inverted residual case (constants in [-0.5, 0.5): sums stay near 1);
 * with `se`, squeeze-excite between depthwise and project (global average pool, 1x1 to Ce/4 +
 * relu, 1x1 back + hardsigmoid, times the depthwise output), as EfficientNet and MobileNetV3 have.
 */
export function invertedResidualGraph([, x, t, cout, k, s, act, residual]: (typeof INVERTED_RESIDUAL_CASES)[number], se = false): Graph {
  const [, cin] = x;
  const ce = cin * t;
  const activation = act ? { activation: act } : {};
  const pw = { kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1 };
  const p = (k - 1) / 2;
  const nodes = [
    ...(t > 1 ? [node('e', 'conv2d', ['x', 'ew', 'eb'], { ...pw, ...activation })] : []),
    node('d', 'conv2d', [t > 1 ? 'e' : 'x', 'dw', 'db'], { kernel: [k, k], stride: [s, s], pads: [p, p, p, p], dilation: [1, 1], groups: ce, ...activation }),
    ...(se
      ? [
          node('sq', 'globalavgpool', ['d']),
          node('s1', 'conv2d', ['sq', 's1w', 's1b'], { ...pw, activation: { op: 'relu' } }),
          node('s2', 'conv2d', ['s1', 's2w', 's2b'], { ...pw, activation: { op: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 } }),
          node('g', 'mul', ['d', 's2']),
        ]
      : []),
    node('y', 'conv2d', [se ? 'g' : 'd', 'pw', 'pb', ...(residual ? ['x'] : [])], pw),
  ];
  const cs = Math.max(1, Math.floor(ce / 4));
  const inits = [
    ...(t > 1 ? [constant('ew', [ce, cin, 1, 1], -0.5, 0.5), constant('eb', [ce], -0.5, 0.5)] : []),
    constant('dw', [ce, 1, k, k], -0.5, 0.5), constant('db', [ce], -0.5, 0.5), constant('pw', [cout, ce, 1, 1], -0.5, 0.5), constant('pb', [cout], -0.5, 0.5),
    ...(se ? [constant('s1w', [cs, ce, 1, 1], -0.5, 0.5), constant('s1b', [cs], -0.5, 0.5), constant('s2w', [ce, cs, 1, 1], -0.5, 0.5), constant('s2b', [ce], -0.5, 0.5)] : []),
  ];
  return graphOf({ x }, nodes, ['y'], inits);
}

/** fc with constant weight and bias: batch, in, out (small batches and a large one, which WebGPU runs as a GEMM). */
export const FC_CASES: readonly (readonly [number, number, number])[] = [[1, 37, 13], [3, 64, 10], [12, 21, 9]];
/**
 * fc cases beyond those: K > 512, outputs not a multiple of 4, batch 9 (GEMM on WebGPU); and
 * every edge of the wasm blocking (panels of 8 outputs by rows of 4 inputs, the 1x8 kernel's
 * K cut in three runs and a tail): batch 1 to 5 and 9 (rows of 4, a last row alone, a last
 * 2 or 3 clamped), M of 1, 7 and 13 (a partial last panel) and K of 1, 3, 17 and 600 (a
 * tail alone, runs of 1, a tail of 2, runs of 200), each pairing of batch and M once.
 */
export const FC_KERNEL_CASES: readonly (readonly [number, number, number])[] = [
  ...FC_CASES, [2, 600, 17], [1, 1030, 5], [9, 520, 7], [1, 1, 1],
  ...[1, 2, 3, 4, 5, 9].flatMap((n, i) => [1, 7, 13].map((m, j) => [n, [1, 3, 17, 600][(i + j + 1) % 4], m] as const)),
];

/** Weights (and bias) as graph inputs, not constants: conv x0 * x1 + x2, and fc. */
export const convWeightsAsInputs = (): Graph => single('conv2d', [[1, 3, 6, 7], [5, 3, 3, 3], [5]], conv([3, 3], [1, 1], [1, 1, 1, 1]));
export const fcWeightsAsInputs = (): Graph => single('fc', [[2, 40], [6, 40], [6]]);

/** conv + bias + residual add + relu, which the passes fuse into one conv epilogue. */
export function convResidualRelu(): Graph {
  return graphOf({ x: [1, 8, 6, 6], r: [1, 8, 6, 6] }, [
    node('c', 'conv2d', ['x', 'cw', 'cb'], conv([3, 3], [1, 1], [1, 1, 1, 1])),
    node('a', 'add', ['c', 'r']),
    node('y', 'relu', ['a']),
  ], undefined, [constant('cw', [8, 8, 3, 3], -0.5, 0.5), constant('cb', [8])]);
}
export const fcGraph = ([n, k, m]: (typeof FC_CASES)[number]): Graph => single('fc', [[n, k]], {}, [constant('fw', [m, k], -0.5, 0.5), constant('fb', [m])]);

/**
 * 3x3 stride-1 convs (groups 1, dilation 1), the shapes Winograd F(4x4, 3x3) runs on the wasm
 * backend, at the edges of its tiling: input shape, output channels, pads. Outputs in tiles of
 * 4x4 (sides not multiples of 4: partial tiles at the right and bottom), padding 0, 1, 2 and
 * asymmetric (tiles reading outside the image), channels not multiples of 4 (partial blocks of
 * the micro-kernel), groups of 4 tiles in one row inside the image (the kernel's contiguous
 * path) and wrapping rows, more tiles than a block (a partial last block), batch 2, K > 512.
 */
export const WINOGRAD_CASES: readonly (readonly [string, Shape, number, number[]])[] = [
  ['13x11, pad 1, 5 -> 7 channels', [1, 5, 13, 11], 7, [1, 1, 1, 1]],
  ['10x9, pad 0 (8x7 out), 6 -> 8 channels', [1, 6, 10, 9], 8, [0, 0, 0, 0]],
  ['9x14, pad 2 (11x16 out), 3 -> 5 channels', [1, 3, 9, 14], 5, [2, 2, 2, 2]],
  ['11x10, asymmetric pads (0, 1, 2, 1)', [1, 4, 11, 10], 6, [0, 1, 2, 1]],
  ['22x26, batch 2, 9 -> 12 channels (rows of 4 tiles inside the image)', [2, 9, 22, 26], 12, [1, 1, 1, 1]],
  ['40x38, 4 -> 4 channels: 100 tiles, two blocks, the last partial', [1, 4, 40, 38], 4, [1, 1, 1, 1]],
  ['6x7, 130 -> 9 channels (K > 512 on the direct path)', [1, 130, 6, 7], 9, [1, 1, 1, 1]],
  ['1x1 input, pad 1: one tile, one pixel', [1, 3, 1, 1], 4, [1, 1, 1, 1]],
  ['2x3, pad 1: rows narrower than a tile', [1, 8, 2, 3], 6, [1, 1, 1, 1]],
];

/** A WINOGRAD_CASES conv with constant weights and bias, then (when given) a residual add of a second input and an activation. */
export function winogradGraph([, x, m, pads]: (typeof WINOGRAD_CASES)[number], tail: 'none' | 'relu' | 'residual+relu' | 'hardswish' = 'none'): Graph {
  const attrs = conv([3, 3], [1, 1], pads);
  const [n, , h, w] = x;
  const y: Shape = [n, m, h + pads[0] + pads[2] - 2, w + pads[1] + pads[3] - 2];
  const inits = [constant('cw', [m, x[1], 3, 3], -0.5, 0.5), constant('cb', [m])];
  const c = node(tail === 'none' ? 'y' : 'c', 'conv2d', ['x', 'cw', 'cb'], attrs);
  if (tail === 'none') return graphOf({ x }, [c], undefined, inits);
  if (tail === 'residual+relu') return graphOf({ x, r: y }, [c, node('a', 'add', ['c', 'r']), node('y', 'relu', ['a'])], undefined, inits);
  return graphOf({ x }, [c, node('y', tail, ['c'])], undefined, inits);
}

/**
 * Graphs whose activation (or batchnorm + activation, or residual add + activation) the
 * graph passes fuse into the conv or fc epilogue: run unfused and fused, with NaN and
 * infinities in the input, each must match the plain reference.
 */
export function fusedGraphs(): readonly (readonly [string, Graph])[] {
  const [conv3, convS2, conv1, dw] = CONV_CASES;
  const convThen = ([, x, w, attrs]: (typeof CONV_CASES)[number], ...tail: Node[]): Graph => graphOf(
    { x }, [node('c', 'conv2d', ['x', 'cw', 'cb'], attrs), ...tail], undefined,
    [constant('cw', w, -0.5, 0.5), constant('cb', [w[0]]), ...batchnormStats(w[0], 'bn')],
  );
  const fcThen = ([n, k, m]: (typeof FC_CASES)[number], tail: Node): Graph =>
    graphOf({ x: [n, k] }, [node('f', 'fc', ['x', 'fw', 'fb']), tail], undefined, [constant('fw', [m, k], -0.5, 0.5), constant('fb', [m])]);
  const bn = (input: string) => node('n', 'batchnorm', [input, 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'], { epsilon: 1e-5 });
  return [
    ['conv2d + relu', convThen(conv3, node('y', 'relu', ['c']))],
    ['conv2d + relu, stride 2, batch 2', convThen(convS2, node('y', 'relu', ['c']))],
    ['conv2d + clip(0, 6)', convThen(conv3, node('y', 'clip', ['c'], { min: 0, max: 6 }))],
    ['conv2d 1x1 + clip(-0.5, 1)', convThen(conv1, node('y', 'clip', ['c'], { min: -0.5, max: 1 }))],
    ['conv2d + leakyrelu(0.1)', convThen(conv3, node('y', 'leakyrelu', ['c'], { alpha: 0.1 }))],
    ['depthwise conv2d + clip(0, 6)', convThen(dw, node('y', 'clip', ['c'], { min: 0, max: 6 }))],
    ['depthwise conv2d + relu', convThen(dw, node('y', 'relu', ['c']))],
    ['conv2d + batchnorm (folded) + relu', convThen(conv3, bn('c'), node('y', 'relu', ['n']))],
    ['conv2d + residual add + relu', convThen(CONV_CASES[3], node('a', 'add', ['c', 'x']), node('y', 'relu', ['a']))],
    ...FC_CASES.map(([n, k, m]) => [`fc [${n}, ${k}] -> ${m} + relu`, fcThen([n, k, m], node('y', 'relu', ['f']))] as const),
    ['fc + clip(0, 6)', fcThen(FC_CASES[0], node('y', 'clip', ['f'], { min: 0, max: 6 }))],
    ['fc + leakyrelu(0.2), batch 12', fcThen(FC_CASES[2], node('y', 'leakyrelu', ['f'], { alpha: 0.2 }))],
    ['conv2d + hardswish', convThen(conv3, node('y', 'hardswish', ['c']))],
    ['conv2d 1x1 + hardsigmoid(1/6, 1/2)', convThen(conv1, node('y', 'hardsigmoid', ['c'], { alpha: 1 / 6, beta: 0.5 }))],
    ['depthwise conv2d + hardswish', convThen(dw, node('y', 'hardswish', ['c']))],
    ['conv2d + batchnorm (folded) + silu', convThen(conv3, bn('c'), node('y', 'silu', ['n']))],
    ['depthwise conv2d + silu', convThen(dw, node('y', 'silu', ['c']))],
    ['fc + hardsigmoid(0.2, 0.5)', fcThen(FC_CASES[0], node('y', 'hardsigmoid', ['f'], { alpha: 0.2, beta: 0.5 }))],
    ['fc + hardswish, batch 12', fcThen(FC_CASES[2], node('y', 'hardswish', ['f']))],
    ['fc + silu', fcThen(FC_CASES[1], node('y', 'silu', ['f']))],
    ['conv2d + gelu', convThen(conv3, node('y', 'gelu', ['c']))],
    ['depthwise conv2d + gelu', convThen(dw, node('y', 'gelu', ['c']))],
    ['fc + gelu', fcThen(FC_CASES[0], node('y', 'gelu', ['f']))],
  ];
}

// ---------------------------------------------------------------------------------------
// Reductions, layer norm and N-d matmul (issue 13)

/** Every non-empty subset of the axes of a rank-`rank` tensor. */
export const axisSubsets = (rank: number): number[][] =>
  Array.from({ length: (1 << rank) - 1 }, (_, m) => [...Array(rank).keys()].filter((a) => ((m + 1) >> a) & 1));

export const REDUCE_OPS = ['reducemean', 'reducesum', 'reducemax'] as const;
/** Rank 4 (every axis subset of each), one with a size-1 axis and rows of 10 (a vector and a tail). */
export const REDUCE_SHAPES: readonly Shape[] = [[2, 3, 4, 5], [3, 9, 1, 10]];

/** Layer norms: shape, attributes, and whether scale and bias are given. */
export const LAYERNORM_CASES: readonly (readonly [Shape, Attrs, boolean])[] = [
  [[2, 3, 4, 5], { axis: 3, count: 0, epsilon: 1e-5 }, true],
  [[2, 3, 4, 5], { axis: 3, count: 0, epsilon: 1e-5 }, false],
  [[3, 10], { axis: 1, count: 0, epsilon: 1e-3 }, true],
  [[2, 3, 4, 5], { axis: 1, count: 0, epsilon: 1e-5 }, true],
  [[2, 3, 4, 5], { axis: 1, count: 0, epsilon: 1e-5 }, false],
  // ConvNeXt's LayerNorm2d: over the channels of NCHW (inner H*W: vectors and a tail).
  [[2, 13, 3, 3], { axis: 1, count: 1, epsilon: 1e-6 }, true],
  [[1, 6, 4, 4], { axis: 1, count: 1, epsilon: 1e-6 }, false],
];

/** A layer norm, its scale and bias constants when asked. */
export function layernormGraph([shape, attrs, affine]: (typeof LAYERNORM_CASES)[number]): Graph {
  const axis = attrs.axis as number;
  const count = attrs.count as number;
  const len = shape.slice(axis, count ? axis + count : shape.length).reduce((a, b) => a * b, 1);
  return single('layernorm', [shape], attrs, affine ? [constant('lnscale', [len], 0.5, 1.5), constant('lnbias', [len])] : []);
}

/** MatMul operand shapes: batch broadcasting, 1-D operands, N not divisible by 8, a 2-D computed B. */
export const MATMUL_CASES: readonly (readonly [Shape, Shape])[] = [
  [[2, 1, 3, 4], [5, 4, 6]],
  [[4], [2, 4, 3]],
  [[2, 3, 4], [4]],
  [[7], [7]],
  [[3, 5, 7], [7, 9]],
  [[1, 9, 17], [2, 17, 10]],
  [[2, 2, 6, 16], [2, 2, 16, 8]],
];

// ---------------------------------------------------------------------------------------
// Layout ops: transpose, slice (split's outputs), channel shuffle (issue 13)

/** Every permutation of 0..n-1. */
export function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, k) => [...p.slice(0, k), n - 1, ...p.slice(k)]));
}

/** Transposes: every permutation of a rank-4 shape, ranks 1..3 whole, some of ranks 5 and 6, NCHW <-> NHWC. */
export const TRANSPOSE_CASES: readonly (readonly [Shape, number[]])[] = [
  ...permutations(4).map((perm) => [[2, 3, 4, 5], perm] as const),
  [[7], [0]],
  ...permutations(2).map((perm) => [[5, 9], perm] as const),
  ...permutations(3).map((perm) => [[3, 1, 7], perm] as const),
  [[2, 3, 2, 5, 3], [4, 2, 0, 3, 1]], [[2, 3, 2, 5, 3], [0, 1, 2, 4, 3]], [[1, 12, 2, 3, 3], [0, 2, 1, 3, 4]],
  [[2, 3, 2, 2, 3, 2], [5, 4, 3, 2, 1, 0]], [[2, 3, 2, 2, 3, 2], [1, 0, 3, 2, 5, 4]], [[2, 3, 2, 2, 3, 2], [0, 2, 4, 1, 3, 5]],
  // NCHW <-> NHWC (ConvNeXt's permutes) with sides past the wasm kernel's 16 x 16 tiles and remainders.
  [[2, 40, 17, 19], [0, 2, 3, 1]], [[1, 17, 19, 40], [0, 3, 1, 2]],
];

/** Channel shuffles: groups 2..4, odd planes, batch 2, a 1x1 plane. */
export const CHANNEL_SHUFFLE_CASES: readonly (readonly [Shape, number])[] = [
  [[1, 12, 5, 7], 2], [[1, 12, 5, 7], 3], [[2, 12, 3, 3], 4], [[2, 6, 1, 1], 3], [[1, 8, 4, 4], 1], [[1, 116, 8, 8], 2],
];

/** Slices (ONNX's attributes): negative and clamped indices, steps, negative steps, axes given or not. */
export const SLICE_CASES: readonly (readonly [Shape, Attrs])[] = [
  [[2, 6, 5, 7], { starts: [1], ends: [4], axes: [1], steps: [1] }],
  [[2, 6, 5, 7], { starts: [-3, 1], ends: [1000, -1], axes: [-1, 2], steps: [1, 1] }],
  [[2, 6, 5, 7], { starts: [0, 0, 1, 0], ends: [2, 6, 5, 7], axes: [0, 1, 2, 3], steps: [1, 2, 2, 3] }],
  [[2, 6, 5, 7], { starts: [-1, 5], ends: [-1000, 0], axes: [3, 1], steps: [-1, -2] }],
  [[2, 6, 5, 7], { starts: [4, 9007199254740991], ends: [-9007199254740991, -9007199254740991], axes: [2, 3], steps: [-3, -1] }],
  [[10], { starts: [-100], ends: [100], axes: [0], steps: [3] }],
  [[3, 8], { starts: [1, -2], ends: [2, 8], axes: [0, 1], steps: [1, 1] }],
  [[2, 3, 4, 5, 6], { starts: [1, 2, 0], ends: [2, 3, 6], axes: [0, 2, 4], steps: [1, 1, 2] }],
];

/** Split as the importer writes it: one slice node per part (`sizes` along `axis`), every part a graph output. */
export function splitGraph(shape: Shape, axis: number, sizes: readonly number[]): Graph {
  let at = 0;
  const nodes = sizes.map((size, k) => {
    const n = node(`y${k}`, 'slice', ['x'], { starts: [at], ends: [at + size], axes: [axis], steps: [1] });
    at += size;
    return n;
  });
  return graphOf({ x: shape }, nodes, nodes.map((n) => n.name));
}

/** Splits on every axis of [4, 6, 6, 8]: in equal parts and in given sizes. */
export const SPLIT_CASES: readonly (readonly [Shape, number, number[]])[] = [
  [[4, 6, 6, 8], 0, [2, 2]], [[4, 6, 6, 8], 0, [1, 3]],
  [[4, 6, 6, 8], 1, [3, 3]], [[4, 6, 6, 8], 1, [1, 2, 3]],
  [[4, 6, 6, 8], 2, [2, 2, 2]], [[4, 6, 6, 8], 2, [5, 1]],
  [[4, 6, 6, 8], 3, [4, 4]], [[4, 6, 6, 8], 3, [3, 4, 1]],
];

/** Reshape [N, C, H, W] -> [N, g, C/g, H, W], transpose [0, 2, 1, 3, 4], reshape back: torch's channel shuffle. */
export function channelShufflePattern(shape: Shape, groups: number): Graph {
  const [n, c, h, w] = shape;
  return graphOf({ x: shape }, [
    node('r', 'reshape', ['x'], { shape: [n, groups, c / groups, h, w] }),
    node('t', 'transpose', ['r'], { perm: [0, 2, 1, 3, 4] }),
    node('y', 'reshape', ['t'], { shape: [n, c, h, w] }),
  ]);
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
  /** Compiles the graph on the backend, with no graph passes (to see it refused, or run with fallback). */
  compile: (g: Graph, options?: CompileOptions) => Promise<Executable>;
  /** Whether max pooling, copies, concat and pad must match bit for bit, else to the backend's tolerance. */
  exactMaxAndCopies: boolean;
}

/**
 * Declares, in describe blocks named after the backend, a test for every case above
 * (pooling, activations, copies, batchnorm, LRN, softmax, broadcasting add and mul,
 * in-place chains, concat, pad, gemm), and every op again over NaN and infinities (matched in
 * position, see `special`), unfused and fused into a conv/fc epilogue.
 */
export function defineOpCaseSuites({ backend, test, agree, compile, exactMaxAndCopies: exact }: OpCaseSuiteOptions): void {
  describe(`${backend} sqrt, pow and torch's activation patterns (issue 13)`, () => {
    test('qdq: ties to even, saturation, NaN to the lowest value (scale 1/8, so x / scale is exact)', () =>
      agree(single('qdq', [[14]], { scale: 0.125, zeroPoint: 3, type: 'int8' }), {
        exact: true,
        edit: startWith([0.0625, 0.1875, 0.3125, -0.3125, -0.1875, -0.0625, 15.9375, 16.0625, -16.4375, 100, -100, NaN, Infinity, -Infinity]),
      }));
    test('sqrt on ranks 1..5, and [nan, inf, -inf, -0, 0, -1, 2]', async () => {
      for (const s of ACTIVATION_SHAPES) await agree(single('sqrt', [s]), { low: 0, high: 50 });
      await agree(single('sqrt', [[7]]), { special: true, edit: startWith([NaN, Infinity, -Infinity, -0, 0, -1, 2]) });
    });
    for (const [a, b] of BROADCAST_PAIRS) {
      test(`pow ${dims(a)} and ${dims(b)}`, () => agree(single('pow', [a, b]), { low: 0.1, high: 3 }));
    }
    test("pow: C's special cases (NaN, infinities, negative bases, -0)", () => agree(single('pow', [[22], [22]]), { special: true, edit: powSpecialEdit }));
    test('pow by constant exponents 2, 3, -1, 0.5, -2.5 of bases of both signs', async () => {
      for (const e of [2, 3, -1, -2]) await agree(powByConstant(e), { low: -3, high: 3 });
      for (const e of [0.5, -2.5]) await agree(powByConstant(e), { low: 0.05, high: 3 });
    });
    for (const { label, graph, ops, patterns } of pointwisePatternGraphs()) {
      test(label, async () => {
        const { graph: optimized, report } = optimizeGraph(graph);
        expect(optimized.nodes.map((n) => n.op)).toEqual(ops);
        expect(report.pointwisePatterns).toEqual(patterns);
        await agree(graph, { fused: true, low: -4, high: 4 });
        await agree(graph, { fused: true, special: true, edit: specials(17) });
      });
    }
  });

  describe(`${backend} pooling kernels`, () => {
    for (const [label, shape, attrs] of POOL_CASES) {
      test(`maxpool ${label}`, () => agree(single('maxpool', [shape], attrs), { exact }));
      for (const countIncludePad of [false, true]) {
        test(`avgpool ${label}, countIncludePad ${countIncludePad}`, () => agree(single('avgpool', [shape], { ...attrs, countIncludePad })));
      }
    }
    test('windows wholly in the padding: maxpool -Infinity, avgpool 0/0 = NaN with countIncludePad 0, 0 with 1', async () => {
      const { shape, attrs } = PADDING_ONLY_WINDOWS;
      await agree(single('maxpool', [shape], attrs), { exact: true, special: true });
      await agree(single('avgpool', [shape], { ...attrs, countIncludePad: false }), { special: true });
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
    test('refuses a broadcast needing more than 6 axes, saying why; with fallback, runs it on the reference backend', async () => {
      const g = broadcastBeyondSixAxes();
      const e = await compile(g).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(UnsupportedOpError);
      expect((e as UnsupportedOpError).reasons.get('y')).toMatch(/broadcast needs 7 axes after merging; .* at most 6/);
      const exe = await compile(g, { fallback: true });
      expect(exe.info().fallbackNodes).toEqual(['y']);
      const feeds = seededFeeds(g);
      const ref = await (await getBackend('reference').compile(g, { optimize: false })).run(feeds);
      const got = await exe.run(feeds);
      exe.dispose();
      expectOutputsAgree(g.outputs, got, ref, () => 0, true);
      // Between nodes the backend runs: relu, then the fallback add, then sigmoid.
      const [a, b] = g.inputs.map((i) => i.shape);
      const chain = graphOf({ x0: a, x1: b }, [node('m', 'relu', ['x0']), node('y', 'add', ['m', 'x1']), node('z', 'sigmoid', ['y'])]);
      const mixed = await compile(chain, { fallback: true });
      expect(mixed.info().fallbackNodes).toEqual(['y']);
      const chainFeeds = seededFeeds(chain);
      const want = await (await getBackend('reference').compile(chain, { optimize: false })).run(chainFeeds);
      const have = await mixed.run(chainFeeds);
      expect(mixed.profile().map((t) => t.node)).toEqual(['m', 'y', 'z']);
      mixed.dispose();
      expectOutputsAgree(chain.outputs, have, want, tolerance(chain, chainFeeds, backend as TolerancePreset));
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

  describe(`${backend} 3x3 stride-1 convs (wasm: Winograd F(4x4, 3x3) with winograd 'all', the direct path with false)`, () => {
    for (const c of WINOGRAD_CASES) {
      test(`conv2d ${c[0]}: bias`, async () => {
        for (const winograd of ['all', false]) await agree(winogradGraph(c), { compile: { winograd } });
      });
    }
    const [odd, pad0, pad2, asym, batch2] = WINOGRAD_CASES;
    for (const [c, tail] of [[odd, 'relu'], [pad2, 'residual+relu'], [batch2, 'residual+relu'], [asym, 'hardswish'], [pad0, 'relu']] as const) {
      test(`conv2d ${c[0]}: ${tail}, fused into the epilogue and not`, async () => {
        for (const winograd of ['all', false]) await agree(winogradGraph(c, tail), { fused: true, compile: { winograd } });
      });
    }
    // Winograd's transform mixes a whole 6x6 patch: a NaN or an infinity must still reach only
    // the outputs whose 3x3 window holds it (wasm: such tiles are computed directly). Dense
    // (every 13th value) and sparse (every 97th: most tiles finite, a few not).
    const [, , , , , blocks, , , narrow] = WINOGRAD_CASES;
    for (const c of [odd, pad2, batch2, blocks, narrow]) {
      test(`conv2d ${c[0]}: NaN and infinities in the input, in position`, async () => {
        for (const every of [13, 97]) {
          for (const winograd of ['all', false]) await agree(winogradGraph(c, 'residual+relu'), { fused: true, special: true, edit: specials(every), compile: { winograd } });
        }
      });
    }
  });

  describe(`${backend} conv2d and fc kernels`, () => {
    for (const c of CONV_KERNEL_CASES) test(`conv2d ${c[0]}`, () => agree(convGraph(c)));
    test('conv2d with weight and bias as graph inputs', () => agree(convWeightsAsInputs()));
    test('conv2d + bias + residual + relu, fused into one epilogue and not', async () => {
      const { graph, report } = optimizeGraph(convResidualRelu());
      expect(graph.nodes.map((n) => n.op)).toEqual(['conv2d']);
      expect([report.fusedResiduals, report.fusedActivations]).toEqual([['a'], ['y']]);
      await agree(convResidualRelu(), { fused: true });
    });
    for (const c of FC_KERNEL_CASES) test(`fc [${c[0]}, ${c[1]}] -> ${c[2]}`, () => agree(fcGraph(c)));
    test('fc with weight and bias as graph inputs', () => agree(fcWeightsAsInputs()));
  });

  describe(`${backend} inverted residual blocks (issue 14: fused where the backend has the kernel, else three convs)`, () => {
    for (const c of INVERTED_RESIDUAL_CASES) {
      test(`inverted residual ${c[0]}`, async () => {
        const g = invertedResidualGraph(c);
        expect(fuseBottlenecks(optimizeGraph(g).graph).blocks, 'the pass fuses the chain').toEqual(['y']);
        await agree(g, { fused: true, low: -1, high: 1 });
      });
    }
    for (const c of INVERTED_RESIDUAL_CASES.filter(([, , t]) => t > 1).slice(1, 5)) {
      test(`inverted residual with squeeze-excite (expand -> depthwise fused, project apart) ${c[0]}`, async () => {
        const g = invertedResidualGraph(c, true);
        const { blocks, halves } = fuseBottlenecks(optimizeGraph(g).graph);
        expect([blocks, halves], 'only the first half fuses').toEqual([[], ['d']]);
        await agree(g, { fused: true, low: -1, high: 1 });
      });
    }
  });

  describe(`${backend} reductions, layernorm and matmul`, () => {
    for (const op of REDUCE_OPS) {
      for (const keepdims of [true, false]) {
        test(`${op} keepdims ${keepdims}: every axis subset of ${REDUCE_SHAPES.map(dims).join(' and ')}`, async () => {
          for (const shape of REDUCE_SHAPES) {
            for (const axes of axisSubsets(shape.length)) await agree(single(op, [shape], { axes, keepdims }), { exact: exact && op === 'reducemax' });
          }
        });
      }
    }
    for (const c of LAYERNORM_CASES) {
      test(`layernorm ${dims(c[0])} ${JSON.stringify(c[1])} ${c[2] ? 'with' : 'without'} scale and bias`, () => agree(layernormGraph(c), { low: -3, high: 5 }));
    }
    for (const [a, b] of MATMUL_CASES) {
      test(`matmul ${dims(a)} x ${dims(b)}`, async () => {
        await agree(single('matmul', [a, b]));
        await agree(single('matmul', [a], {}, [constant('B', b)]));
      });
    }
    test('reductions with NaN and infinities: max keeps NaN (numpy, PyTorch), sums give NaN or inf', async () => {
      for (const op of REDUCE_OPS) {
        for (const axes of [[3], [1], [2, 3], [0, 2], [0, 1, 2, 3]]) {
          const g = single(op, [[2, 3, 4, 5]], { axes, keepdims: true });
          await agree(g, { exact: exact && op === 'reducemax', special: true, edit: specials(13) });
        }
      }
    });
    test('layernorm and matmul with NaN and infinities', async () => {
      for (const c of LAYERNORM_CASES) await agree(layernormGraph(c), { special: true, edit: specials(11) });
      for (const [a, b] of MATMUL_CASES.filter(([a, b]) => a.length > 1 && b.length > 1)) await agree(single('matmul', [a, b]), { special: true, edit: specials(11) });
    });
  });

  describe(`${backend} layout kernels: transpose, slice, split, channel shuffle`, () => {
    test(`transpose: every permutation of [2, 3, 4, 5], ranks 1..3, some of ranks 5 and 6, NCHW <-> NHWC (${TRANSPOSE_CASES.length} cases)`, async () => {
      for (const [shape, perm] of TRANSPOSE_CASES) await agree(single('transpose', [shape], { perm }), { exact });
    });
    for (const [shape, groups] of CHANNEL_SHUFFLE_CASES) {
      test(`channelshuffle ${dims(shape)} in ${groups} groups`, () => agree(single('channelshuffle', [shape], { groups }), { exact }));
    }
    for (const [shape, attrs] of SLICE_CASES) {
      test(`slice ${dims(shape)} ${JSON.stringify(attrs)}`, () => agree(single('slice', [shape], attrs), { exact }));
    }
    for (const [shape, axis, sizes] of SPLIT_CASES) {
      test(`split ${dims(shape)} on axis ${axis} into [${sizes.join(', ')}]`, () => agree(splitGraph(shape, axis, sizes), { exact }));
    }
    test('reshape -> transpose -> reshape (torch\'s channel shuffle) becomes one channelshuffle, and agrees fused and not', async () => {
      for (const groups of [2, 3, 4]) {
        const g = channelShufflePattern([2, 12, 3, 5], groups);
        const { graph, report } = optimizeGraph(g);
        expect(graph.nodes.map((n) => [n.op, n.attrs])).toEqual([['channelshuffle', { groups }]]);
        expect(report.channelShuffles).toEqual(['t']);
        await agree(g, { exact, fused: true });
      }
    });
    test('layout ops with NaN and infinities move them bit for bit', async () => {
      const edit = specials(7);
      await agree(single('transpose', [[2, 3, 4, 5]], { perm: [3, 1, 0, 2] }), { exact: true, special: true, edit });
      await agree(single('slice', [[2, 6, 5, 7]], { starts: [-1, 5], ends: [-1000, 0], axes: [3, 1], steps: [-1, -2] }), { exact: true, special: true, edit });
      await agree(single('channelshuffle', [[1, 12, 5, 7]], { groups: 3 }), { exact: true, special: true, edit });
      await agree(splitGraph([4, 6, 6, 8], 1, [1, 2, 3]), { exact: true, special: true, edit });
    });
  });

  describe(`${backend}: NaN and infinities, as PyTorch and ONNX give them (issue 11)`, () => {
    /** Agrees with `special`, on cases whose inputs really hold a NaN or an infinity. */
    const agreeSpecial = (g: Graph, options: AgreeOptions) => {
      const feeds = seededFeeds(g, options);
      expect(Object.values(feeds).some((d) => d.some((v) => !Number.isFinite(v))), 'planted NaN or infinity').toBe(true);
      return agree(g, { ...options, special: true });
    };
    // qdq maps NaN and infinities to finite grid values (its own test, with ties and saturation).
    for (const [op, attrs] of ACTIVATION_OPS.filter(([o]) => o !== 'qdq')) {
      test(`${op} ${JSON.stringify(attrs)}: [nan, inf, -inf, -0, 0, -1, 2], then planted on ranks 1..5`, async () => {
        await agreeSpecial(single(op, [[7]], attrs), { edit: startWith([NaN, Infinity, -Infinity, -0, 0, -1, 2]) });
        for (const s of ACTIVATION_SHAPES.filter((sh) => sh.reduce((a, b) => a * b, 1) > 1)) {
          await agreeSpecial(single(op, [s], attrs), { low: -8, high: 8, edit: specials(7) });
        }
      });
    }
    for (const [label, shape, attrs] of SPECIAL_POOL_CASES) {
      test(`maxpool and avgpool ${label}`, async () => {
        const edit = specials(11);
        await agreeSpecial(single('maxpool', [shape], attrs), { exact: true, edit });
        for (const countIncludePad of [false, true]) await agreeSpecial(single('avgpool', [shape], { ...attrs, countIncludePad }), { edit });
      });
    }
    test('globalavgpool and globalmaxpool', async () => {
      for (const op of GLOBAL_POOL_OPS) {
        for (const shape of GLOBAL_POOL_SHAPES.filter((s) => s[2] * s[3] > 1)) {
          await agreeSpecial(single(op, [shape]), { exact: op === 'globalmaxpool', edit: specials(23) });
        }
      }
    });
    for (const [shape, attrs, values] of LRN_ISSUE_CASES) {
      test(`lrn of [${values.join(', ')}] ${JSON.stringify(attrs)}`, () => agreeSpecial(single('lrn', [shape], attrs), { edit: startWith(values) }));
    }
    test('lrn, every case, planted', async () => {
      for (const [shape, attrs] of LRN_CASES.filter(([s]) => s.reduce((a, b) => a * b, 1) >= 20)) await agreeSpecial(single('lrn', [shape], attrs), { edit: specials(11) });
    });
    test('softmax rows with -inf (0), all -inf, +inf, NaN (all NaN), on the last axis and the middle one', async () => {
      for (const [g, options] of softmaxRowsGraphs()) await agreeSpecial(g, options);
    });
    test('softmax, every case, planted', async () => {
      for (const [shape, attrs] of SOFTMAX_CASES.filter(([s]) => s.reduce((a, b) => a * b, 1) >= 30)) {
        await agreeSpecial(single('softmax', [shape], attrs), { low: -20, high: 20, edit: specials(23) });
      }
    });
    test('batchnorm', async () => {
      for (const shape of BATCHNORM_SHAPES.filter((s) => s.reduce((a, b) => a * b, 1) >= 20)) {
        await agreeSpecial(single('batchnorm', [shape], { epsilon: 1e-5 }, batchnormStats(shape[1], `bn${shape.length}`)), { edit: specials(7) });
      }
    });
    for (const op of BINARY_OPS) {
      test(`${op}, broadcasting`, async () => {
        for (const [a, b] of BROADCAST_PAIRS.filter(([a, b]) => a.reduce((x, y) => x * y, 1) * b.reduce((x, y) => x * y, 1) >= 20)) {
          await agreeSpecial(single(op, [a, b]), { edit: specials(7) });
        }
      });
    }
    test('gemm, every case', async () => {
      for (const gemm of GEMM_CASES.filter(([M, K, N]) => M * K * N > 1)) {
        for (const g of gemmGraphs(gemm)) await agreeSpecial(g, { edit: specials(11) });
      }
    });
    for (const c of CONV_CASES) {
      test(`conv2d ${c[0]}`, () => agreeSpecial(convGraph(c), { edit: specials(41) }));
    }
    test('fc', async () => {
      for (const c of FC_CASES) await agreeSpecial(fcGraph(c), { edit: specials(29) });
    });
    test('copies, concat and pad: bit for bit', async () => {
      for (const [op, shape, attrs] of COPY_CASES) {
        await agreeSpecial(single(op, [shape], attrs), { exact: true, edit: specials(5) });
        await agreeSpecial(copiedGraph(op, shape, attrs), { exact: true, edit: specials(5) });
      }
      for (const [shapes, axis] of CONCAT_CASES) await agreeSpecial(single('concat', shapes, { axis }), { exact: true, edit: specials(5) });
      for (const [shape, pads, value] of PAD_CASES) await agreeSpecial(single('pad', [shape], { pads, value }), { exact: true, edit: specials(5) });
    });
    for (const [label, g] of fusedGraphs()) {
      test(`fused and unfused agree: ${label}`, async () => {
        const { report } = optimizeGraph(g);
        expect(report.fusedActivations.length, 'the activation fuses').toBe(1);
        await agreeSpecial(g, { fused: true, edit: specials(29) });
      });
    }
  });
}
