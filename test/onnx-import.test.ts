import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { OnnxError, OptionError } from '../src/graph/errors.js';
import type { Graph } from '../src/graph/graph.js';
import { importOnnx } from '../src/onnx/import.js';
import { typed } from '../src/ops/attrs.js';
import { loadOnnxFile } from '../src/onnx/load-file.js';
import { AttributeType, DataType, onnxTypes } from '../src/onnx/schema.js';
import { decodeTensorProto } from '../src/onnx/tensor-proto.js';

// ---- building ModelProtos with the importer's own protobufjs schema ----------------------

type Dim = number | string;
const vi = (name: string, dims: Dim[] | undefined, elemType: number = DataType.FLOAT) => ({
  name,
  type: {
    tensor_type: {
      elem_type: elemType,
      ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) } } : {}),
    },
  },
});

const tensor = (name: string, dims: number[], values: number[], dataType: number = DataType.FLOAT) => ({
  name,
  dims,
  data_type: dataType,
  ...(dataType === DataType.FLOAT ? { float_data: values } : dataType === DataType.INT64 ? { int64_data: values } : { int32_data: values }),
});

const a = {
  i: (name: string, i: number) => ({ name, type: AttributeType.INT, i }),
  f: (name: string, f: number) => ({ name, type: AttributeType.FLOAT, f }),
  ints: (name: string, ints: number[]) => ({ name, type: AttributeType.INTS, ints }),
  s: (name: string, s: string) => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(s) }),
  t: (name: string, t: ReturnType<typeof tensor>) => ({ name, type: AttributeType.TENSOR, t }),
};

const node = (op_type: string, input: string[], output: string[], attribute: object[] = [], name = output[0]) => ({
  op_type, input, output, name, attribute,
});

interface ModelSpec {
  nodes: object[];
  inputs: object[];
  outputs: object[];
  initializers?: object[];
  opset?: number;
}

function encodeModel({ nodes, inputs, outputs, initializers = [], opset = 13 }: ModelSpec): Uint8Array {
  const M = onnxTypes.ModelProto;
  const msg = M.fromObject({
    ir_version: 8,
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'webconv-test',
    graph: { name: 'g', node: nodes, input: inputs, output: outputs, initializer: initializers },
  });
  return M.encode(msg).finish();
}

const model = (spec: ModelSpec, options = {}) => importOnnx(encodeModel(spec), options);

/** Runs a graph on the reference backend. */
async function run(g: Graph, inputs: Record<string, Float32Array>): Promise<Record<string, Float32Array>> {
  const exe = await getBackend('reference').compile(g);
  try {
    const feeds = Object.fromEntries(g.inputs.map((i) => [i.name, { shape: i.shape, data: inputs[i.name] }]));
    const out = await exe.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data]));
  } finally {
    exe.dispose();
  }
}

/** Asserts `fn` throws an OnnxError of `kind` whose message matches every pattern. */
function expectOnnxError(fn: () => unknown, kind: 'invalid' | 'unsupported', ...patterns: (RegExp | string)[]): OnnxError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(OnnxError);
  const e = error as OnnxError;
  expect(e.code).toBe('E_ONNX');
  expect(e.kind).toBe(kind);
  for (const p of patterns) expect(e.message).toMatch(p);
  return e;
}

const range = (n: number, scale = 1, offset = 0) => Array.from({ length: n }, (_, i) => offset + scale * i);

// ---- a small CNN, as PyTorch exports one -----------------------------------------------

