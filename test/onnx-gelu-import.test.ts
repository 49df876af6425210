/**
 * ONNX Gelu (opset 20) and the opsets 19-20 MAX_OPSET now admits. Gelu with approximate
 * 'none' imports as the IR gelu (standalone, and fused into a conv epilogue), 'tanh' as the
 * IR ops of its ONNX function body; both match onnxruntime-web (an outside oracle) on every
 * backend. libonnx-testdata (ONNX 1.12) predates Gelu, so it holds no conformance case for it.
 */
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { backendNames, getBackend } from '../src/backends/registry.js';
import { releaseSharedGpu } from '../src/backends/webgpu/webgpu-backend.js';
import { OnnxError } from '../src/graph/errors.js';
import { mulberry32 } from '../src/graph/weight-init.js';
import { importOnnx, MAX_OPSET } from '../src/onnx/import.js';
import { AttributeType, DataType, onnxTypes } from '../src/onnx/schema.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { requireOracle } from './helpers/python.js';

ort.env.wasm.numThreads = 1;
afterAll(() => releaseSharedGpu());

const vi = (name: string, dims: number[]) => ({ name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } });
const str = (name: string, s: string) => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(s) });
const ints = (name: string, v: number[]) => ({ name, type: AttributeType.INTS, ints: v });

function encode(opset: number, nodes: object[], inputs: object[], outputs: object[], initializer: object[] = []): Uint8Array {
  const M = onnxTypes.ModelProto;
  return M.encode(M.fromObject({ ir_version: 9, opset_import: [{ domain: '', version: opset }], graph: { name: 'g', node: nodes, input: inputs, output: outputs, initializer } })).finish();
}

/** x [2, 3, 5, 4] -> Gelu -> y; and x -> Conv 3x3 (4 filters) -> Gelu -> z, at opset 20. */
function geluModel(approximate?: string): Uint8Array {
  const next = mulberry32(11);
  const w = Array.from({ length: 4 * 3 * 9 }, () => next() - 0.5);
  const attrs = approximate === undefined ? [] : [str('approximate', approximate)];
  return encode(
    20,
    [
      { op_type: 'Gelu', name: 'gelu_x', input: ['x'], output: ['y'], attribute: attrs },
      { op_type: 'Conv', name: 'conv', input: ['x', 'w', 'b'], output: ['c'], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])] },
      { op_type: 'Gelu', name: 'gelu_c', input: ['c'], output: ['z'], attribute: attrs },
    ],
    [vi('x', [2, 3, 5, 4])],
    [vi('y', [2, 3, 5, 4]), vi('z', [2, 4, 5, 4])],
    [
      { name: 'w', dims: [4, 3, 3, 3], data_type: DataType.FLOAT, float_data: w },
      { name: 'b', dims: [4], data_type: DataType.FLOAT, float_data: [0.1, -0.2, 0.3, -0.4] },
    ],
  );
}

/** The OnnxError `fn` throws (anything else thrown fails the test, and so does no error). */
function onnxError(fn: () => unknown): OnnxError {
  try {
    fn();
  } catch (e) {
    if (e instanceof OnnxError) return e;
    throw e;
  }
  throw new Error('expected an OnnxError, but nothing was thrown');
}

