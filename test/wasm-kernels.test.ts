/**
 * Every wasm kernel but conv2d/fc against the reference kernels, on small seeded-random
 * graphs with the edge shapes that break SIMD code: channels and widths not divisible by 4,
 * ceil mode, asymmetric pads, both count_include_pad rules, broadcasting of rank 0..6,
 * softmax on every axis, batch > 1, in-place chains and 1x1 inputs. Each graph runs with
 * no graph passes and no fallback, so the op itself runs in wasm.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { ExecutableError } from '../src/graph/errors.js';
import type { Graph, Initializer, Node, OpType, Shape } from '../src/graph/graph.js';
import { finalizeGraph } from '../src/graph/validate.js';
import { mulberry32 } from '../src/graph/weight-init.js';
import { planMemory } from '../src/plan/memory-planner.js';
import { RELAXED_WASM_BASE64, SIMD_WASM_BASE64 } from '../src/backends/wasm/binary.generated.js';

type Attrs = Record<string, unknown>;

const node = (name: string, op: OpType, inputs: string[], attrs: Attrs = {}): Node => ({ name, op, inputs, outputs: [name], attrs, layer: name });

/** A seeded constant tensor. */
const constant = (name: string, shape: Shape, low = -1, high = 1): Initializer => ({
  name, shape, trainable: true, init: { seed: name.length * 7919 + shape.length, low, high },
});

function graphOf(inputs: Record<string, Shape>, nodes: Node[], outputs = [nodes[nodes.length - 1].name], inits: Initializer[] = []): Graph {
  return finalizeGraph('t', Object.entries(inputs).map(([name, shape]) => ({ name, shape })), outputs, nodes, new Map(inits.map((i) => [i.name, i])));
}

/** One node over graph inputs x0, x1, ... */
function single(op: OpType, shapes: Shape[], attrs: Attrs = {}, inits: Initializer[] = []): Graph {
  const inputs = Object.fromEntries(shapes.map((s, i) => [`x${i}`, s]));
  return graphOf(inputs, [node('y', op, [...Object.keys(inputs), ...inits.map((i) => i.name)], attrs)], ['y'], inits);
}

/** Runs the graph on both backends with seeded inputs in [low, high) and compares every output. */
async function agree(g: Graph, { low = -2, high = 2, seed = 3 } = {}) {
  const next = mulberry32(seed);
  const feeds = Object.fromEntries(
    g.inputs.map((i) => [i.name, Float32Array.from({ length: i.shape.reduce((a, b) => a * b, 1) }, () => low + (high - low) * next())]),
  );
  const ref = await getBackend('reference').compile(g, { optimize: false });
  const exe = await getBackend('wasm').compile(g, { optimize: false });
  expect(exe.info().fallbackNodes).toEqual([]);
  const want = await ref.run(feeds);
  // Twice: a kernel must not depend on state a previous run left (in-place chains, scratch).
  await exe.run(feeds);
  const got = await exe.run(feeds);
  ref.dispose();
  exe.dispose();
  for (const name of g.outputs) {
    const a = got[name].data;
    const b = want[name].data;
    expect(got[name].shape).toEqual(want[name].shape);
    let maxRef = 0;
    let maxErr = 0;
    for (let i = 0; i < b.length; i++) {
      maxRef = Math.max(maxRef, Math.abs(b[i]));
      maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
    }
    expect(b.every(Number.isFinite), `${name}: reference finite`).toBe(true);
    expect(maxErr, `${name}: max |error| against max |reference| ${maxRef}`).toBeLessThanOrEqual(1e-4 * maxRef);
  }
}

/** Ids of the sections of a wasm binary. */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  for (let i = 8; i < bytes.length; ) {
    ids.push(bytes[i++]);
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[i++];
      len |= (b & 127) << shift;
      if (!(b & 128)) break;
    }
    i += len;
  }
  return ids;
}

