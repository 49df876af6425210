/**
 * Regression tests for the defects fuzzing found (issue 11): graph outputs that are
 * initializers or graph inputs, chains of BatchNormalization folding, size limits as typed
 * errors before any large allocation, memory() after dispose(), and passes and planning
 * that stay linear on a 100,000-node chain. Each runs on every backend available here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { LimitError } from '../src/graph/errors.js';
import type { Graph, Initializer, Node } from '../src/graph/graph.js';
import { finalizeGraph } from '../src/graph/validate.js';
import { GraphBuilder } from '../src/graph/builder.js';
import { importOnnx } from '../src/onnx/import.js';
import { exportOnnx } from '../src/onnx/export.js';
import { AttributeType, DataType, onnxTypes } from '../src/onnx/schema.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { MAX_WASM_MEMORY_BYTES } from '../src/backends/wasm/wasm-backend.js';

const BACKENDS = ['reference', 'wasm', 'webgpu'] as const;
const available = new Map<string, boolean>();
beforeAll(async () => {
  for (const b of BACKENDS) available.set(b, await getBackend(b).isAvailable());
});

const vi = (name: string, dims: number[]) => ({
  name,
  type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } },
});
const floats = (name: string, dims: number[], values: number[]) => ({ name, dims, data_type: DataType.FLOAT, float_data: values });
const ints = (name: string, v: number[]) => ({ name, type: AttributeType.INTS, ints: v });

function encode(graph: { node: object[]; input: object[]; output: object[]; initializer: object[] }): Uint8Array {
  const M = onnxTypes.ModelProto;
  return M.encode(M.fromObject({ ir_version: 8, opset_import: [{ domain: '', version: 13 }], graph: { name: 'g', ...graph } })).finish();
}

/** The model: a 1x1 conv, w = 2, b = 5, over x = [1, 2, 3, 4], with extra graph outputs. */
function convWithOutputs(extra: string[]): Graph {
  return importOnnx(encode({
    node: [{ op_type: 'Conv', input: ['x', 'w', 'b'], output: ['y'], name: 'conv', attribute: [ints('kernel_shape', [1, 1])] }],
    input: [vi('x', [1, 1, 2, 2])],
    output: [vi('y', [1, 1, 2, 2]), ...extra.map((t) => vi(t, t === 'x' ? [1, 1, 2, 2] : t === 'w' ? [1, 1, 1, 1] : [1]))],
    initializer: [floats('w', [1, 1, 1, 1], [2]), floats('b', [1], [5])],
  }));
}

/** Runs a graph on a backend (default passes), returning each output's values. */
async function runOn(backend: string, g: Graph, x: Float32Array, optimize = true): Promise<Record<string, number[]>> {
  const exe = await getBackend(backend).compile(g, { optimize });
  try {
    const out = await exe.run({ [g.inputs[0].name]: { shape: g.inputs[0].shape, data: x } });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v.data]]));
  } finally {
    exe.dispose();
  }
}

describe('graph outputs that are initializers or graph inputs', () => {
  const x = new Float32Array([1, 2, 3, 4]);
  for (const backend of BACKENDS) {
    for (const extra of [['b'], ['w'], ['w', 'b'], ['x'], ['b', 'x']]) {
      it(`${backend}: y = 2x + 5 with ${extra.join(' and ')} also an output`, async (ctx) => {
        if (!available.get(backend)) return ctx.skip();
        const out = await runOn(backend, convWithOutputs(extra), x);
        expect(out.y).toEqual([7, 9, 11, 13]);
        if (extra.includes('b')) expect(out.b).toEqual([5]);
        if (extra.includes('w')) expect(out.w).toEqual([2]);
        if (extra.includes('x')) expect(out.x).toEqual([1, 2, 3, 4]);
      });
    }
  }

  it('an initializer output takes no arena space', async () => {
    const plain = await getBackend('reference').compile(convWithOutputs([]));
    const withB = await getBackend('reference').compile(convWithOutputs(['b']));
    expect(withB.memory().arenaBytes).toBe(plain.memory().arenaBytes);
    plain.dispose();
    withB.dispose();
  });

  it('an initializer output survives BN folding, which replaces the weight it names', async () => {
    const g = importOnnx(encode({
      node: [
        { op_type: 'Conv', input: ['x', 'w'], output: ['c'], name: 'conv', attribute: [ints('kernel_shape', [1, 1])] },
        { op_type: 'BatchNormalization', input: ['c', 's', 'o', 'm', 'v'], output: ['y'], name: 'bn' },
      ],
      input: [vi('x', [1, 1, 2, 2])],
      output: [vi('y', [1, 1, 2, 2]), vi('w', [1, 1, 1, 1])],
      initializer: [floats('w', [1, 1, 1, 1], [2]), floats('s', [1], [3]), floats('o', [1], [1]), floats('m', [1], [0]), floats('v', [1], [1])],
    }));
    expect(optimizeGraph(g).report.foldedBatchNorms).toEqual(['bn']);
    const s = 3 / Math.sqrt(1 + 1e-5);
    for (const backend of BACKENDS) {
      if (!available.get(backend)) continue;
      const out = await runOn(backend, g, x);
      expect(out.w).toEqual([2]);
      out.y.forEach((v, i) => expect(v).toBeCloseTo(2 * x[i] * s + 1, 5));
    }
  });
});

