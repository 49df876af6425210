/**
 * Import of ReduceMean / ReduceSum / ReduceMax (axes as attribute or input by opset, empty
 * axes, global pooling routing) and LayerNormalization (issue 13). Values are checked by the
 * conformance data (test/conformance.test.ts) and the shared kernel cases.
 */
import { describe, expect, it } from 'vitest';
import { OnnxError } from '../src/graph/errors.js';
import { importOnnx } from '../src/onnx/import.js';
import { AttributeType, DataType, onnxTypes } from '../src/onnx/schema.js';

const vi = (name: string, dims: number[]) => ({ name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } });
const ints64 = (name: string, values: number[]) => ({ name, dims: [values.length], data_type: DataType.INT64, int64_data: values });
const floats = (name: string, dims: number[]) => ({ name, dims, data_type: DataType.FLOAT, float_data: new Array(dims.reduce((x, y) => x * y, 1)).fill(1) });
const attr = {
  i: (name: string, i: number) => ({ name, type: AttributeType.INT, i }),
  f: (name: string, f: number) => ({ name, type: AttributeType.FLOAT, f }),
  ints: (name: string, ints: number[]) => ({ name, type: AttributeType.INTS, ints }),
};
const node = (op_type: string, input: string[], attribute: object[] = []) => ({ op_type, input, output: ['y'], name: 'n', attribute });

function model(x: number[], n: object, { opset = 13, inits = [] as object[], extraInputs = [] as object[] } = {}) {
  const M = onnxTypes.ModelProto;
  const msg = M.fromObject({
    ir_version: 8,
    opset_import: [{ domain: '', version: opset }],
    graph: { name: 'g', node: [n], input: [vi('x', x), ...extraInputs], output: [{ name: 'y' }], initializer: inits },
  });
  return importOnnx(M.encode(msg).finish());
}

describe('ReduceMean / ReduceSum / ReduceMax import', () => {
  it('a mean or max over [2, 3] of NCHW is a global pooling (a reshape after it when keepdims is 0)', () => {
    const kept = model([1, 4, 5, 6], node('ReduceMean', ['x'], [attr.ints('axes', [2, 3])]));
    expect(kept.nodes.map((n) => n.op)).toEqual(['globalavgpool']);
    expect(kept.shape('y')).toEqual([1, 4, 1, 1]);
    const flat = model([2, 4, 5, 6], node('ReduceMean', ['x'], [attr.ints('axes', [3, 2]), attr.i('keepdims', 0)]));
    expect(flat.nodes.map((n) => n.op)).toEqual(['globalavgpool', 'reshape']);
    expect(flat.shape('y')).toEqual([2, 4]);
    const max = model([1, 4, 5, 6], node('ReduceMax', ['x'], [attr.ints('axes', [-1, -2])]));
    expect(max.nodes.map((n) => n.op)).toEqual(['globalmaxpool']);
    // A sum is not a pooling webconv has: the reduction itself.
    const sum = model([1, 4, 5, 6], node('ReduceSum', ['x', 'axes']), { inits: [ints64('axes', [2, 3])] });
    expect(sum.nodes[0]).toMatchObject({ op: 'reducesum', attrs: { axes: [2, 3], keepdims: true } });
  });

  it('axes: attribute (ReduceMean/Max before opset 18), input (ReduceSum from 13, all from 18), negative, empty', () => {
    const mean = model([2, 3, 4], node('ReduceMean', ['x'], [attr.ints('axes', [-1, 0]), attr.i('keepdims', 0)]));
    expect(mean.nodes[0]).toMatchObject({ op: 'reducemean', attrs: { axes: [0, 2], keepdims: false } });
    expect(mean.shape('y')).toEqual([3]);
    const all = model([2, 3, 4], node('ReduceMax', ['x']));
    expect(all.nodes[0]).toMatchObject({ op: 'reducemax', attrs: { axes: [0, 1, 2], keepdims: true } });
    expect(all.shape('y')).toEqual([1, 1, 1]);
    const sum = model([2, 3, 4], node('ReduceSum', ['x', 'axes'], [attr.i('keepdims', 0)]), { inits: [ints64('axes', [1])] });
    expect(sum.nodes[0]).toMatchObject({ op: 'reducesum', attrs: { axes: [1] } });
    expect(sum.shape('y')).toEqual([2, 4]);
    const noop = model([2, 3, 4], node('ReduceSum', ['x'], [attr.i('noop_with_empty_axes', 1)]));
    expect(noop.nodes.map((n) => n.op)).toEqual(['identity']);
    const opset18 = model([2, 3, 4], node('ReduceMean', ['x', 'axes']), { opset: 18, inits: [ints64('axes', [1])] });
    expect(opset18.nodes[0]).toMatchObject({ op: 'reducemean', attrs: { axes: [1] } });
  });

  it('refuses computed axes as unsupported, and out-of-range or repeated axes as invalid', () => {
    const computed = () => model([2, 3], node('ReduceSum', ['x', 'axes']), { extraInputs: [vi('axes', [1])] });
    expect(computed).toThrow(OnnxError);
    expect(() => model([2, 3], node('ReduceMean', ['x'], [attr.ints('axes', [2])]))).toThrow(/out of range/);
    expect(() => model([2, 3], node('ReduceMean', ['x'], [attr.ints('axes', [1, -1])]))).toThrow(/repeat/);
  });
});

describe('LayerNormalization import (opset 17)', () => {
  it('normalises every axis from axis on, epsilon and scale/bias kept', () => {
    const g = model([2, 3, 4], node('LayerNormalization', ['x', 's', 'b'], [attr.i('axis', -2), attr.f('epsilon', 1e-3)]), {
      opset: 17, inits: [floats('s', [3, 4]), floats('b', [3, 4])],
    });
    expect(g.nodes).toHaveLength(1);
    expect(g.nodes[0]).toMatchObject({ op: 'layernorm', inputs: ['x', 's', 'b'], attrs: { axis: 1, count: 0 } });
    expect((g.nodes[0].attrs as { epsilon: number }).epsilon).toBeCloseTo(1e-3, 9);
    expect(() => model([2, 3], node('LayerNormalization', ['x', 's'], [attr.i('axis', 2)]), { opset: 17, inits: [floats('s', [3])] })).toThrow(/out of range/);
  });
});