describe('the kernels module', () => {
  it('has no static data: the host lays out all of memory (Mathf.exp/pow tables would sit under the arena)', () => {
    for (const b64 of [SIMD_WASM_BASE64, RELAXED_WASM_BASE64]) expect(sectionIds(Buffer.from(b64, 'base64'))).not.toContain(11);
  });
});

const pool = (kernel: number[], stride: number[], pads: number[], extra: Attrs = {}): Attrs => ({
  kernel, stride, pads, dilation: [1, 1], ceilMode: false, ...extra,
});

describe('wasm pooling kernels', () => {
  const cases: [string, Shape, Attrs][] = [
    ['3x3 s2', [1, 3, 7, 7], pool([3, 3], [2, 2], [0, 0, 0, 0])],
    ['3x3 s2, ceil, asymmetric pads, batch 2', [2, 5, 9, 10], pool([3, 3], [2, 2], [1, 0, 2, 1], { ceilMode: true })],
    ['2x2 s1, width 13', [1, 6, 5, 13], pool([2, 2], [1, 1], [0, 0, 0, 0])],
    ['2x2 s2, ceil, odd sides', [2, 3, 11, 21], pool([2, 2], [2, 2], [0, 0, 0, 0], { ceilMode: true })],
    ['3x3 s1 pad 1, width 17', [1, 2, 6, 17], pool([3, 3], [1, 1], [1, 1, 1, 1])],
    ['3x3 s3 (scalar stride), pads 1', [1, 3, 10, 11], pool([3, 3], [3, 3], [1, 1, 1, 1], { ceilMode: true })],
    ['1x3 s(1,2), pads (0,1,0,2)', [1, 5, 4, 19], pool([1, 3], [1, 2], [0, 1, 0, 2])],
    ['5x5 s2 pad 2, wide row', [1, 1, 9, 40], pool([5, 5], [2, 2], [2, 2, 2, 2])],
    ['1x1 input', [2, 3, 1, 1], pool([1, 1], [1, 1], [0, 0, 0, 0])],
    ['1x1 input, pads 1, k2', [1, 2, 1, 1], pool([2, 2], [1, 1], [1, 1, 0, 0])],
  ];
  for (const [label, shape, attrs] of cases) {
    it(`maxpool ${label}`, () => agree(single('maxpool', [shape], attrs)));
    for (const countIncludePad of [false, true]) {
      it(`avgpool ${label}, countIncludePad ${countIncludePad}`, () => agree(single('avgpool', [shape], { ...attrs, countIncludePad })));
    }
  }
  it('maxpool with dilation 2 (PyTorch MaxPool2d_stride_padding_dilation)', async () => {
    await agree(single('maxpool', [[2, 3, 12, 13]], pool([3, 3], [2, 2], [1, 1, 1, 1], { dilation: [2, 2] })));
    await agree(single('maxpool', [[1, 4, 9, 9]], pool([2, 3], [1, 2], [1, 0, 0, 2], { dilation: [3, 2], ceilMode: true })));
  });
  it('avgpool with dilation keeps the reference divisor', async () => {
    for (const countIncludePad of [false, true]) {
      await agree(single('avgpool', [[1, 3, 10, 9]], pool([3, 2], [2, 1], [2, 1, 1, 0], { dilation: [2, 3], ceilMode: true, countIncludePad })));
    }
  });
  for (const op of ['globalavgpool', 'globalmaxpool'] as const) {
    for (const shape of [[2, 5, 7, 7], [1, 3, 1, 1], [1, 6, 3, 5], [1, 4, 17, 19], [3, 2, 2, 4]] as Shape[]) {
      it(`${op} [${shape.join(', ')}]`, () => agree(single(op, [shape])));
    }
  }
});