/** conv -> bn -> relu -> maxpool -> Shape/Gather/Unsqueeze/Concat/Reshape flatten -> Gemm. */
function smallCnn(opset = 13): ModelSpec {
  const axes = opset >= 13 ? [] : [a.ints('axes', [0])];
  return {
    opset,
    inputs: [vi('input', ['N', 1, 4, 4])],
    outputs: [vi('logits', ['N', 3])],
    initializers: [
      tensor('conv.weight', [2, 1, 3, 3], range(18, 0.1, -0.9)),
      tensor('conv.bias', [2], [0.5, -0.5]),
      tensor('bn.scale', [2], [1, 2]),
      tensor('bn.bias', [2], [0, 1]),
      tensor('bn.mean', [2], [0.1, -0.1]),
      tensor('bn.var', [2], [1, 4]),
      tensor('fc.weight', [3, 8], range(24, 0.05, -0.6)),
      tensor('fc.bias', [3], [1, 2, 3]),
      ...(opset >= 13 ? [tensor('axes0', [1], [0], DataType.INT64)] : []),
    ],
    nodes: [
      node('Conv', ['input', 'conv.weight', 'conv.bias'], ['c'], [a.ints('kernel_shape', [3, 3]), a.ints('pads', [1, 1, 1, 1])], 'conv1'),
      node('BatchNormalization', ['c', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'], ['b'], [a.f('epsilon', 1e-5)], 'bn1'),
      node('Relu', ['b'], ['r'], [], 'relu1'),
      node('MaxPool', ['r'], ['p'], [a.ints('kernel_shape', [2, 2]), a.ints('strides', [2, 2])], 'pool1'),
      node('Shape', ['p'], ['shape']),
      node('Constant', [], ['zero'], [a.t('value', tensor('', [], [0], DataType.INT64))]),
      node('Gather', ['shape', 'zero'], ['n'], [a.i('axis', 0)]),
      node('Unsqueeze', opset >= 13 ? ['n', 'axes0'] : ['n'], ['n1'], axes),
      node('Constant', [], ['minus1'], [a.t('value', tensor('', [1], [-1], DataType.INT64))]),
      node('Concat', ['n1', 'minus1'], ['newshape'], [a.i('axis', 0)]),
      node('Reshape', ['p', 'newshape'], ['flat'], [], 'flatten'),
      node('Gemm', ['flat', 'fc.weight', 'fc.bias'], ['logits'], [a.i('transB', 1)], 'fc'),
    ],
  };
}

describe('importOnnx: mapping', () => {
  it('imports a conv/bn/relu/pool/flatten/fc network, folding the shape plumbing', () => {
    const g = model(smallCnn(), { batch: 2 });
    expect(g.inputs).toEqual([{ name: 'input', shape: [2, 1, 4, 4] }]);
    expect(g.nodes.map((n) => n.op)).toEqual(['conv2d', 'batchnorm', 'relu', 'maxpool', 'reshape', 'fc']);
    expect(g.nodes.map((n) => n.layer)).toEqual(['conv1', 'conv1', 'conv1', 'pool1', 'flatten', 'fc']);
    const conv = g.nodes[0];
    expect(conv.attrs).toEqual({ kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], ceilMode: false, groups: 1 });
    expect(g.nodes[3].attrs).toEqual({ kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false });
    expect(g.nodes[4].attrs).toEqual({ shape: [2, -1], allowzero: false });
    expect(g.shape('logits')).toEqual([2, 3]);
    // The batch-norm statistics are not parameters; the shape constants are not initializers.
    expect([...g.initializers.values()].filter((i) => !i.trainable).map((i) => i.name)).toEqual(['bn.mean', 'bn.var']);
    expect([...g.initializers.keys()].sort()).toEqual(['bn.bias', 'bn.mean', 'bn.scale', 'bn.var', 'conv.bias', 'conv.weight', 'fc.bias', 'fc.weight']);
    expect(g.paramCount()).toBe(18 + 2 + 2 + 2 + 24 + 3);
  });

  it('reads Unsqueeze axes from the attribute before opset 13 and from the input after', () => {
    for (const opset of [11, 13]) expect(model(smallCnn(opset)).nodes.map((n) => n.op)).toContain('reshape');
  });

  it('folds int64 shape arithmetic: INT64_MAX slice ends, raw little-endian data, Gather, Mul, Concat', () => {
    const raw64 = (name: string, values: bigint[]) => ({
      name, dims: [values.length], data_type: DataType.INT64, raw_data: new Uint8Array(BigInt64Array.from(values).buffer),
    });
    const g = model({
      inputs: [vi('x', [2, 3, 4, 5])],
      outputs: [vi('y', undefined), vi('z', undefined)],
      initializers: [
        raw64('zero', [0n]), raw64('two', [2n]), raw64('minus1', [-1n]),
        // Exported as int64 text so it passes through protobufjs's Long handling.
        { name: 'max', dims: [1], data_type: DataType.INT64, int64_data: ['9223372036854775807'] },
        tensor('i0', [], [0], DataType.INT64), tensor('i1', [], [1], DataType.INT64),
      ],
      nodes: [
        node('Shape', ['x'], ['s']),
        node('Slice', ['s', 'zero', 'two'], ['s01']),
        node('Slice', ['s', 'two', 'max'], ['s23']),
        node('Gather', ['s23', 'i0'], ['h']),
        node('Gather', ['s23', 'i1'], ['w']),
        node('Mul', ['h', 'w'], ['hw']),
        node('Unsqueeze', ['hw', 'zero'], ['hw1']),
        node('Concat', ['s01', 'hw1'], ['shape3'], [a.i('axis', 0)]),
        node('Reshape', ['x', 'shape3'], ['y']),
        node('Slice', ['s', 'zero', 'max'], ['all']),
        node('Gather', ['all', 'zero'], ['n']),
        node('Concat', ['n', 'minus1'], ['shape2'], [a.i('axis', -1)]),
        node('Reshape', ['x', 'shape2'], ['z']),
      ],
    });
    expect(g.nodes.map((n) => [n.op, n.attrs])).toEqual([
      ['reshape', { shape: [2, 3, 20], allowzero: false }],
      ['reshape', { shape: [2, -1], allowzero: false }],
    ]);
    expect(g.initializers.size).toBe(0);
  });

  it('computes what the network computes (reference backend, checked by hand)', async () => {
    // 1x1 input through a 1x1 conv, relu and an fc: small enough to do by hand.
    const g = model({
      inputs: [vi('x', [1, 2, 1, 1])],
      outputs: [vi('y', [1, 2])],
      initializers: [tensor('w', [1, 2, 1, 1], [1, -1]), tensor('fw', [1, 2], [2, -3]), tensor('fb', [2], [1, 1])],
      nodes: [
        node('Conv', ['x', 'w'], ['c']),
        node('Relu', ['c'], ['r']),
        node('Flatten', ['r'], ['f'], [a.i('axis', -3)]),
        node('Gemm', ['f', 'fw', 'fb'], ['y'], [a.f('alpha', 0.5), a.f('beta', 2)]),
      ],
    });
    expect(g.nodes.find((n) => n.op === 'flatten')!.attrs).toEqual({ axis: 1 });
    const { y } = await run(g, { x: Float32Array.of(5, 1) });
    // conv 5-1 = 4; relu 4; fc: 0.5 * 4 * [2, -3] + 2 * [1, 1]
    expect([...y]).toEqual([6, -4]);
  });

  it('Gemm with constant B becomes fc: transB=0 transposed, alpha and beta folded, scalar C expanded', async () => {
    const g = model({
      inputs: [vi('x', [2, 3])],
      outputs: [vi('y', [2, 2])],
      initializers: [tensor('B', [3, 2], [1, 2, 3, 4, 5, 6]), tensor('C', [], [10])],
      nodes: [node('Gemm', ['x', 'B', 'C'], ['y'], [a.f('alpha', 2), a.f('beta', 0.5)])],
    });
    expect(g.nodes.map((n) => n.op)).toEqual(['fc']);
    const [, w, b] = g.nodes[0].inputs;
    expect(g.shape(w)).toEqual([2, 3]);
    expect([...g.weight(w)]).toEqual([2, 6, 10, 4, 8, 12]);
    expect([...g.weight(b)]).toEqual([5, 5]);
    const { y } = await run(g, { x: Float32Array.of(1, 0, 0, 0, 1, 1) });
    expect([...y]).toEqual([2 * 1 + 5, 2 * 2 + 5, 2 * 8 + 5, 2 * 10 + 5]);
  });

  it('Gemm keeps the general op for a [M, N] bias, a computed B or transA', () => {
    const base = { inputs: [vi('x', [2, 3]), vi('b', [3, 2])], outputs: [vi('y', [2, 2])] };
    const matrixC = model({ ...base, inputs: [vi('x', [2, 3])], initializers: [tensor('B', [3, 2], range(6)), tensor('C', [2, 2], range(4))], nodes: [node('Gemm', ['x', 'B', 'C'], ['y'])] });
    expect(matrixC.nodes.map((n) => n.op)).toEqual(['gemm']);
    const computedB = model({ ...base, nodes: [node('Gemm', ['x', 'b'], ['y'], [a.f('alpha', 3)])] });
    expect(computedB.nodes[0]).toMatchObject({ op: 'gemm', attrs: { alpha: 3, beta: 1, transA: false, transB: false } });
    const transA = model({ inputs: [vi('x', [3, 2])], outputs: base.outputs, initializers: [tensor('B', [3, 2], range(6))], nodes: [node('Gemm', ['x', 'B'], ['y'], [a.i('transA', 1)])] });
    expect(transA.nodes[0]).toMatchObject({ op: 'gemm', attrs: { transA: true } });
  });

  it('MatMul: constant B -> fc without bias, computed B -> gemm, N-D -> matmul (constant 2-D B: reshape, fc, reshape)', () => {
    const fc = model({ inputs: [vi('x', [1, 3])], outputs: [vi('y', [1, 2])], initializers: [tensor('B', [3, 2], range(6))], nodes: [node('MatMul', ['x', 'B'], ['y'])] });
    expect(fc.nodes[0].op).toBe('fc');
    expect(fc.nodes[0].inputs).toHaveLength(2);
    expect([...fc.weight(fc.nodes[0].inputs[1])]).toEqual([0, 2, 4, 1, 3, 5]);
    const gm = model({ inputs: [vi('x', [1, 3]), vi('b', [3, 2])], outputs: [vi('y', [1, 2])], nodes: [node('MatMul', ['x', 'b'], ['y'])] });
    expect(gm.nodes[0].op).toBe('gemm');
    const nd = model({ inputs: [vi('x', [2, 1, 3]), vi('b', [3, 2])], outputs: [vi('y', [2, 1, 2])], nodes: [node('MatMul', ['x', 'b'], ['y'], [], 'mm')] });
    expect(nd.nodes.map((n) => n.op)).toEqual(['matmul']);
    expect(nd.shape('y')).toEqual([2, 1, 2]);
    const linear = model({ inputs: [vi('x', [2, 4, 3])], outputs: [vi('y', [2, 4, 2])], initializers: [tensor('B', [3, 2], range(6))], nodes: [node('MatMul', ['x', 'B'], ['y'], [], 'mm')] });
    expect(linear.nodes.map((n) => n.op)).toEqual(['reshape', 'fc', 'reshape']);
    expect(linear.nodes[1].name).toBe('mm');
    expect(linear.shape('y')).toEqual([2, 4, 2]);
  });

  it('resolves auto_pad against the input shape', () => {
    const conv = (autoPad: string, stride: number) => {
      const n = typed(model({
        inputs: [vi('x', [1, 1, 5, 5])],
        outputs: [vi('y', undefined)],
        initializers: [tensor('w', [1, 1, 2, 2], [1, 1, 1, 1])],
        nodes: [node('Conv', ['x', 'w'], ['y'], [a.s('auto_pad', autoPad), a.ints('strides', [stride, stride])])],
      }).nodes[0]);
      return n.op === 'conv2d' ? n.attrs.pads : undefined;
    };
    expect(conv('SAME_UPPER', 1)).toEqual([0, 0, 1, 1]);
    expect(conv('SAME_LOWER', 1)).toEqual([1, 1, 0, 0]);
    expect(conv('SAME_UPPER', 2)).toEqual([0, 0, 1, 1]); // out 3: (3-1)*2 + 2 - 5 = 1
    expect(conv('VALID', 1)).toEqual([0, 0, 0, 0]);
  });

  it('honours opset differences: Softmax axis, Clip bounds, Pad pads', () => {
    const softmax = (opset: number) =>
      model({ opset, inputs: [vi('x', [2, 3, 4])], outputs: [vi('y', [2, 3, 4])], nodes: [node('Softmax', ['x'], ['y'])] }).nodes[0].attrs;
    expect(softmax(11)).toEqual({ axis: 1, coerce2d: true });
    expect(softmax(13)).toEqual({ axis: 2, coerce2d: false });

    const clip6 = model({ opset: 6, inputs: [vi('x', [4])], outputs: [vi('y', [4])], nodes: [node('Clip', ['x'], ['y'], [a.f('max', 6)])] });
    expect(clip6.nodes[0].attrs).toEqual({ min: -Infinity, max: 6 });
    const clip13 = model({
      inputs: [vi('x', [4])], outputs: [vi('y', [4])], initializers: [tensor('lo', [], [0])],
      nodes: [node('Clip', ['x', 'lo'], ['y'])],
    });
    expect(clip13.nodes[0].attrs).toEqual({ min: 0, max: Infinity });

    const pad2 = model({ opset: 2, inputs: [vi('x', [1, 1, 2, 2])], outputs: [vi('y', undefined)], nodes: [node('Pad', ['x'], ['y'], [a.ints('pads', [0, 0, 1, 0, 0, 0, 0, 2]), a.f('value', 3)])] });
    expect(pad2.nodes[0].attrs).toEqual({ pads: [0, 0, 1, 0, 0, 0, 0, 2], value: 3 });
    const pad13 = model({
      inputs: [vi('x', [1, 1, 2, 2])], outputs: [vi('y', undefined)],
      initializers: [tensor('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1], DataType.INT64), tensor('v', [], [-1])],
      nodes: [node('Pad', ['x', 'pads', 'v'], ['y'])],
    });
    expect(pad13.nodes[0].attrs).toEqual({ pads: [0, 0, 1, 1, 0, 0, 1, 1], value: -1 });
    expect(pad13.shape('y')).toEqual([1, 1, 4, 4]);
  });

  it('handles opset-6 broadcasting (broadcast=1, axis) as NumPy broadcasting', async () => {
    const g = model({
      opset: 6,
      inputs: [vi('x', [1, 2, 1, 2])],
      outputs: [vi('y', [1, 2, 1, 2])],
      initializers: [tensor('b', [2], [10, 20])],
      nodes: [node('Add', ['x', 'b'], ['y'], [a.i('broadcast', 1), a.i('axis', 1)])],
    });
    const { y } = await run(g, { x: Float32Array.of(1, 2, 3, 4) });
    expect([...y]).toEqual([11, 12, 23, 24]);
  });

  it('drops an unused Dropout mask, and refuses a used one, MaxPool Indices, training-mode BN', () => {
    const d = model({ inputs: [vi('x', [1, 4])], outputs: [vi('y', [1, 4])], nodes: [node('Dropout', ['x'], ['y', 'mask'])] });
    expect(d.nodes.map((n) => [n.op, n.outputs])).toEqual([['dropout', ['y']]]);
    expectOnnxError(
      () => model({ inputs: [vi('x', [1, 4])], outputs: [vi('y', [1, 4]), vi('mask', [1, 4])], nodes: [node('Dropout', ['x'], ['y', 'mask'], [], 'drop')] }),
      'unsupported', "Dropout mask output (node 'drop')",
    );
    expectOnnxError(
      () => model({
        inputs: [vi('x', [1, 1, 2, 2])], outputs: [vi('y', undefined)],
        nodes: [node('MaxPool', ['x'], ['p', 'idx'], [a.ints('kernel_shape', [2, 2])], 'pool'), node('Add', ['p', 'idx'], ['y'])],
      }),
      'unsupported', "MaxPool Indices output (node 'pool')",
    );
    expectOnnxError(
      () => model({
        opset: 15, inputs: [vi('x', [1, 2, 1, 1])], outputs: [vi('y', undefined)],
        initializers: ['s', 'b', 'm', 'v'].map((n) => tensor(n, [2], [1, 1])),
        nodes: [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y'], [a.i('training_mode', 1)], 'bn')],
      }),
      'unsupported', "BatchNormalization training_mode=1 (node 'bn')",
    );
  });

  it('maps Squeeze/Unsqueeze of computed tensors to reshapes, and a constant output to an identity', () => {
    const g = model({
      inputs: [vi('x', [1, 3])], outputs: [vi('y', undefined), vi('k', [2])],
      nodes: [
        node('Unsqueeze', ['x'], ['u'], [a.ints('axes', [-1])]),
        node('Squeeze', ['u'], ['y'], [a.ints('axes', [0])]),
        node('Constant', [], ['k'], [a.t('value', tensor('', [2], [1, 2]))]),
      ],
      opset: 11,
    });
    expect(g.nodes.map((n) => [n.op, n.attrs])).toEqual([
      ['reshape', { shape: [1, 3, 1], allowzero: false }],
      ['reshape', { shape: [3, 1], allowzero: false }],
      ['identity', {}],
    ]);
  });

  it('names unnamed nodes after their output; elementwise ops join their producer', () => {
    const g = model({
      inputs: [vi('x', [1, 1, 3, 3])], outputs: [vi('z', undefined)],
      initializers: [tensor('w', [1, 1, 1, 1], [2])],
      nodes: [node('Conv', ['x', 'w'], ['c'], [], ''), node('Relu', ['c'], ['r'], [], ''), node('Add', ['r', 'x'], ['z'], [], '')],
    });
    expect(g.nodes.map((n) => [n.name, n.layer])).toEqual([['c', 'c'], ['r', 'c'], ['z', 'c']]);
  });

  it('gives a symbolic batch the batch option, and needs inputShapes for other symbolic dims', () => {
    const spec = (dims: Dim[]): ModelSpec => ({ inputs: [vi('x', dims)], outputs: [vi('y', undefined)], nodes: [node('Relu', ['x'], ['y'])] });
    expect(model(spec(['N', 3]), { batch: 5 }).inputs[0].shape).toEqual([5, 3]);
    expect(model(spec([0, 3])).inputs[0].shape).toEqual([1, 3]);
    expectOnnxError(() => model(spec([1, 'C'])), 'unsupported', "graph input 'x' has a symbolic dimension 'C' on axis 1", 'inputShapes');
    expect(model(spec([1, 'C']), { inputShapes: { x: [2, 7] } }).inputs[0].shape).toEqual([2, 7]);
    expect(() => model(spec([1, 3]), { inputShapes: { nope: [1] } })).toThrow(OptionError);
    expect(() => model(spec([1, 3]), { batch: 0 })).toThrow(OptionError);
  });

  it('refuses non-float32 inputs and outputs', () => {
    expectOnnxError(
      () => model({ inputs: [vi('x', [2], DataType.UINT8)], outputs: [vi('y', [2], DataType.UINT8)], nodes: [node('Relu', ['x'], ['y'])] }),
      'unsupported', "graph input 'x' is UINT8", 'float32',
    );
  });
});

describe('importOnnx: malformed and unsupported input', () => {
  const valid = encodeModel(smallCnn());

  it('a truncated file', () => {
    for (const cut of [valid.length - 1, Math.floor(valid.length / 2), 7]) {
      expectOnnxError(() => importOnnx(valid.subarray(0, cut)), 'invalid', /not an ONNX model|truncated|no opset|no graph/);
    }
    expectOnnxError(() => importOnnx(valid.subarray(0, valid.length - 1)), 'invalid', 'truncated', 'protobuf decoding failed');
  });

  it('files that are not ONNX: empty, a PNG header, random bytes, text', () => {
    expectOnnxError(() => importOnnx(new Uint8Array()), 'invalid', 'not an ONNX model', 'empty');
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0);
    expectOnnxError(() => importOnnx(png), 'invalid', 'not an ONNX model');
    let seed = 12345;
    for (let k = 0; k < 20; k++) {
      const bytes = Uint8Array.from({ length: 256 + k * 97 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
      expectOnnxError(() => importOnnx(bytes), 'invalid');
    }
    const text = new TextEncoder().encode('This is a README, not a model.\nIt has two lines.\n');
    expectOnnxError(() => importOnnx(text), 'invalid', 'not an ONNX model');
  });

  it('a graph with a cycle', () => {
    expectOnnxError(
      () => model({
        inputs: [vi('x', [1, 2])], outputs: [vi('y', [1, 2])],
        nodes: [node('Add', ['x', 'b'], ['a'], [], 'first'), node('Relu', ['a'], ['b'], [], 'second'), node('Relu', ['a'], ['y'], [], 'third')],
      }),
      'invalid', 'cycle', "'first'", "'second'",
    );
  });

  it('a missing initializer', () => {
    expectOnnxError(
      () => model({
        inputs: [vi('x', [1, 1, 3, 3])], outputs: [vi('y', undefined)],
        nodes: [node('Conv', ['x', 'conv.weight'], ['y'], [], 'conv1')],
      }),
      'invalid', "node 'conv1' (Conv): input 'conv.weight' is not defined",
    );
  });

  it('unsupported ops: one error naming every node and op type', () => {
    const e = expectOnnxError(
      () => model({
        inputs: [vi('x', [1, 1, 4, 4]), vi('x3', [1, 1, 16])], outputs: [vi('y', undefined)],
        initializers: [tensor('w', [1, 1, 2, 2], [1, 1, 1, 1]), tensor('w1', [1, 1, 3], [1, 1, 1])],
        nodes: [
          node('ConvTranspose', ['x', 'w'], ['t'], [], 'x1'),
          node('Resize', ['t'], ['r1'], [], 'a'),
          node('Relu', ['r1'], ['r2']),
          node('Resize', ['r2'], ['r3'], [], 'b'),
          node('Conv', ['x3', 'w1'], ['c1'], [], 'conv1d'),
          node('Add', ['r3', 'c1'], ['y']),
        ],
      }),
      'unsupported',
    );
    expect(e.message).toBe("unsupported ONNX ops: ConvTranspose (node 'x1'), Resize (nodes 'a', 'b'), Conv 1-D (node 'conv1d')");
  });

  it('ops from other domains and opsets newer than 20', () => {
    expectOnnxError(
      () => model({ inputs: [vi('x', [1])], outputs: [vi('y', [1])], nodes: [{ ...node('FusedConv', ['x'], ['y']), domain: 'com.microsoft' }] }),
      'unsupported', "com.microsoft.FusedConv (node 'y')",
    );
    expectOnnxError(() => model({ opset: 21, inputs: [vi('x', [1])], outputs: [vi('y', [1])], nodes: [node('Relu', ['x'], ['y'])] }), 'unsupported', 'opset 21');
  });

  it('absurd dims are refused before anything is allocated', () => {
    const huge = { ...tensor('w', [2 ** 40], []), raw_data: new Uint8Array(8) };
    expectOnnxError(
      () => model({ inputs: [vi('x', [1])], outputs: [vi('y', undefined)], initializers: [huge], nodes: [node('Add', ['x', 'w'], ['y'])] }),
      'invalid', "initializer 'w'", '1099511627776 elements',
    );
    expectOnnxError(
      () => model({ inputs: [vi('x', [1])], outputs: [vi('y', undefined)], initializers: [tensor('w', [-3], [])], nodes: [node('Add', ['x', 'w'], ['y'])] }),
      'invalid', 'dimension -3',
    );
    expectOnnxError(() => model({ inputs: [vi('x', [1, 3, 2 ** 20, 2 ** 20])], outputs: [vi('y', undefined)], nodes: [node('Relu', ['x'], ['y'])] }), 'invalid', "graph input 'x'", 'elements');
    expectOnnxError(
      () => model({
        inputs: [vi('x', [1])], outputs: [vi('y', undefined)],
        initializers: [tensor('s', [3], [65536, 65536, 65536], DataType.INT64)],
        nodes: [node('ConstantOfShape', ['s'], ['c']), node('Add', ['x', 'c'], ['y'])],
      }),
      'invalid', 'ConstantOfShape', 'elements',
    );
  });

  it('tensor data that does not match its dims', () => {
    const short = { ...tensor('w', [4], []), raw_data: new Uint8Array(12) };
    expectOnnxError(
      () => model({ inputs: [vi('x', [4])], outputs: [vi('y', undefined)], initializers: [short], nodes: [node('Add', ['x', 'w'], ['y'])] }),
      'invalid', "initializer 'w': raw_data holds 12 bytes", 'need 16',
    );
    expectOnnxError(
      () => model({ inputs: [vi('x', [4])], outputs: [vi('y', undefined)], initializers: [tensor('w', [4], [1, 2])], nodes: [node('Add', ['x', 'w'], ['y'])] }),
      'invalid', 'holds 2 values', 'need 4',
    );
  });

  it('unsupported data types and external data', () => {
    const spec = (init: object): ModelSpec => ({ inputs: [vi('x', [2])], outputs: [vi('y', undefined)], initializers: [init], nodes: [node('Add', ['x', 'w'], ['y'])] });
    expectOnnxError(() => model(spec({ name: 'w', dims: [2], data_type: DataType.COMPLEX64 })), 'unsupported', "initializer 'w' has data type COMPLEX64");
    expectOnnxError(() => model(spec(tensor('w', [2], [1, 2], DataType.INT64))), 'unsupported', 'INT64', 'float32');
    const external = { name: 'w', dims: [2], data_type: DataType.FLOAT, data_location: 1, external_data: [{ key: 'location', value: 'w.bin' }] };
    expectOnnxError(() => model(spec(external)), 'unsupported', 'external file');
  });

  it('attributes of the wrong type', () => {
    expectOnnxError(
      () => model({
        inputs: [vi('x', [1, 1, 3, 3])], outputs: [vi('y', undefined)], initializers: [tensor('w', [1, 1, 1, 1], [1])],
        nodes: [node('Conv', ['x', 'w'], ['y'], [a.f('group', 1)], 'conv1')],
      }),
      'invalid', "node 'conv1' (Conv): attribute 'group' must be of type INT, found FLOAT",
    );
  });
});

describe('importOnnx: messages name the node, the input and what was expected (issue 11)', () => {
  const w4 = tensor('w', [1, 1, 1, 1], [1]);
  const convOn = (dims: Dim[], weight: object = w4): ModelSpec => ({
    inputs: [vi('x', dims)], outputs: [vi('y', undefined)], initializers: [weight],
    nodes: [node('Conv', ['x', 'w'], ['y'], [], 'conv1')],
  });

  it('a rank-2 input into Conv is invalid, and says Conv needs 4-D NCHW', () => {
    const e = expectOnnxError(
      () => model(convOn([1, 4])),
      'invalid', "node 'conv1' (Conv): input 0 (X) 'x' has shape [1, 4] (rank 2)", 'needs a 4-D N x C x H x W input',
    );
    expect(e.message).not.toMatch(/unsupported|2-D/);
    expectOnnxError(
      () => model({ inputs: [vi('x', [1, 4])], outputs: [vi('y', undefined)], nodes: [node('MaxPool', ['x'], ['y'], [a.ints('kernel_shape', [2])], 'pool1')] }),
      'invalid', "node 'pool1' (MaxPool): input 0 (X) 'x' has shape [1, 4] (rank 2)",
    );
    expectOnnxError(
      () => model({ inputs: [vi('x', [1, 4])], outputs: [vi('y', undefined)], nodes: [node('GlobalAveragePool', ['x'], ['y'], [], 'gap')] }),
      'invalid', "node 'gap' (GlobalAveragePool): input 0 (X) 'x' has shape [1, 4] (rank 2)",
    );
  });

  it('a 1-D or 3-D Conv is a valid model webconv does not support', () => {
    expectOnnxError(() => model(convOn([1, 1, 8], tensor('w', [1, 1, 1], [1]))), 'unsupported', "Conv 1-D (node 'conv1')");
    expectOnnxError(() => model(convOn([1, 1, 4, 4, 4], tensor('w', [1, 1, 1, 1, 1], [1]))), 'unsupported', "Conv 3-D (node 'conv1')");
  });

  it('a Conv weight whose rank differs from the input is invalid, naming W', () => {
    expectOnnxError(
      () => model(convOn([1, 1, 4, 4], tensor('w', [1, 1, 1], [1]))),
      'invalid', "node 'conv1' (Conv): input 1 (W) 'w' has shape [1, 1, 1] (rank 3)", 'rank-4 weight',
    );
  });

  it('dim_value 0 off the batch axis says the size is 0, naming the input and axis', () => {
    const e = expectOnnxError(
      () => model({ inputs: [vi('x', [1, 3, 0, 4])], outputs: [vi('y', undefined)], nodes: [node('Relu', ['x'], ['y'])] }),
      'unsupported', "graph input 'x' has size 0 on axis 2 (shape [1, 3, 0, 4])", 'does not run zero-size tensors',
    );
    expect(e.message).not.toMatch(/symbolic/);
    expectOnnxError(
      () => model({ inputs: [vi('x', [1, -2])], outputs: [vi('y', undefined)], nodes: [node('Relu', ['x'], ['y'])] }),
      'invalid', "graph input 'x' has size -2 on axis 1",
    );
  });

  it('an IR tensor with no elements is refused by name (a zero-size weight, an empty Reshape)', () => {
    expectOnnxError(
      () => model(convOn([1, 1, 4, 4], tensor('w', [0, 1, 1, 1], []))),
      'unsupported', "node 'conv1' (Conv): input 'w' has shape [0, 1, 1, 1]", 'zero-size',
    );
  });

  it('an empty required input says which one, and that it is required', () => {
    const e = expectOnnxError(
      () => model({ inputs: [vi('x', [1, 1, 4, 4])], outputs: [vi('y', undefined)], nodes: [node('Conv', ['x', ''], ['y'], [], 'conv1')] }),
      'invalid', "node 'conv1' (Conv): input 1 (W) is empty (''), but required", 'X, W, and optionally B',
    );
    expect(e.message).not.toMatch(/expects|found 2/);
    expectOnnxError(
      () => model({ inputs: [vi('x', [1, 1, 4, 4])], outputs: [vi('y', undefined)], nodes: [node('Conv', ['x'], ['y'], [], 'conv1')] }),
      'invalid', "node 'conv1' (Conv): input 1 (W) is missing, but required",
    );
    expectOnnxError(
      () => model({ inputs: [vi('x', [1, 1, 4, 4])], outputs: [vi('y', undefined)], initializers: [w4], nodes: [node('Conv', ['x', 'w', 'b', 'extra'].map((t, i) => (i > 1 ? '' : t)), ['y'], [], 'conv1')] }),
      'invalid', "node 'conv1' (Conv): has 4 inputs ('x', 'w', '', ''), but Conv (opset 13) takes at most 3: X, W, and optionally B",
    );
    expectOnnxError(
      () => model({ inputs: [vi('x', [2])], outputs: [vi('y', undefined)], nodes: [node('Concat', ['x', '', 'x'], ['y'], [a.i('axis', 0)], 'cat')] }),
      'invalid', "node 'cat' (Concat): input 1 (inputs[1]) is empty (''), but required",
    );
    expectOnnxError(
      () => model({ inputs: [vi('x', [2])], outputs: [vi('y', undefined)], nodes: [node('Constant', ['x'], ['y'], [a.f('value_float', 1)], 'k')] }),
      'invalid', "node 'k' (Constant): has 1 input ('x'), but Constant (opset 13) takes none",
    );
  });

  it('empty optional inputs are allowed: Conv bias, Clip min and max, Pad constant_value', () => {
    expect(model({ inputs: [vi('x', [1, 1, 4, 4])], outputs: [vi('y', undefined)], initializers: [w4], nodes: [node('Conv', ['x', 'w', ''], ['y'])] }).nodes[0].inputs).toEqual(['x', 'w']);
    const clip = model({
      inputs: [vi('x', [4])], outputs: [vi('y', undefined)], initializers: [tensor('hi', [], [6])],
      nodes: [node('Clip', ['x', '', 'hi'], ['y'])],
    });
    expect(clip.nodes[0].attrs).toEqual({ min: -Infinity, max: 6 });
    const pad = model({
      inputs: [vi('x', [1, 1, 2, 2])], outputs: [vi('y', undefined)], initializers: [tensor('p', [8], [0, 0, 1, 1, 0, 0, 1, 1], DataType.INT64)],
      nodes: [node('Pad', ['x', 'p', ''], ['y'])],
    });
    expect(pad.nodes[0].attrs).toEqual({ pads: [0, 0, 1, 1, 0, 0, 1, 1], value: 0 });
  });

  it('a tensor whose dims claim 2^27 elements but holds 4 bytes fails on the length, allocating nothing', () => {
    const liar = { name: 'w', dims: [2 ** 27], data_type: DataType.FLOAT, raw_data: new Uint8Array(4) };
    const bytes = encodeModel({ inputs: [vi('x', [2 ** 27])], outputs: [vi('y', undefined)], initializers: [liar], nodes: [node('Add', ['x', 'w'], ['y'])] });
    const before = process.memoryUsage().arrayBuffers;
    expectOnnxError(() => importOnnx(bytes), 'invalid', "initializer 'w': raw_data holds 4 bytes, but dims [134217728] of FLOAT need 536870912");
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(100 * 2 ** 20);
    const fewValues = { name: 'w', dims: [2 ** 27], data_type: DataType.INT64, int64_data: [1] };
    const bytes2 = encodeModel({
      inputs: [vi('x', [1])], outputs: [vi('y', undefined)], initializers: [fewValues],
      nodes: [node('Reshape', ['x', 'w'], ['y'])],
    });
    const before2 = process.memoryUsage().arrayBuffers;
    expectOnnxError(() => importOnnx(bytes2), 'invalid', "initializer 'w': int64_data holds 1 value, but dims [134217728] need 134217728");
    expect(process.memoryUsage().arrayBuffers - before2).toBeLessThan(100 * 2 ** 20);
  });
});

describe('loadOnnxFile and decodeTensorProto', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webconv-onnx-'));

  it('loads a file, named after it', async () => {
    const path = join(dir, 'tiny-cnn.onnx');
    writeFileSync(path, encodeModel(smallCnn()));
    const g = await loadOnnxFile(path, { batch: 3 });
    expect(g.name).toBe('tiny-cnn');
    expect(g.inputs[0].shape).toEqual([3, 1, 4, 4]);
  });

  it('a missing or unreadable file is an OnnxError naming the path', async () => {
    const missing = join(dir, 'nope.onnx');
    await expect(loadOnnxFile(missing)).rejects.toThrow(OnnxError);
    await expect(loadOnnxFile(missing)).rejects.toThrow(`cannot read ONNX file '${missing}': no such file`);
    await expect(loadOnnxFile(dir)).rejects.toThrow(`cannot read ONNX file '${dir}'`);
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'not a model');
    await expect(loadOnnxFile(bad)).rejects.toThrow(`${bad}: not an ONNX model`);
  });

  it('decodes float32 TensorProtos and refuses others', () => {
    const T = onnxTypes.TensorProto;
    const raw = new Uint8Array(Float32Array.of(1.5, -2, 3.25).buffer);
    const bytes = T.encode(T.fromObject({ name: 'x', dims: [1, 3], data_type: DataType.FLOAT, raw_data: raw })).finish();
    const t = decodeTensorProto(bytes);
    expect(t).toEqual({ name: 'x', shape: [1, 3], data: Float32Array.of(1.5, -2, 3.25) });
    const ints = T.encode(T.fromObject(tensor('i', [2], [1, 2], DataType.INT64))).finish();
    expect(() => decodeTensorProto(ints)).toThrow(/tensor 'i' has data type INT64; expected FLOAT/);
    expect(() => decodeTensorProto(bytes.subarray(0, bytes.length - 2))).toThrow(OnnxError);
  });

  it('keeps import.ts and what it imports free of Node built-ins (browser bundle)', () => {
    for (const f of ['import', 'schema', 'tensor-proto', 'fold', 'attributes']) {
      const src = readFileSync(new URL(`../src/onnx/${f}.ts`, import.meta.url), 'utf8');
      expect(src).not.toMatch(/from 'node:|require\(/);
    }
  });
});

// ---- QuantizeLinear / DequantizeLinear (issue 16), values worked by hand from the ONNX spec --

describe('QuantizeLinear and DequantizeLinear', () => {
  const q = (x: string, scale: string, zp: string, out: string) => node('QuantizeLinear', [x, scale, zp], [out]);
  const dq = (x: string, scale: string, zp: string, out: string, attrs: object[] = []) => node('DequantizeLinear', [x, scale, zp], [out], attrs);

  it('Q -> DQ of a computed tensor is one qdq node: (clamp(round_half_even(x / s) + zp, 0, 255) - zp) * s', async () => {
    const g = model({
      nodes: [node('Relu', ['x'], ['r']), q('x', 's', 'zp', 'xq'), dq('xq', 's', 'zp', 'y')],
      inputs: [vi('x', [1, 6])],
      outputs: [vi('y', [1, 6]), vi('r', [1, 6])],
      initializers: [tensor('s', [], [0.5]), tensor('zp', [], [10], DataType.UINT8)],
    });
    expect(g.nodes.map((n) => n.op)).toEqual(['relu', 'qdq']);
    expect(g.nodes[1].attrs).toEqual({ scale: 0.5, zeroPoint: 10, type: 'uint8' });
    // x / s = -14 (-> -4, clamped to 0), 0.52 (1), 1.5 (2, even), 2.5 (2, even), -2.5 (-2), 400 (410 -> 255)
    const { y } = await run(g, { x: Float32Array.of(-7, 0.26, 0.75, 1.25, -1.25, 200) });
    expect(Array.from(y)).toEqual([-5, 0.5, 1, 1, -1, 122.5]);
  });

  it('DequantizeLinear of constant int8 weights per output channel (axis 0) and of an int32 bias folds to float', async () => {
    const g = model({
      nodes: [dq('wq', 'ws', 'wzp', 'w', [a.i('axis', 0)]), dq('bq', 'bs', 'bzp', 'b'), node('Conv', ['x', 'w', 'b'], ['y'])],
      inputs: [vi('x', [1, 1, 2, 2])],
      outputs: [vi('y', [1, 2, 2, 2])],
      initializers: [
        tensor('wq', [2, 1, 1, 1], [3, -4], DataType.INT8), tensor('ws', [2], [0.5, 0.25]), tensor('wzp', [2], [1, 0], DataType.INT8),
        tensor('bq', [2], [20, -8], DataType.INT32), tensor('bs', [], [0.125]), tensor('bzp', [], [0], DataType.INT32),
      ],
    });
    expect(g.nodes.map((n) => n.op)).toEqual(['conv2d']);
    // w = [(3 - 1) * 0.5, (-4 - 0) * 0.25] = [1, -1]; b = [20, -8] * 0.125 = [2.5, -1]
    const { y } = await run(g, { x: Float32Array.of(1, 2, 3, 4) });
    expect(Array.from(y)).toEqual([3.5, 4.5, 5.5, 6.5, -2, -3, -4, -5]);
  });

  it('refuses what it cannot run in float, as typed errors naming it', () => {
    const inits = [tensor('s', [], [0.5]), tensor('zp', [], [0], DataType.INT8)];
    // An 8-bit tensor read by another op, or left as a graph output.
    expectOnnxError(() => model({ nodes: [q('x', 's', 'zp', 'xq'), node('Relu', ['xq'], ['y'])], inputs: [vi('x', [4])], outputs: [vi('y', [4])], initializers: inits }), 'unsupported', /QuantizeLinear read by Relu/);
    expectOnnxError(() => model({ nodes: [q('x', 's', 'zp', 'y')], inputs: [vi('x', [4])], outputs: [vi('y', [4], DataType.INT8)], initializers: inits }), 'unsupported', /INT8/);
    // A scale that is not positive.
    const zero = [tensor('s', [], [0]), tensor('zp', [], [0], DataType.INT8)];
    expectOnnxError(() => model({ nodes: [q('x', 's', 'zp', 'xq'), dq('xq', 's', 'zp', 'y')], inputs: [vi('x', [4])], outputs: [vi('y', [4])], initializers: zero }), 'invalid', /scale holds 0; a scale must be positive/);
    // Other parameters on the DequantizeLinear than on its QuantizeLinear.
    const two = [...inits, tensor('s2', [], [0.25])];
    expectOnnxError(() => model({ nodes: [q('x', 's', 'zp', 'xq'), dq('xq', 's2', 'zp', 'y')], inputs: [vi('x', [4])], outputs: [vi('y', [4])], initializers: two }), 'unsupported', /DequantizeLinear with other parameters/);
  });
});