describe('BatchNormalization chains fold', () => {
  /** conv -> bn x `count`, each BN with its own statistics; optionally an initializer named as a folded weight would be. */
  function convBns(count: number, clash = false): Graph {
    const b = new GraphBuilder(clash ? 'clash' : 'chain');
    let t = b.input('x', [1, 3, 5, 5]).conv('conv', 4, 3, { pad: 1, bias: false });
    for (let k = 0; k < count; k++) t = t.bn();
    const g = b.build([t.relu()]);
    if (!clash) return g;
    // An ONNX file may already hold a tensor named like a folded weight: round-trip the model
    // with its BN scale renamed 'conv.weight_folded'.
    const bytes = exportOnnx(g);
    const M = onnxTypes.ModelProto;
    const m = M.toObject(M.decode(bytes)) as { graph: { node: { input: string[] }[]; initializer: { name: string }[] } };
    const scale = m.graph.node[1].input[1];
    for (const n of m.graph.node) n.input = n.input.map((i) => (i === scale ? 'conv.weight_folded' : i));
    for (const i of m.graph.initializer) if (i.name === scale) i.name = 'conv.weight_folded';
    return importOnnx(M.encode(M.fromObject(m)).finish());
  }

  for (const [count, clash] of [[2, false], [3, false], [2, true]] as const) {
    it(`conv -> ${count} x BN${clash ? ', with a tensor already named conv.weight_folded' : ''} folds into the conv and agrees on every backend`, async () => {
      const g = convBns(count, clash);
      const { graph: opt, report } = optimizeGraph(g);
      expect(report.foldedBatchNorms).toHaveLength(count);
      expect(opt.nodes.map((n) => n.op)).toEqual(['conv2d']);
      const x = Float32Array.from({ length: 75 }, (_, i) => Math.sin(i));
      const want = await runOn('reference', g, x, false);
      for (const backend of BACKENDS) {
        if (!available.get(backend)) continue;
        const got = await runOn(backend, g, x);
        const [name] = Object.keys(want);
        const scale = Math.max(1, ...want[name].map(Math.abs));
        got[name].forEach((v, i) => expect(Math.abs(v - want[name][i])).toBeLessThanOrEqual(1e-5 * scale));
      }
    });
  }
});

describe('a NaN or infinite conv weight', () => {
  // ONNX pads, then convolves: a padded tap is 0 x weight, NaN for a NaN or infinite weight.
  // PyTorch's im2col convolution agrees; a kernel that skips padded taps does not.
  for (const [title, groups] of [['conv (GEMM)', 1], ['depthwise conv', 4]] as const) {
    it(`${title}: NaN fills its output channel, +Inf gives NaN at padded and zero taps, on every backend`, async () => {
      const b = new GraphBuilder('nan-weight');
      const g = b.build([b.input('x', [1, 4, 5, 5]).conv('c', 4, 3, { pad: 1, groups })]);
      const w = g.weight('c.weight');
      const per = w.length / 4;
      w[1 * per + 4] = NaN; // channel 1, centre tap
      w[2 * per + 0] = Infinity; // channel 2, top-left tap: padded on the first row and column
      const x = Float32Array.from({ length: 100 }, (_, i) => 0.5 + (i % 7) / 10); // all positive
      for (const backend of BACKENDS) {
        if (!available.get(backend)) continue;
        const y = Object.values(await runOn(backend, g, x))[0];
        const plane = (m: number) => y.slice(m * 25, m * 25 + 25);
        expect(plane(0).every(Number.isFinite), backend).toBe(true);
        expect(plane(1).every(Number.isNaN), backend).toBe(true);
        // channel 2: the top-left tap reads padding for output row 0 and column 0 (NaN), real
        // positive inputs elsewhere (+Inf)
        plane(2).forEach((v, k) => expect(v, `${backend} [${k}]`).toBe(k < 5 || k % 5 === 0 ? NaN : Infinity));
        expect(plane(3).every(Number.isFinite), backend).toBe(true);
      }
    });
  }
});

