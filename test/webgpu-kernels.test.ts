/**
 * Every WebGPU kernel but conv2d/fc against the reference kernels, on small seeded-random
 * graphs with the edge shapes and attributes that break index arithmetic: odd sizes, ceil
 * mode, dilation, asymmetric and negative pads, both count_include_pad rules, NaN and
 * -Infinity in a max pool, broadcasting of rank 0..6, softmax on every axis, LRN of odd
 * and even size, gemm with every transpose, in-place chains and 1x1 inputs. Each graph
 * runs with no graph passes, on the shared device (Dawn on SwiftShader in Node). Max and
 * copy ops must match exactly; the rest to 1e-5 of max(1, max |reference|).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backends/backend.js';
import { referenceBackend } from '../src/backends/reference/reference-backend.js';
import { GPU_KERNELS } from '../src/backends/webgpu/register-kernels.js';
import { releaseSharedGpu, sharedGpu, webgpuBackend } from '../src/backends/webgpu/webgpu-backend.js';
import { ExecutableError, GpuError } from '../src/graph/errors.js';
import type { Graph, Initializer, Node, OpType, Shape } from '../src/graph/graph.js';
import { finalizeGraph } from '../src/graph/validate.js';
import { mulberry32 } from '../src/graph/weight-init.js';
import { OP_TYPES } from '../src/ops/registry.js';
import { planMemory } from '../src/plan/memory-planner.js';
import { requireOracle } from './helpers/python.js';

type Attrs = Record<string, unknown>;

let available = false;
let why = '';

beforeAll(async () => {
  try {
    await sharedGpu();
    available = true;
  } catch (e) {
    if (!(e instanceof GpuError)) throw e;
    why = e.message;
  }
}, 60_000);

afterAll(() => releaseSharedGpu());

const node = (name: string, op: OpType, inputs: string[], attrs: Attrs = {}): Node => ({ name, op, inputs, outputs: [name], attrs, layer: name });

/** A seeded constant tensor. */
const constant = (name: string, shape: Shape, low = -1, high = 1): Initializer => ({
  name, shape, trainable: true, init: { seed: name.length * 7919 + shape.length, low, high },
});

function graphOf(inputs: Record<string, Shape>, nodes: Node[], outputs = [nodes[nodes.length - 1].name], inits: Initializer[] = []): Graph {
  return finalizeGraph('t', Object.entries(inputs).map(([name, shape]) => ({ name, shape })), outputs, nodes, new Map(inits.map((i) => [i.name, i])));
}

/** One node over graph inputs x0, x1, ... and the given constants. */
function single(op: OpType, shapes: Shape[], attrs: Attrs = {}, inits: Initializer[] = []): Graph {
  const inputs = Object.fromEntries(shapes.map((s, i) => [`x${i}`, s]));
  return graphOf(inputs, [node('y', op, [...Object.keys(inputs), ...inits.map((i) => i.name)], attrs)], ['y'], inits);
}

interface AgreeOptions {
  low?: number;
  high?: number;
  seed?: number;
  /** Bit-exact (NaN matching NaN, infinities themselves): max pooling and copies. */
  exact?: boolean;
  /** Edits the seeded inputs (to plant NaN and infinities). */
  edit?: (name: string, data: Float32Array) => void;
}

/**
 * Runs the graph on the reference backend and (twice: no run may depend on what the last
 * left) on WebGPU with seeded inputs in [low, high), and compares every output.
 */
async function agree(g: Graph, { low = -2, high = 2, seed = 3, exact = false, edit }: AgreeOptions = {}): Promise<void> {
  const next = mulberry32(seed);
  const feeds = Object.fromEntries(
    g.inputs.map((i) => {
      const data = Float32Array.from({ length: i.shape.reduce((a, b) => a * b, 1) }, () => low + (high - low) * next());
      edit?.(i.name, data);
      return [i.name, data];
    }),
  );
  const ref = await referenceBackend.compile(g, { optimize: false });
  const exe = await (webgpuBackend as Backend).compile(g, { optimize: false });
  const want = await ref.run(feeds);
  await exe.run(feeds);
  const got = await exe.run(feeds);
  ref.dispose();
  exe.dispose();
  for (const name of g.outputs) {
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
    expect(maxErr, `${name}: max |error| against max |reference| ${maxRef}`).toBeLessThanOrEqual(1e-5 * Math.max(1, maxRef));
  }
}

/** `it`, skipped when there is no adapter (the first test below fails under CI then). */
function gpuIt(name: string, fn: () => Promise<unknown>): void {
  it(name, async (ctx) => {
    if (!available) return ctx.skip();
    await fn();
  });
}