describe('wasm activation kernels', () => {
  const shapes: Shape[] = [[2, 3, 5, 7], [1, 1], [37], [4, 16], [1, 2, 3, 2, 5], [2, 7, 1, 1]];
  const ops: [OpType, Attrs][] = [
    ['relu', {}], ['clip', { min: -0.5, max: 1 }], ['clip', { min: 0, max: 6 }], ['leakyrelu', { alpha: 0.1 }],
    ['leakyrelu', { alpha: -2 }], ['tanh', {}], ['sigmoid', {}],
  ];
  for (const [op, attrs] of ops) {
    it(`${op} ${JSON.stringify(attrs)} on ranks 1..5`, async () => {
      for (const s of shapes) await agree(single(op, [s], attrs), { low: -8, high: 8 });
    });
  }
  it('sigmoid and tanh saturate like the reference, and stay accurate near 0', async () => {
    for (const op of ['sigmoid', 'tanh'] as const) {
      await agree(single(op, [[3, 33]]), { low: -120, high: 120 });
      await agree(single(op, [[3, 33]]), { low: -1e-3, high: 1e-3 });
      await agree(single(op, [[3, 33]]), { low: -0.3, high: 0.3 });
    }
  });
});

describe('wasm copy kernels (dropout, identity, flatten, reshape)', () => {
  const cases: [OpType, Shape, Attrs][] = [
    ['dropout', [2, 3, 5], { ratio: 0.5 }], ['identity', [7], {}], ['flatten', [2, 3, 4, 5], { axis: 1 }],
    ['flatten', [2, 3, 4, 5], { axis: 0 }], ['flatten', [2, 3, 4, 5], { axis: 3 }], ['reshape', [2, 3, 4, 5], { shape: [0, -1, 5] }],
    ['reshape', [6, 1], { shape: [2, 3] }],
  ];
  for (const [op, shape, attrs] of cases) {
    it(`${op} ${JSON.stringify(attrs)}: in place (nothing to do) and copied`, async () => {
      // Alone, the output takes the input's buffer; read again later, it must be copied.
      const alone = single(op, [shape], attrs);
      expect(planMemory(alone).offsets.get('y')).toBe(planMemory(alone).offsets.get('x0'));
      await agree(alone);
      const y = node('y', op, ['x'], attrs);
      const z = node('z', 'mul', ['x', 'x']);
      const copied = graphOf({ x: shape }, [y, z], ['y', 'z']);
      expect(planMemory(copied).offsets.get('y')).not.toBe(planMemory(copied).offsets.get('x'));
      await agree(copied);
    });
  }
});

describe('wasm batchnorm, lrn and softmax kernels', () => {
  const stats = (c: number, k: string) => [
    constant(`${k}.scale`, [c], 0.5, 1.5), constant(`${k}.bias`, [c], -0.5, 0.5), constant(`${k}.mean`, [c], -0.3, 0.3), constant(`${k}.var`, [c], 0.2, 2),
  ];
  for (const shape of [[2, 6, 5, 5], [3, 5], [2, 4, 7], [1, 3, 2, 3, 4], [1, 9, 1, 1]] as Shape[]) {
    it(`batchnorm [${shape.join(', ')}]`, () => agree(single('batchnorm', [shape], { epsilon: 1e-5 }, stats(shape[1], `bn${shape.length}`))));
  }
  it('batchnorm with statistics fed as inputs (as ONNX tests do)', async () => {
    const g = single('batchnorm', [[2, 3, 4, 5], [3], [3], [3], [3]], { epsilon: 1e-3 });
    await agree(g, { low: 0.1, high: 2 });
  });

  const lrnCases: [Shape, Attrs][] = [
    [[2, 7, 5, 5], { size: 5, alpha: 1e-4, beta: 0.75, bias: 2 }],
    [[1, 6, 3, 3], { size: 3, alpha: 0.5, beta: 0.5, bias: 1 }],
    [[1, 5, 2, 3], { size: 4, alpha: 2, beta: 0.75, bias: 1 }],
    [[1, 3, 1, 1], { size: 7, alpha: 1, beta: 1.3, bias: 0.5 }],
    [[2, 10, 4, 6], { size: 5, alpha: 0.3, beta: 0.75, bias: 1 }],
  ];
  for (const [shape, attrs] of lrnCases) {
    it(`lrn [${shape.join(', ')}] ${JSON.stringify(attrs)}`, () => agree(single('lrn', [shape], attrs)));
  }

  const softmaxCases: [Shape, Attrs][] = [
    [[3, 10], { axis: 1 }], [[2, 3, 4, 5], { axis: 0 }], [[2, 3, 4, 5], { axis: 1 }], [[2, 3, 4, 5], { axis: 2 }],
    [[2, 3, 4, 5], { axis: 3 }], [[2, 3, 4, 5], { axis: 1, coerce2d: true }], [[2, 3, 4, 5], { axis: 2, coerce2d: true }],
    [[2, 3, 4, 5], { axis: 0, coerce2d: true }], [[5], { axis: 0 }], [[1, 1000], { axis: 1 }], [[2, 3, 7], { axis: 1 }],
    [[1, 1], { axis: 1 }], [[2, 9, 1, 1], {}],
  ];
  for (const [shape, attrs] of softmaxCases) {
    it(`softmax [${shape.join(', ')}] ${JSON.stringify(attrs)}`, () => agree(single('softmax', [shape], attrs), { low: -20, high: 20 }));
  }
});