describe('ONNX Gelu (opset 20)', () => {
  it('MAX_OPSET is 20: Gelu files import, opset 21 is refused', () => {
    expect(MAX_OPSET).toBe(20);
    const g = importOnnx(geluModel());
    expect(g.nodes.map((n) => [n.name, n.op])).toEqual([['gelu_x', 'gelu'], ['conv', 'conv2d'], ['gelu_c', 'gelu']]);
    // approximate 'none' spelt out is the same graph.
    expect(importOnnx(geluModel('none')).nodes.map((n) => n.op)).toEqual(['gelu', 'conv2d', 'gelu']);
    const relu21 = encode(21, [{ op_type: 'Relu', name: 'r', input: ['x'], output: ['y'] }], [vi('x', [1])], [vi('y', [1])]);
    expect(onnxError(() => importOnnx(relu21))).toMatchObject({ kind: 'unsupported', message: expect.stringContaining('opset 21 is newer than webconv reads (1 to 20); re-export with opset 20') });
  });

  it("imports approximate='tanh' as its function body, refuses another value", () => {
    const g = importOnnx(geluModel('tanh'));
    const body = ['mul', 'mul', 'add', 'mul', 'tanh', 'add', 'mul', 'mul'];
    expect(g.nodes.map((n) => n.op)).toEqual([...body, 'conv2d', ...body]);
    // The last node of each body carries the Gelu's name and output; the constants are no parameters.
    expect(g.nodes.filter((n) => n.outputs[0] === 'y' || n.outputs[0] === 'z').map((n) => n.name)).toEqual(['gelu_x', 'gelu_c']);
    expect(g.paramCount()).toBe(4 * 3 * 9 + 4);
    expect(onnxError(() => importOnnx(geluModel('fast')))).toMatchObject({ kind: 'invalid', message: expect.stringContaining("node 'gelu_x' (Gelu): attribute 'approximate' must be 'none' or 'tanh', found 'fast'") });
  });

  it('the conv + Gelu fuses into the conv epilogue', () => {
    const { graph, report } = optimizeGraph(importOnnx(geluModel()));
    expect(report.fusedActivations).toEqual(['gelu_c']);
    expect(graph.nodes.map((n) => [n.op, (n.attrs as { activation?: { op: string } }).activation?.op])).toEqual([['gelu', undefined], ['conv2d', 'gelu']]);
  });

  /** onnxruntime's y per approximation, for the check that the two differ. */
  const oracle = new Map<string, Float32Array>();
  for (const approximate of ['none', 'tanh']) it(`approximate '${approximate}' matches onnxruntime-web on every backend, with -inf, inf, NaN, 0 and large |x| among the inputs`, async () => {
    const bytes = geluModel(approximate);
    const next = mulberry32(3);
    const x = Float32Array.from({ length: 2 * 3 * 5 * 4 }, () => (next() - 0.5) * 8);
    x.set([-Infinity, Infinity, NaN, 0, -0, 12, -12, 1e-8], 0);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const theirs = await session.run({ x: new ort.Tensor('float32', x, [2, 3, 5, 4]) });
    await session.release();
    const y = theirs.y.data as Float32Array;
    const z = theirs.z.data as Float32Array;
    console.log(`onnxruntime-web gelu '${approximate}' of [-inf, inf, NaN, 0, -0, 12, -12, 1e-8]: ${[...y.slice(0, 8)].join(', ')}`);
    oracle.set(approximate, y);
    const g = importOnnx(bytes);
    const ran: string[] = [];
    for (const name of backendNames()) {
      const backend = getBackend(name);
      if (!requireOracle(await backend.isAvailable(), `the ${name} backend`, 'see README (backends)')) continue;
      const exe = await backend.compile(g);
      try {
        const out = await exe.run({ x });
        expect(exe.info().fallbackNodes).toEqual([]);
        ran.push(name);
        for (const [ours, ref, label] of [[out.y.data, y, 'y'], [out.z.data, z, 'z']] as const) {
          expect(ours.length).toBe(ref.length);
          for (let i = 0; i < ref.length; i++) {
            const what = `${name}: ${label}[${i}] (x = ${x[i]})`;
            if (Number.isNaN(ref[i])) expect(ours[i], what).toBeNaN();
            else if (!Number.isFinite(ref[i])) expect(ours[i], what).toBe(ref[i]);
            else expect(Math.abs(ours[i] - ref[i]), what).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(ref[i]));
          }
        }
      } finally {
        exe.dispose();
      }
    }
    console.log(`gelu '${approximate}' checked on: ${ran.join(', ')}`);
    expect(ran).toContain('reference');
  }, 300_000);

  it("the two approximations differ by more than the tolerance above (the 'tanh' check can fail)", (ctx) => {
    const [none, tanh] = [oracle.get('none'), oracle.get('tanh')];
    if (!none || !tanh) return ctx.skip();
    let diff = 0;
    for (let i = 0; i < none.length; i++) if (Number.isFinite(none[i])) diff = Math.max(diff, Math.abs(none[i] - tanh[i]));
    expect(diff).toBeGreaterThan(1e-4);
  });
});

describe('opset 19 changes to imported ops', () => {
  it('AveragePool-19 dilations match onnxruntime-web; Pad-19 mode wrap is refused', async () => {
    const bytes = encode(
      19,
      [{ op_type: 'AveragePool', name: 'pool', input: ['x'], output: ['y'], attribute: [ints('kernel_shape', [2, 2]), ints('dilations', [2, 2]), ints('pads', [1, 1, 1, 1])] }],
      [vi('x', [1, 2, 6, 5])],
      [vi('y', [1, 2, 6, 5])],
    );
    const next = mulberry32(7);
    const x = Float32Array.from({ length: 60 }, () => next() * 2 - 1);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const ref = (await session.run({ x: new ort.Tensor('float32', x, [1, 2, 6, 5]) })).y;
    await session.release();
    const g = importOnnx(bytes);
    expect([...g.shape('y')]).toEqual([...ref.dims]);
    const exe = await getBackend('reference').compile(g);
    const ours = (await exe.run({ x })).y.data;
    exe.dispose();
    const theirs = ref.data as Float32Array;
    for (let i = 0; i < theirs.length; i++) expect(Math.abs(ours[i] - theirs[i]), `y[${i}]`).toBeLessThanOrEqual(1e-6);

    const pad = encode(
      19,
      [{ op_type: 'Pad', name: 'pad', input: ['x', 'p'], output: ['y'], attribute: [str('mode', 'wrap')] }],
      [vi('x', [1, 1, 2, 2])],
      [vi('y', [1, 1, 4, 4])],
      [{ name: 'p', dims: [8], data_type: DataType.INT64, int64_data: [0, 0, 1, 1, 0, 0, 1, 1] }],
    );
    expect(onnxError(() => importOnnx(pad))).toMatchObject({ kind: 'unsupported', message: expect.stringContaining("Pad mode 'wrap' (node 'pad')") });
  });
});