describe('webgpu kernels', () => {
  it('finds a WebGPU adapter (required under CI)', (ctx) => {
    if (!requireOracle(available, `a WebGPU adapter (${why})`, "Debian's chromium package (SwiftShader) and the npm package webgpu")) {
      return ctx.skip();
    }
  });

  it('has a kernel for every op of the IR', () => {
    expect(OP_TYPES.filter((op) => !GPU_KERNELS.has(op))).toEqual([]);
  });
});

const pool = (kernel: number[], stride: number[], pads: number[], extra: Attrs = {}): Attrs => ({
  kernel, stride, pads, dilation: [1, 1], ceilMode: false, ...extra,
});

describe('webgpu pooling kernels', () => {
  const cases: [string, Shape, Attrs][] = [
    ['3x3 s2', [1, 3, 7, 7], pool([3, 3], [2, 2], [0, 0, 0, 0])],
    ['3x3 s2, ceil, asymmetric pads, batch 2', [2, 5, 9, 10], pool([3, 3], [2, 2], [1, 0, 2, 1], { ceilMode: true })],
    ['2x2 s2, ceil, odd sides', [2, 3, 11, 21], pool([2, 2], [2, 2], [0, 0, 0, 0], { ceilMode: true })],
    ['3x3 s1 pad 1, width 17', [1, 2, 6, 17], pool([3, 3], [1, 1], [1, 1, 1, 1])],
    ['3x3 s3, ceil, pads 1', [1, 3, 10, 11], pool([3, 3], [3, 3], [1, 1, 1, 1], { ceilMode: true })],
    ['1x3 s(1,2), pads (0,1,0,2)', [1, 5, 4, 19], pool([1, 3], [1, 2], [0, 1, 0, 2])],
    ['5x5 s2 pad 2', [1, 1, 9, 40], pool([5, 5], [2, 2], [2, 2, 2, 2])],
    ['3x3 s2 pad 1, dilation 2', [2, 3, 12, 13], pool([3, 3], [2, 2], [1, 1, 1, 1], { dilation: [2, 2] })],
    ['2x3 s(1,2), dilation (3,2), ceil', [1, 4, 9, 9], pool([2, 3], [1, 2], [1, 0, 0, 2], { dilation: [3, 2], ceilMode: true })],
    ['3x2 s(2,1), dilation (2,3), ceil', [1, 3, 10, 9], pool([3, 2], [2, 1], [2, 1, 1, 0], { dilation: [2, 3], ceilMode: true })],
    ['1x1 input', [2, 3, 1, 1], pool([1, 1], [1, 1], [0, 0, 0, 0])],
    ['1x1 input, pads 1, k2', [1, 2, 1, 1], pool([2, 2], [1, 1], [1, 1, 0, 0])],
  ];
  for (const [label, shape, attrs] of cases) {
    gpuIt(`maxpool ${label}`, () => agree(single('maxpool', [shape], attrs), { exact: true }));
    for (const countIncludePad of [false, true]) {
      gpuIt(`avgpool ${label}, countIncludePad ${countIncludePad}`, () => agree(single('avgpool', [shape], { ...attrs, countIncludePad })));
    }
  }
  gpuIt('windows wholly in the padding: maxpool -Infinity, avgpool with countIncludePad 0', async () => {
    const attrs = pool([2, 2], [1, 1], [2, 2, 2, 2]);
    await agree(single('maxpool', [[1, 2, 3, 4]], attrs), { exact: true });
    await agree(single('avgpool', [[1, 2, 3, 4]], { ...attrs, countIncludePad: true }));
  });
  gpuIt('maxpool with NaN and -Infinity in the input: NaN wins, -Infinity is a value, padding never wins', async () => {
    const edit = (_: string, d: Float32Array) => {
      d.fill(-Infinity, 0, 20); // a corner of plane 0 all -Infinity: windows there stay -Infinity
      d[40] = NaN;
      d[77] = NaN;
      d[d.length - 1] = NaN;
      d[100] = Infinity;
    };
    await agree(single('maxpool', [[1, 2, 7, 9]], pool([3, 3], [2, 2], [1, 1, 1, 1], { ceilMode: true })), { exact: true, edit });
    await agree(single('maxpool', [[1, 2, 7, 9]], pool([2, 2], [1, 1], [1, 1, 1, 1], { dilation: [2, 2] })), { exact: true, edit });
    // All negative: a zero from the padding would win if padding counted.
    await agree(single('maxpool', [[1, 3, 5, 5]], pool([3, 3], [1, 1], [1, 1, 1, 1])), { exact: true, low: -3, high: -1 });
  });
  for (const op of ['globalavgpool', 'globalmaxpool'] as const) {
    for (const shape of [[2, 5, 7, 7], [1, 3, 1, 1], [1, 6, 3, 5], [1, 4, 17, 19], [3, 2, 2, 4]] as Shape[]) {
      gpuIt(`${op} [${shape.join(', ')}]`, () => agree(single(op, [shape]), { exact: op === 'globalmaxpool' }));
    }
  }
  gpuIt('globalmaxpool with NaN and -Infinity planes', () =>
    agree(single('globalmaxpool', [[1, 4, 9, 11]]), {
      exact: true,
      edit: (_, d) => {
        d.fill(-Infinity, 0, 99); // plane 0
        d[99 + 98] = NaN; // plane 1, last value
        d[2 * 99 + 3] = NaN; // plane 2
      },
    }));
});