describe('wasm add and mul (broadcasting)', () => {
  const pairs: [Shape, Shape][] = [
    [[2, 3, 4, 5], [2, 3, 4, 5]], [[2, 3, 4, 5], [1]], [[1], [2, 3, 4, 5]], [[2, 3, 4, 5], []], [[2, 6, 5, 7], [6, 1, 1]],
    [[2, 6, 5, 7], [1, 6, 1, 1]], [[2, 6, 5, 7], [7]], [[3, 1, 5], [1, 4, 1]], [[4, 1], [3]], [[2, 3, 4, 5, 6], [3, 1, 5, 1]],
    [[2, 3, 2, 3, 2, 3], [2, 1, 2, 1, 2, 1]], [[1, 1], [1, 1]], [[5, 1, 1, 1], [1, 1, 1, 9]], [[2, 6, 1, 1], [2, 6, 3, 3]],
    [[2, 1, 6], [2, 3, 1]],
  ];
  for (const op of ['add', 'mul'] as const) {
    for (const [a, b] of pairs) {
      it(`${op} [${a.join(', ')}] and [${b.join(', ')}]`, () => agree(single(op, [a, b])));
    }
    it(`${op} with a constant per-channel operand`, () => agree(single(op, [[2, 5, 3, 3]], {}, [constant('w', [5, 1, 1])])));
  }
  it('refuses a broadcast needing more than 6 axes with a clear error', async () => {
    const g = single('add', [[2, 3, 2, 3, 2, 3, 2], [2, 1, 2, 1, 2, 1, 2]]);
    await expect(getBackend('wasm').compile(g, { optimize: false })).rejects.toThrow(ExecutableError);
  });
});

describe('wasm in-place chains', () => {
  it('add -> relu -> batchnorm -> clip -> softmax share one buffer and agree', async () => {
    const c = 6;
    const g = graphOf({ a: [2, c, 3, 5], b: [2, c, 3, 5] }, [
      node('s', 'add', ['a', 'b']), node('r', 'relu', ['s']), node('n', 'batchnorm', ['r', 'sc', 'bi', 'me', 'va'], { epsilon: 1e-5 }),
      node('k', 'clip', ['n'], { min: -1, max: 2 }), node('y', 'softmax', ['k'], { axis: 1 }),
    ], ['y'], [constant('sc', [c]), constant('bi', [c]), constant('me', [c]), constant('va', [c], 0.5, 1)]);
    const plan = planMemory(g);
    expect(new Set(['a', 's', 'r', 'n', 'k', 'y'].map((t) => plan.offsets.get(t))).size).toBe(1);
    await agree(g);
  });
  it('mul -> leakyrelu -> tanh -> sigmoid -> add (residual) on a 1x1 input', async () => {
    const g = graphOf({ a: [3, 4, 1, 1], b: [4, 1, 1] }, [
      node('m', 'mul', ['a', 'b']), node('l', 'leakyrelu', ['m'], { alpha: 0.2 }), node('t', 'tanh', ['l']),
      node('s', 'sigmoid', ['t']), node('y', 'add', ['s', 'a']),
    ]);
    await agree(g);
  });
});

