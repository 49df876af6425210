/**
 * The QOperator form of quantized models (`quantize_static(..., quant_format=QuantFormat.QOperator)`):
 * a QuantizeLinear at the input, QLinearConv, com.microsoft's QLinearAdd /
 * QLinearGlobalAveragePool / QGemm, MaxPool and Flatten on 8-bit tensors, a DequantizeLinear
 * at the end (src/onnx/ops/qlinear.ts). The shipped LeNet-5 and torchvision's ResNet-18 and
 * MobileNetV2 (random weights, 64x64), each quantized by onnxruntime's tool in both forms from
 * the same seeded calibration inputs: the QOperator file imports to a graph computing what the
 * QDQ file's does, and matches onnxruntime-web running the QOperator file with its int8 kernels.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { OnnxError } from '../src/graph/errors.js';
import type { Graph } from '../src/graph/graph.js';
import { encodeNpy } from '../src/io/npy.js';
import { importOnnx } from '../src/onnx/import.js';
import { AttributeType, DataType, decodeModelProto, onnxTypes, type GraphMessage, type NodeMessage } from '../src/onnx/schema.js';
import { requireOrt, runOrtPython } from './helpers/onnxruntime-python.js';
import { exportTorchModels } from './helpers/torch-models.js';

const ROOT = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'webconv-qoperator-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Standard normal values from a seeded generator (Box-Muller). */
function normals(n: number, seed: number): Float32Array<ArrayBuffer> {
  let s = seed;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

const argmax = (a: ArrayLike<number>, from: number, n: number) => {
  let best = from;
  for (let i = from + 1; i < from + n; i++) if (a[i] > a[best]) best = i;
  return best - from;
};

/** The graph's output on wasm, and how many of its convs ran on integers (qconv2d, src/plan/fuse-int8.ts). */
async function runWasm(g: Graph, x: Float32Array): Promise<{ y: Float32Array; qconvs: number }> {
  const exe = await getBackend('wasm').compile(g);
  try {
    const y = (await exe.run(x))[exe.outputs[0].name].data as Float32Array;
    return { y, qconvs: exe.profile().filter((t) => t.op === 'qconv2d').length };
  } finally {
    exe.dispose();
  }
}

interface Case {
  qop: Uint8Array;
  qdq: Uint8Array;
  x: Float32Array<ArrayBuffer>;
  shape: number[];
  web: Float32Array;
}

const MODELS = [
  { name: 'lenet5', shape: [1, 32, 32] },
  { name: 'resnet18@64', shape: [3, 64, 64] },
  { name: 'mobilenet_v2@64', shape: [3, 64, 64] },
];
const N = 4;
const cases = new Map<string, Case>();

beforeAll(async () => {
  if (!requireOrt()) return;
  const dir = exportTorchModels('torch-int8', ['resnet18@64', 'mobilenet_v2@64']);
  for (const [k, m] of MODELS.entries()) {
    const source = m.name === 'lenet5' ? join(ROOT, 'models/lenet5-fashion-mnist.onnx') : dir && join(dir, `${m.name}.onnx`);
    if (!source) continue;
    const size = m.shape.reduce((a, b) => a * b, 1);
    const calib = join(work, `${m.name}.calib.npy`);
    writeFileSync(calib, encodeNpy([8, ...m.shape], normals(8 * size, 20261202 + k)));
    const quantize = (format: string) => {
      const out = join(work, `${m.name}.${format}.onnx`);
      const q = runOrtPython(['quantize', '--model', source, '--calibration', calib, '--out', out, '--per-channel', '--format', format]);
      if (!q.ok) throw new Error(`quantize_onnx.py quantize ${m.name} --format ${format} failed:\n${q.out}`);
      return new Uint8Array(readFileSync(out));
    };
    const qop = quantize('qoperator');
    const qdq = quantize('qdq');
    const x = normals(N * size, 777 + k);
    ortWeb.env.wasm.numThreads = 1;
    // logSeverityLevel 3: errors only, not a warning per unused Constant of MobileNetV2's file.
    const session = await ortWeb.InferenceSession.create(qop, { executionProviders: ['wasm'], logSeverityLevel: 3 });
    const web = (await session.run({ [session.inputNames[0]]: new ortWeb.Tensor('float32', x, [N, ...m.shape]) }))[session.outputNames[0]].data as Float32Array;
    await session.release();
    cases.set(m.name, { qop, qdq, x, shape: m.shape, web });
  }
}, 900_000);

describe('QOperator-form models quantized by onnxruntime (per-channel int8 weights, uint8 activations)', () => {
  for (const { name } of MODELS) {
    it(`${name}: imports, each 8-bit tensor a qdq node's output, the ops of the QDQ form's graph`, (ctx) => {
      const c = cases.get(name);
      if (!c) return ctx.skip();
      const g = importOnnx(c.qop, { batch: N });
      const qdq = importOnnx(c.qdq, { batch: N });
      const count = (gr: Graph) => {
        const by = new Map<string, number>();
        for (const n of gr.nodes) by.set(n.op, (by.get(n.op) ?? 0) + 1);
        return by;
      };
      const [ops, ref] = [count(g), count(qdq)];
      expect(ops.get('qdq')).toBeGreaterThan(0);
      // The same ops, but the QOperator graph's final DequantizeLinear: an identity.
      expect(ops.get('identity')).toBe(1);
      ops.delete('identity');
      expect(Object.fromEntries(ops)).toEqual(Object.fromEntries(ref));
      // The same weights, in the same bytes: int8 weights, int32 biases (without their scales).
      const stored = (gr: Graph) => [...gr.initializers.values()].filter((i) => i.quantized?.type === 'int8').map((i) => [i.shape, i.storedBytes]);
      expect(stored(g)).toEqual(stored(qdq));
    });

    it(`${name} on wasm: the QDQ form's outputs; onnxruntime-web's on the QOperator file within 1e-2 of the largest logit, the same top-1`, async (ctx) => {
      const c = cases.get(name);
      if (!c) return ctx.skip();
      const { y, qconvs } = await runWasm(importOnnx(c.qop, { batch: N }), c.x);
      const { y: yQdq, qconvs: qconvsQdq } = await runWasm(importOnnx(c.qdq, { batch: N }), c.x);
      // The int8 pass finds the same convs to run on integers in both forms' graphs.
      expect(qconvs).toBeGreaterThan(0);
      expect(qconvs).toBe(qconvsQdq);
      expect(y.length).toBe(c.web.length);
      const maxRef = c.web.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      const maxDiff = (ref: Float32Array) => y.reduce((a, v, i) => Math.max(a, Math.abs(v - ref[i])), 0);
      const [forms, web] = [maxDiff(yQdq), maxDiff(c.web)];
      const classes = y.length / N;
      const tops = Array.from({ length: N }, (_, n) => [argmax(y, n * classes, classes), argmax(c.web, n * classes, classes)]);
      console.log(`${name} QOperator on wasm (${qconvs} convs on integers): max |diff| against the QDQ form ${forms.toExponential(2)}, against onnxruntime-web ${web.toExponential(2)}, of max |logit| ${maxRef.toFixed(3)}; top-1 ${JSON.stringify(tops)}`);
      expect(forms).toBeLessThanOrEqual(1e-6 * maxRef);
      // ResNet-18 runs every conv on integers, as onnxruntime-web's QLinearConv does: equal.
      expect(web).toBeLessThanOrEqual((name === 'resnet18@64' ? 1e-6 : 1e-2) * maxRef);
      for (const [a, b] of tops) expect(a).toBe(b);
    }, 300_000);
  }
});

describe('malformed QOperator nodes', () => {
  /** The LeNet-5 QOperator file with its first QLinearConv changed by `edit`. */
  function edited(edit: (node: NodeMessage, graph: GraphMessage) => void): Uint8Array {
    const model = decodeModelProto(cases.get('lenet5')!.qop);
    edit(model.graph!.node.find((n) => n.op_type === 'QLinearConv')!, model.graph!);
    return onnxTypes.ModelProto.encode(onnxTypes.ModelProto.fromObject(model)).finish();
  }
  const error = (bytes: Uint8Array) => {
    try {
      importOnnx(bytes);
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('a QLinearConv missing y_zero_point, or with a float weight, is a typed error naming it', (ctx) => {
    if (!cases.has('lenet5')) return ctx.skip();
    const missing = error(edited((n) => n.input.splice(7)));
    expect(missing).toBeInstanceOf(OnnxError);
    expect((missing as OnnxError).kind).toBe('invalid');
    expect((missing as OnnxError).message).toMatch(/QLinearConv.*input 7 \(y_zero_point\) is missing/);

    const float = error(edited((n, g) => {
      const w = g.initializer.find((t) => t.name === n.input[3])!;
      g.initializer.push({ ...w, name: 'w.float', data_type: DataType.FLOAT, raw_data: new Uint8Array(4 * w.dims.reduce((a, b) => a * b, 1)) });
      n.input[3] = 'w.float';
    }));
    expect(float).toBeInstanceOf(OnnxError);
    expect((float as OnnxError).kind).toBe('invalid');
    expect((float as OnnxError).message).toMatch(/QLinearConv.*is FLOAT; QLinearConv takes int8 or uint8 weights/);
  });

  it('an op with no 8-bit form reading an 8-bit tensor is an unsupported op', (ctx) => {
    if (!cases.has('lenet5')) return ctx.skip();
    const e = error(edited((n, g) => {
      // A Relu between the first QLinearConv and the MaxPool reading it.
      const out = n.output[0];
      const pool = g.node.find((r) => r.input[0] === out)!;
      pool.input[0] = 'relu.out';
      g.node.splice(g.node.indexOf(pool), 0, { ...pool, op_type: 'Relu', name: 'relu', input: [out], output: ['relu.out'], attribute: [] });
    }));
    expect(e).toBeInstanceOf(OnnxError);
    expect((e as OnnxError).kind).toBe('unsupported');
    expect((e as OnnxError).message).toMatch(/unsupported ONNX ops: Relu of an 8-bit tensor \(QOperator form\) \(node 'relu'\)/);
  });
});

describe('QLinearMatMul and QGemm (per-column weight scales, a float output)', () => {
  const tensor = (name: string, dims: number[], values: number[], dataType: number) => ({
    name, dims, data_type: dataType, ...(dataType === DataType.FLOAT ? { float_data: values } : { int32_data: values }),
  });
  const vi = (name: string, dims: number[]) => ({ name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } });
  const ints = (n: number, seed: number, lo: number, hi: number) => Array.from({ length: n }, (_, i) => lo + ((i * 37 + seed * 11) % (hi - lo + 1)));

  /** x [2, 4] -> QuantizeLinear -> QLinearMatMul (b [4, 3]) -> QGemm (B [3, 5], transB=0, an int32 bias, no y_scale: float) -> y. */
  function bytes(): Uint8Array {
    const M = onnxTypes.ModelProto;
    return M.encode(M.fromObject({
      ir_version: 8,
      opset_import: [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }],
      graph: {
        name: 'qmatmul',
        node: [
          { op_type: 'QuantizeLinear', input: ['x', 'xs', 'xzp'], output: ['xq'], name: 'q' },
          { op_type: 'QLinearMatMul', input: ['xq', 'xs', 'xzp', 'b1', 'b1s', 'b1zp', 'hs', 'hzp'], output: ['h'], name: 'mm' },
          {
            op_type: 'QGemm', domain: 'com.microsoft', input: ['h', 'hs', 'hzp', 'b2', 'b2s', 'b2zp', 'c'], output: ['y'], name: 'gemm',
            attribute: [{ name: 'transB', type: AttributeType.INT, i: 0 }],
          },
        ],
        input: [vi('x', [2, 4])],
        output: [vi('y', [2, 5])],
        initializer: [
          tensor('xs', [], [0.05], DataType.FLOAT), tensor('xzp', [], [128], DataType.UINT8),
          tensor('b1', [4, 3], ints(12, 1, -90, 90), DataType.INT8), tensor('b1s', [3], [0.01, 0.02, 0.015], DataType.FLOAT), tensor('b1zp', [3], [0, 0, 0], DataType.INT8),
          tensor('hs', [], [0.04], DataType.FLOAT), tensor('hzp', [], [100], DataType.UINT8),
          tensor('b2', [3, 5], ints(15, 2, -120, 120), DataType.INT8), tensor('b2s', [5], [0.01, 0.012, 0.009, 0.02, 0.011], DataType.FLOAT),
          tensor('b2zp', [5], [0, 0, 0, 0, 0], DataType.INT8), tensor('c', [5], [300, -200, 0, 1000, -50], DataType.INT32),
        ],
      },
    })).finish();
  }

  it('import as fc layers between qdq nodes and compute what onnxruntime-web does', async () => {
    const model = bytes();
    const g = importOnnx(model);
    expect(g.nodes.map((n) => n.op)).toEqual(['qdq', 'fc', 'qdq', 'fc']);
    const x = Float32Array.from({ length: 8 }, (_, i) => Math.sin(i * 1.7) * 4);
    const { y } = await runWasm(g, x);
    ortWeb.env.wasm.numThreads = 1;
    const session = await ortWeb.InferenceSession.create(model, { executionProviders: ['wasm'] });
    const web = (await session.run({ x: new ortWeb.Tensor('float32', x, [2, 4]) })).y.data as Float32Array;
    await session.release();
    const maxRef = web.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    const diff = y.reduce((a, v, i) => Math.max(a, Math.abs(v - web[i])), 0);
    console.log(`QLinearMatMul -> QGemm: max |diff| against onnxruntime-web ${diff.toExponential(2)} of max |y| ${maxRef.toFixed(3)}`);
    expect(maxRef).toBeGreaterThan(0);
    expect(diff).toBeLessThanOrEqual(1e-5 * maxRef);
  });
});