describe('webgpu lrn and softmax kernels', () => {
  const lrnCases: [Shape, Attrs][] = [
    [[2, 7, 5, 5], { size: 5, alpha: 1e-4, beta: 0.75, bias: 2 }],
    [[1, 6, 3, 3], { size: 3, alpha: 0.5, beta: 0.5, bias: 1 }],
    [[1, 5, 2, 3], { size: 4, alpha: 2, beta: 0.75, bias: 1 }],
    [[1, 3, 1, 1], { size: 7, alpha: 1, beta: 1.3, bias: 0.5 }],
    [[2, 10, 4, 6], { size: 5, alpha: 0.3, beta: 0.75, bias: 1 }],
  ];
  for (const [shape, attrs] of lrnCases) {
    gpuIt(`lrn [${shape.join(', ')}] ${JSON.stringify(attrs)}`, () => agree(single('lrn', [shape], attrs)));
  }

  const softmaxCases: [Shape, Attrs][] = [
    [[3, 10], { axis: 1 }], [[2, 3, 4, 5], { axis: 0 }], [[2, 3, 4, 5], { axis: 1 }], [[2, 3, 4, 5], { axis: 2 }],
    [[2, 3, 4, 5], { axis: 3 }], [[2, 3, 4, 5], { axis: 1, coerce2d: true }], [[2, 3, 4, 5], { axis: 2, coerce2d: true }],
    [[2, 3, 4, 5], { axis: 0, coerce2d: true }], [[5], { axis: 0 }], [[1, 1000], { axis: 1 }], [[2, 3, 7], { axis: 1 }],
    [[1, 1], { axis: 1 }], [[2, 9, 1, 1], {}],
  ];
  for (const [shape, attrs] of softmaxCases) {
    gpuIt(`softmax [${shape.join(', ')}] ${JSON.stringify(attrs)}`, async () => {
      const g = single('softmax', [shape], attrs);
      expect(planMemory(g).offsets.get('y')).toBe(planMemory(g).offsets.get('x0')); // in place
      await agree(g, { low: -20, high: 20 });
    });
  }
});

describe('webgpu add and mul (broadcasting)', () => {
  const pairs: [Shape, Shape][] = [
    [[2, 3, 4, 5], [2, 3, 4, 5]], [[2, 3, 4, 5], [3, 1, 1]], [[1], [2, 3]], [[2, 3, 4, 5], [1]], [[1], [2, 3, 4, 5]],
    [[2, 3, 4, 5], []], [[2, 6, 5, 7], [1, 6, 1, 1]], [[2, 6, 5, 7], [7]], [[3, 1, 5], [1, 4, 1]], [[4, 1], [3]],
    [[2, 3, 4, 5, 6], [3, 1, 5, 1]], [[2, 3, 2, 3, 2, 3], [2, 1, 2, 1, 2, 1]], [[1, 1], [1, 1]], [[5, 1, 1, 1], [1, 1, 1, 9]],
    [[2, 6, 1, 1], [2, 6, 3, 3]], [[2, 1, 6], [2, 3, 1]],
  ];
  for (const op of ['add', 'mul'] as const) {
    for (const [a, b] of pairs) {
      gpuIt(`${op} [${a.join(', ')}] and [${b.join(', ')}]`, () => agree(single(op, [a, b])));
    }
    gpuIt(`${op} with a constant per-channel operand`, () => agree(single(op, [[2, 5, 3, 3]], {}, [constant('w', [5, 1, 1])])));
    gpuIt(`${op} with a constant first operand`, () => agree(graphOf({ x: [2, 3, 4] }, [node('y', op, ['w', 'x'])], ['y'], [constant('w', [3, 1])])));
  }
  gpuIt('refuses a broadcast needing more than 6 axes with a clear error', async () => {
    const g = single('add', [[2, 3, 2, 3, 2, 3, 2], [2, 1, 2, 1, 2, 1, 2]]);
    await expect(webgpuBackend.compile(g, { optimize: false })).rejects.toThrow(ExecutableError);
  });
});