describe('wasm concat, pad and gemm', () => {
  const concatCases: [Shape[], number][] = [
    [[[2, 3, 4, 5], [2, 1, 4, 5], [2, 6, 4, 5]], 1], [[[1, 3, 4, 5], [2, 3, 4, 5]], 0], [[[2, 3, 1, 5], [2, 3, 3, 5], [2, 3, 2, 5]], 2],
    [[[2, 3, 4, 1], [2, 3, 4, 7]], 3], [[[3], [5], [1]], 0], [[[4, 2], [4, 3]], 1],
  ];
  for (const [shapes, axis] of concatCases) {
    it(`concat axis ${axis} of ${shapes.map((s) => `[${s.join(', ')}]`).join(', ')}`, () => agree(single('concat', shapes, { axis })));
  }
  it('concat of an input twice and a constant', () => agree(graphOf({ x: [1, 2, 3] }, [node('y', 'concat', ['x', 'c', 'x'], { axis: 1 })], ['y'], [constant('c', [1, 4, 3])])));

  const padCases: [Shape, number[], number][] = [
    [[1, 3, 4, 5], [0, 0, 1, 2, 0, 0, 2, 1], 0], [[2, 3, 4, 5], [0, 0, 1, 1, 0, 0, 1, 1], 1.5],
    [[1, 3, 4, 5], [0, 0, -1, 1, 0, 0, 1, -2], 0], [[7], [2, 3], -1], [[2, 3, 4], [1, 2, 0, 0, 1, 3], 2],
    [[2, 3, 4, 5], [1, 0, 0, 0, 1, 0, 0, 0], 0], [[2, 3, 6, 5], [0, -1, -2, -1, 0, 0, -1, -3], 0],
    [[1, 2, 3, 2, 3], [0, 1, 0, 1, 0, 0, 1, 0, 2, 1], 0.5], [[2, 3], [0, 0, 0, 0], 0],
  ];
  for (const [shape, pads, value] of padCases) {
    it(`pad [${shape.join(', ')}] by [${pads.join(', ')}] with ${value}`, () => agree(single('pad', [shape], { pads, value })));
  }

  const gemmCases: [number, number, number, Attrs, Shape | undefined][] = [
    [3, 5, 37, { alpha: 1, beta: 1, transA: false, transB: false }, [3, 37]],
    [4, 7, 3, { alpha: 0.5, beta: 2, transA: true, transB: false }, [3]],
    [2, 6, 21, { alpha: 1, beta: 1, transA: false, transB: true }, [2, 1]],
    [5, 4, 19, { alpha: -1.5, beta: 0.25, transA: true, transB: true }, [1]],
    [1, 9, 64, { alpha: 1, beta: 0, transA: false, transB: false }, undefined],
    [6, 1, 4, { alpha: 1, beta: 1, transA: false, transB: true }, [1, 4]],
    [1, 1, 1, { alpha: 2, beta: 3, transA: true, transB: true }, []],
  ];
  for (const [M, K, N, attrs, cShape] of gemmCases) {
    it(`gemm M=${M} K=${K} N=${N} ${JSON.stringify(attrs)} C ${cShape ? `[${cShape.join(', ')}]` : 'none'}`, async () => {
      const a: Shape = attrs.transA ? [K, M] : [M, K];
      const b: Shape = attrs.transB ? [N, K] : [K, N];
      await agree(single('gemm', cShape ? [a, b, cShape] : [a, b], attrs));
      // B (and C) constant, as an imported MatMul with weights would have them.
      const inits = [constant('B', b), ...(cShape ? [constant('C', cShape)] : [])];
      await agree(single('gemm', [a], attrs, inits));
    });
  }
});