describe('size limits are typed errors before any large allocation', () => {
  /** One 2^28-element input and four branches live at once: a 5 GiB arena. */
  function fourBranches(): Graph {
    const b = new GraphBuilder('four-branches');
    const x = b.input('x', [1, 4, 8192, 8192]);
    const branches = [0, 1, 2, 3].map((k) => x.conv(`c${k}`, 4, 1));
    return b.build([b.concat('cat', branches)]);
  }

  for (const backend of BACKENDS) {
    it(`${backend}: an arena over the backend's limit is a LimitError naming the model, the figure and the limit`, async (ctx) => {
      if (!available.get(backend)) return ctx.skip();
      const before = process.memoryUsage();
      const err = await getBackend(backend).compile(fourBranches()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LimitError);
      const e = err as LimitError;
      expect(e.model).toBe('four-branches');
      expect(e.figure).toBeGreaterThan(e.limit);
      expect(e.message).toMatch(/model 'four-branches': .* needs [\d.]+ GiB \(\d+ bytes\), more than the [\d.]+ (GiB|MiB) \(\d+ bytes\) allowed/);
      const after = process.memoryUsage();
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(100 * 2 ** 20);
      expect(after.rss - before.rss).toBeLessThan(512 * 2 ** 20);
    });
  }

  it('wasm: the limit is wasm32 memory, 4 GiB', () => {
    expect(MAX_WASM_MEMORY_BYTES).toBe(2 ** 32);
  });
});

describe('attributes are completed once, at finalizeGraph', () => {
  it('a hand-built conv without dilation or groups runs on every backend, as the same conv with them', async () => {
    const node = (attrs: Record<string, unknown>): Node => ({ name: 'c', op: 'conv2d', inputs: ['x', 'w'], outputs: ['y'], attrs, layer: 'c' });
    const w: Initializer = { name: 'w', shape: [2, 3, 3, 3], trainable: true, init: { seed: 5, low: -1, high: 1 } };
    const build = (attrs: Record<string, unknown>) => finalizeGraph('hand', [{ name: 'x', shape: [1, 3, 5, 5] }], ['y'], [node(attrs)], new Map([['w', w]]));
    const bare = build({ kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1] });
    expect(bare.nodes[0].attrs).toEqual({ kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], ceilMode: false, groups: 1 });
    const full = build({ kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1 });
    const x = Float32Array.from({ length: 75 }, (_, i) => Math.cos(i));
    const want = await runOn('reference', full, x);
    for (const backend of BACKENDS) {
      if (!available.get(backend)) continue;
      const got = await runOn(backend, bare, x);
      got.y.forEach((v, i) => expect(v).toBeCloseTo(want.y[i], 5));
    }
  });
});

describe('dispose()', () => {
  for (const backend of BACKENDS) {
    it(`${backend}: memory() reports zero once disposed`, async (ctx) => {
      if (!available.get(backend)) return ctx.skip();
      const exe = await getBackend(backend).compile(convWithOutputs([]));
      expect(exe.memory().weightBytes).toBeGreaterThan(0);
      exe.dispose();
      expect(exe.memory()).toEqual({ weightBytes: 0, arenaBytes: 0, peakBytes: 0, totalBytes: 0 });
    });
  }
});

describe('a 100,000-node chain', () => {
  it('imports, compiles and runs on wasm, with every conv + relu fused', async () => {
    const b = new GraphBuilder('long-chain');
    let t = b.input('x', [1, 4, 4, 4]);
    for (let i = 0; i < 50_000; i++) t = t.conv(`c${i}`, 4, 1).relu();
    const g = importOnnx(exportOnnx(b.build([t])));
    expect(g.nodes).toHaveLength(100_000);
    const exe = await getBackend('wasm').compile(g);
    const out = await exe.run(new Float32Array(64).fill(1));
    expect(out[g.outputs[0]].data).toHaveLength(64);
    expect(out[g.outputs[0]].data.every(Number.isFinite)).toBe(true);
    // Conv + ReLU fused: 50,000 steps, over an arena of two 256-byte buffers.
    expect(exe.profile()).toHaveLength(50_000);
    expect(exe.memory().arenaBytes).toBe(2 * 256);
    exe.dispose();
  }, 240_000);
});