describe('webgpu in-place chains', () => {
  gpuIt('add -> relu -> batchnorm -> clip -> softmax share one buffer and agree', async () => {
    const c = 6;
    const g = graphOf({ a: [2, c, 3, 5], b: [2, c, 3, 5] }, [
      node('s', 'add', ['a', 'b']), node('r', 'relu', ['s']), node('n', 'batchnorm', ['r', 'sc', 'bi', 'me', 'va'], { epsilon: 1e-5 }),
      node('k', 'clip', ['n'], { min: -1, max: 2 }), node('y', 'softmax', ['k'], { axis: 1 }),
    ], ['y'], [constant('sc', [c]), constant('bi', [c]), constant('me', [c]), constant('va', [c], 0.5, 1)]);
    const plan = planMemory(g);
    expect(new Set(['a', 's', 'r', 'n', 'k', 'y'].map((t) => plan.offsets.get(t))).size).toBe(1);
    await agree(g);
  });
  gpuIt('mul -> lrn -> maxpool -> pad -> globalavgpool -> gemm', async () => {
    const g = graphOf({ a: [2, 4, 6, 6], b: [4, 1, 1] }, [
      node('m', 'mul', ['a', 'b']), node('l', 'lrn', ['m'], { size: 3, alpha: 0.1, beta: 0.75, bias: 1 }),
      node('p', 'maxpool', ['l'], pool([2, 2], [2, 2], [0, 0, 0, 0])), node('q', 'pad', ['p'], { pads: [0, 0, 1, 0, 0, 0, 0, 1], value: 0.5 }),
      node('g', 'globalavgpool', ['q']), node('f', 'flatten', ['g'], { axis: 1 }),
      node('y', 'gemm', ['f', 'W', 'C'], { alpha: 1, beta: 1, transA: false, transB: true }),
    ], ['y', 'q'], [constant('W', [3, 4]), constant('C', [3])]);
    await agree(g);
  });
});

describe('webgpu pad and gemm', () => {
  const padCases: [Shape, number[], number][] = [
    [[1, 3, 4, 5], [0, 0, 1, 2, 0, 0, 2, 1], 0], [[2, 3, 4, 5], [0, 0, 1, 1, 0, 0, 1, 1], 1.5],
    [[1, 3, 4, 5], [0, 0, -1, 1, 0, 0, 1, -2], 0], [[7], [2, 3], -1], [[2, 3, 4], [1, 2, 0, 0, 1, 3], 2],
    [[2, 3, 4, 5], [1, 0, 0, 0, 1, 0, 0, 0], 0], [[2, 3, 6, 5], [0, -1, -2, -1, 0, 0, -1, -3], 0],
    [[1, 2, 3, 2, 3], [0, 1, 0, 1, 0, 0, 1, 0, 2, 1], 0.5], [[2, 3], [0, 0, 0, 0], 0],
    [[2, 1, 3, 2, 2, 3], [1, 0, -1, 0, 1, 1, 0, 2, 0, 1, -1, -1], -2.5],
  ];
  for (const [shape, pads, value] of padCases) {
    gpuIt(`pad [${shape.join(', ')}] by [${pads.join(', ')}] with ${value}`, () => agree(single('pad', [shape], { pads, value }), { exact: true }));
  }

  const gemmCases: [number, number, number, Attrs, Shape | undefined][] = [
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
  for (const [M, K, N, attrs, cShape] of gemmCases) {
    gpuIt(`gemm M=${M} K=${K} N=${N} ${JSON.stringify(attrs)} C ${cShape ? `[${cShape.join(', ')}]` : 'none'}`, async () => {
      const a: Shape = attrs.transA ? [K, M] : [M, K];
      const b: Shape = attrs.transB ? [N, K] : [K, N];
      await agree(single('gemm', cShape ? [a, b, cShape] : [a, b], attrs));
      // B (and C) constant, as an imported MatMul with weights would have them.
      const inits = [constant('B', b), ...(cShape ? [constant('C', cShape)] : [])];
      await agree(single('gemm', [a], attrs, inits));
    });
  }
});
