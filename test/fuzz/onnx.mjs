/**
 * ONNX cases: small valid models (chains and branches of the ops webconv imports, random
 * but legal attributes and shapes) described as a plain "spec", encoded with the SDK's own
 * protobufjs schema, then mutated structurally (on the spec) and byte-wise (on the file).
 */
import { DataType, AttributeType as AT } from './onnx-schema.mjs';

// ---- spec helpers -----------------------------------------------------------------------

const f32raw = (values) => {
  const a = Float32Array.from(values);
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
};

const attr = {
  i: (name, i) => ({ name, type: AT.INT, i }),
  f: (name, f) => ({ name, type: AT.FLOAT, f }),
  ints: (name, ints) => ({ name, type: AT.INTS, ints }),
  floats: (name, floats) => ({ name, type: AT.FLOATS, floats }),
  s: (name, s) => ({ name, type: AT.STRING, s: new TextEncoder().encode(s) }),
  t: (name, t) => ({ name, type: AT.TENSOR, t }),
};

const sizeOf = (shape) => shape.reduce((a, d) => a * d, 1);

/** The builder of one valid model: it tracks the shape of every tensor it creates. */
class ModelBuilder {
  constructor(rng, opset) {
    this.rng = rng;
    this.opset = opset;
    this.nodes = [];
    this.initializers = [];
    this.inputs = [];
    this.outputs = [];
    this.shapes = new Map();
    this.count = 0;
  }
  fresh(base) {
    return `${base}_${this.count++}`;
  }
  /** a float initializer, encoded as float_data or raw_data at random */
  weight(base, dims, values) {
    const name = this.fresh(base);
    const t = { name, dims, data_type: DataType.FLOAT };
    if (this.rng.bool(0.5)) t.raw_data = f32raw(values);
    else t.float_data = Array.from(values);
    this.initializers.push(t);
    this.shapes.set(name, dims);
    return name;
  }
  ints(base, values) {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [values.length], data_type: DataType.INT64, int64_data: values });
    return name;
  }
  scalar(base, v) {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [], data_type: DataType.FLOAT, float_data: [v] });
    return name;
  }
  node(op, inputs, attribute, shape) {
    const out = this.fresh(op.toLowerCase());
    this.nodes.push({ op_type: op, input: inputs, output: [out], name: `n${this.nodes.length}_${op}`, attribute });
    this.shapes.set(out, shape);
    return out;
  }
}

/** Output size of a window (conv or pool); NaN when it is not at least 1. */
function windowOut(size, k, s, d, p0, p1, ceil = false) {
  const span = size + p0 + p1 - d * (k - 1) - 1;
  if (span < 0) return NaN;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // ONNX (and PyTorch): with ceil_mode the last window must start inside the input or the left padding
  if (ceil && (out - 1) * s >= size + p0) out--;
  return out;
}

// ---- 4-D ops ---------------------------------------------------------------------------

function convOp(b, x, opts = {}) {
  const { rng } = b;
  const [n, c, h, w] = b.shapes.get(x);
  const groupChoices = [1, 2, 3, 4].filter((g) => c % g === 0);
  const group = opts.same ? 1 : rng.weighted(groupChoices.map((g) => [g, g === 1 ? 4 : 1]));
  const cout = opts.cout ?? group * rng.int(1, Math.max(1, Math.floor(6 / group)));
  const kh = opts.same ? rng.pick([1, 3]) : rng.int(1, Math.min(5, h + 2));
  const kw = opts.same ? kh : rng.bool(0.7) ? kh : rng.int(1, Math.min(5, w + 2));
  const stride = opts.same ? [1, 1] : [rng.weighted([[1, 4], [2, 2], [3, 1]]), rng.weighted([[1, 4], [2, 2], [3, 1]])];
  const dil = opts.same ? [1, 1] : [rng.weighted([[1, 5], [2, 1]]), rng.weighted([[1, 5], [2, 1]])];
  let pads = opts.same ? [(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2] : [rng.int(0, kh - 1), rng.int(0, kw - 1), rng.int(0, kh - 1), rng.int(0, kw - 1)];
  const autoPad = opts.same ? 'NOTSET' : rng.weighted([['NOTSET', 8], ['SAME_UPPER', 1], ['SAME_LOWER', 1], ['VALID', 1]]);
  let oh;
  let ow;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    oh = Math.ceil(h / stride[0]);
    ow = Math.ceil(w / stride[1]);
  } else {
    if (autoPad === 'VALID') pads = [0, 0, 0, 0];
    oh = windowOut(h, kh, stride[0], dil[0], pads[0], pads[2]);
    ow = windowOut(w, kw, stride[1], dil[1], pads[1], pads[3]);
  }
  if (!(oh >= 1 && ow >= 1)) return undefined;
  const fanIn = (c / group) * kh * kw;
  const scale = 1 / Math.sqrt(fanIn);
  const wName = b.weight('W', [cout, c / group, kh, kw], rng.floats(cout * (c / group) * kh * kw, -scale * 1.7, scale * 1.7));
  const inputs = [x, wName];
  if (rng.bool(0.6)) inputs.push(b.weight('B', [cout], rng.floats(cout, -0.5, 0.5)));
  const attrs = [];
  if (rng.bool(0.7)) attrs.push(attr.ints('kernel_shape', [kh, kw]));
  if (stride[0] !== 1 || stride[1] !== 1 || rng.bool(0.3)) attrs.push(attr.ints('strides', stride));
  if (dil[0] !== 1 || dil[1] !== 1 || rng.bool(0.2)) attrs.push(attr.ints('dilations', dil));
  if (autoPad !== 'NOTSET') attrs.push(attr.s('auto_pad', autoPad));
  else if (pads.some((p) => p) || rng.bool(0.3)) attrs.push(attr.ints('pads', pads));
  if (group !== 1 || rng.bool(0.2)) attrs.push(attr.i('group', group));
  return b.node('Conv', inputs, attrs, [n, cout, oh, ow]);
}

function poolOp(b, x) {
  const { rng } = b;
  const [n, c, h, w] = b.shapes.get(x);
  const op = rng.pick(['MaxPool', 'AveragePool']);
  const kh = rng.int(1, Math.min(4, h));
  const kw = rng.bool(0.7) ? Math.min(kh, w) : rng.int(1, Math.min(4, w));
  const stride = [rng.int(1, 3), rng.int(1, 3)];
  const pads = [rng.int(0, kh - 1), rng.int(0, kw - 1), rng.int(0, kh - 1), rng.int(0, kw - 1)].map((p) => (rng.bool(0.5) ? 0 : p));
  const ceil = rng.bool(0.25);
  const oh = windowOut(h, kh, stride[0], 1, pads[0], pads[2], ceil);
  const ow = windowOut(w, kw, stride[1], 1, pads[1], pads[3], ceil);
  if (!(oh >= 1 && ow >= 1)) return undefined;
  const attrs = [attr.ints('kernel_shape', [kh, kw])];
  if (stride[0] !== 1 || stride[1] !== 1 || rng.bool(0.3)) attrs.push(attr.ints('strides', stride));
  if (pads.some((p) => p)) attrs.push(attr.ints('pads', pads));
  if (ceil) attrs.push(attr.i('ceil_mode', 1));
  if (op === 'AveragePool' && rng.bool(0.5)) attrs.push(attr.i('count_include_pad', rng.int(0, 1)));
  return b.node(op, [x], attrs, [n, c, oh, ow]);
}

function unaryOp(b, x) {
  const { rng, opset } = b;
  const shape = b.shapes.get(x);
  const op = rng.pick(['Relu', 'LeakyRelu', 'Clip', 'Identity', 'Dropout', 'Sigmoid', 'Tanh']);
  switch (op) {
    case 'LeakyRelu':
      return b.node(op, [x], rng.bool(0.8) ? [attr.f('alpha', rng.pick([0.01, 0.1, 0.2, rng.range(0, 1)]))] : [], shape);
    case 'Clip': {
      const lo = rng.range(-1, 0);
      const hi = rng.range(0, 1.5);
      if (opset < 11) {
        const attrs = [];
        if (rng.bool(0.8)) attrs.push(attr.f('min', lo));
        if (rng.bool(0.8)) attrs.push(attr.f('max', hi));
        return b.node(op, [x], attrs, shape);
      }
      const inputs = [x];
      const which = rng.int(0, 3);
      if (which === 1) inputs.push(b.scalar('min', lo));
      if (which === 2) inputs.push('', b.scalar('max', hi));
      if (which === 3) inputs.push(b.scalar('min', lo), b.scalar('max', hi));
      return b.node(op, inputs, [], shape);
    }
    case 'Dropout': {
      if (opset < 12) return b.node(op, [x], rng.bool(0.5) ? [attr.f('ratio', rng.range(0, 0.9))] : [], shape);
      return b.node(op, rng.bool(0.5) ? [x, b.scalar('ratio', rng.range(0, 0.9))] : [x], [], shape);
    }
    default:
      return b.node(op, [x], [], shape);
  }
}

function batchNormOp(b, x) {
  const { rng } = b;
  const shape = b.shapes.get(x);
  const c = shape[1];
  const inputs = [
    x,
    b.weight('gamma', [c], rng.floats(c, 0.5, 1.5)),
    b.weight('beta', [c], rng.floats(c, -0.5, 0.5)),
    b.weight('mean', [c], rng.floats(c, -0.5, 0.5)),
    b.weight('var', [c], rng.floats(c, 0.25, 2)),
  ];
  return b.node('BatchNormalization', inputs, rng.bool(0.5) ? [attr.f('epsilon', rng.pick([1e-5, 1e-3, 0.1]))] : [], shape);
}

function lrnOp(b, x) {
  const { rng } = b;
  const attrs = [attr.i('size', rng.pick([1, 3, 5, 2]))];
  if (rng.bool(0.7)) attrs.push(attr.f('alpha', rng.pick([1e-4, 1e-2, 0.5])));
  if (rng.bool(0.7)) attrs.push(attr.f('beta', rng.pick([0.75, 0.5, 1])));
  if (rng.bool(0.5)) attrs.push(attr.f('bias', rng.pick([1, 2, 0.5])));
  return b.node('LRN', [x], attrs, b.shapes.get(x));
}

function padOp(b, x) {
  const { rng, opset } = b;
  const [n, c, h, w] = b.shapes.get(x);
  const p = [0, 0, rng.int(0, 2), rng.int(0, 2), 0, 0, rng.int(0, 2), rng.int(0, 2)];
  const value = rng.bool(0.5) ? 0 : rng.range(-1, 1);
  const shape = [n, c, h + p[2] + p[6], w + p[3] + p[7]];
  if (opset < 11) {
    const attrs = [attr.ints('pads', p)];
    if (value !== 0) attrs.push(attr.f('value', value));
    if (rng.bool(0.3)) attrs.push(attr.s('mode', 'constant'));
    return b.node('Pad', [x], attrs, shape);
  }
  const inputs = [x, b.ints('pads', p)];
  if (value !== 0 || rng.bool(0.2)) inputs.push(b.scalar('value', value));
  return b.node('Pad', inputs, rng.bool(0.3) ? [attr.s('mode', 'constant')] : [], shape);
}

function softmaxOp(b, x) {
  const { rng, opset } = b;
  const shape = b.shapes.get(x);
  const rank = shape.length;
  const axis = opset < 13 ? rng.pick([1, 1, -1].filter((a) => rank === 2 || a === 1)) : rng.pick([1, -1, rank - 1, -rank + 1]);
  return b.node('Softmax', [x], rng.bool(0.8) ? [attr.i('axis', axis)] : [], shape);
}

/** Add or Mul of a tensor with a constant that broadcasts onto it. */
function broadcastOp(b, x) {
  const { rng } = b;
  const shape = b.shapes.get(x);
  const op = rng.pick(['Add', 'Mul']);
  const lo = op === 'Mul' ? 0.5 : -1;
  const hi = op === 'Mul' ? 1.5 : 1;
  let dims;
  if (shape.length === 4) dims = rng.pick([[shape[1], 1, 1], [1], [], [1, shape[1], 1, 1], shape.slice(1), [shape[3]]]);
  else dims = rng.pick([[shape[1]], [1], [], [1, shape[1]]]);
  const k = b.weight('k', dims, rng.floats(sizeOf(dims), lo, hi));
  return b.node(op, rng.bool(0.8) ? [x, k] : [k, x], [], shape);
}

/** A shape-preserving op (for the arms of a residual branch). */
function preservingOp(b, x) {
  const kind = b.rng.weighted([['conv', 3], ['unary', 3], ['bn', 2], ['lrn', 1], ['bcast', 1]]);
  if (kind === 'conv') return convOp(b, x, { same: true, cout: b.shapes.get(x)[1] });
  if (kind === 'bn') return batchNormOp(b, x);
  if (kind === 'lrn') return lrnOp(b, x);
  if (kind === 'bcast') return broadcastOp(b, x);
  return unaryOp(b, x);
}

/** Two arms from x joined by Add, Mul or Concat. */
function branchOp(b, x) {
  const { rng } = b;
  const join = rng.weighted([['Add', 3], ['Mul', 1], ['Concat', 2]]);
  const arm = () => {
    let t = x;
    const len = rng.int(0, 2);
    for (let i = 0; i < len; i++) {
      const next = join === 'Concat' && rng.bool(0.5) ? convOp(b, t, { same: true, cout: rng.int(1, 4) }) : preservingOp(b, t);
      if (next) t = next;
    }
    return t;
  };
  const a = arm();
  const c = arm();
  const sa = b.shapes.get(a);
  const sc = b.shapes.get(c);
  if (join === 'Concat') {
    const axis = rng.pick([1, 1, -3].filter((v) => v === 1 || sa.length === 4));
    const parts = rng.bool(0.2) ? [a, c, a] : [a, c];
    const cs = parts.reduce((s, p) => s + b.shapes.get(p)[1], 0);
    return b.node('Concat', parts, [attr.i('axis', axis)], [sa[0], cs, ...sa.slice(2)]);
  }
  if (sa.join() !== sc.join()) return a;
  return b.node(join, [a, c], [], sa);
}

/** 4-D to 2-D: Flatten, Reshape to [N, -1] / [0, -1], GlobalAveragePool+Flatten, or the PyTorch export's Shape plumbing. */
function to2d(b, x) {
  const { rng, opset } = b;
  const shape = b.shapes.get(x);
  const [n] = shape;
  const f = sizeOf(shape.slice(1));
  const how = rng.weighted([['flatten', 3], ['reshape', 2], ['gap', 2], ['plumbing', 1]]);
  if (how === 'flatten') return b.node('Flatten', [x], rng.bool(0.5) ? [attr.i('axis', 1)] : [], [n, f]);
  if (how === 'reshape') return b.node('Reshape', [x, b.ints('shape', rng.pick([[n, -1], [0, -1], [n, f], [-1, f]]))], [], [n, f]);
  if (how === 'gap') {
    const g = b.node(rng.bool(0.8) ? 'GlobalAveragePool' : 'GlobalMaxPool', [x], [], [n, shape[1], 1, 1]);
    return b.node('Flatten', [g], [], [n, shape[1]]);
  }
  // Shape -> Gather(0) -> Unsqueeze -> Concat([-1]) -> Reshape
  const s = b.fresh('shape');
  const g = b.fresh('gather');
  const u = b.fresh('unsq');
  const cc = b.fresh('cat');
  const idx = b.fresh('idx');
  b.initializers.push({ name: idx, dims: [], data_type: DataType.INT64, int64_data: [0] });
  const minus1 = b.ints('minus1', [-1]);
  b.nodes.push({ op_type: 'Shape', input: [x], output: [s], name: `n${b.nodes.length}_Shape`, attribute: [] });
  b.nodes.push({ op_type: 'Gather', input: [s, idx], output: [g], name: `n${b.nodes.length}_Gather`, attribute: [attr.i('axis', 0)] });
  if (opset < 13) b.nodes.push({ op_type: 'Unsqueeze', input: [g], output: [u], name: `n${b.nodes.length}_Unsqueeze`, attribute: [attr.ints('axes', [0])] });
  else b.nodes.push({ op_type: 'Unsqueeze', input: [g, b.ints('axes', [0])], output: [u], name: `n${b.nodes.length}_Unsqueeze`, attribute: [] });
  b.nodes.push({ op_type: 'Concat', input: [u, minus1], output: [cc], name: `n${b.nodes.length}_Concat`, attribute: [attr.i('axis', 0)] });
  return b.node('Reshape', [x, cc], [], [n, f]);
}

// ---- 2-D ops ---------------------------------------------------------------------------

function denseOp(b, x) {
  const { rng } = b;
  const [n, f] = b.shapes.get(x);
  const m = rng.int(1, 12);
  const scale = 1.7 / Math.sqrt(f);
  const kind = rng.weighted([['gemm', 4], ['matmul', 2], ['gram', 1]]);
  if (kind === 'matmul') return b.node('MatMul', [x, b.weight('B', [f, m], rng.floats(f * m, -scale, scale))], [], [n, m]);
  if (kind === 'gram') return b.node('Gemm', [x, x], [attr.i('transB', 1), attr.f('alpha', 1 / f)], [n, n]);
  const transB = rng.bool(0.6);
  const inputs = [x, b.weight('B', transB ? [m, f] : [f, m], rng.floats(f * m, -scale, scale))];
  if (rng.bool(0.7)) {
    const dims = rng.pick([[m], [m], [1, m], [1], [n, m]]);
    inputs.push(b.weight('C', dims, rng.floats(sizeOf(dims), -0.5, 0.5)));
  }
  const attrs = [];
  if (transB) attrs.push(attr.i('transB', 1));
  else if (rng.bool(0.2)) attrs.push(attr.i('transB', 0));
  if (rng.bool(0.25)) attrs.push(attr.f('alpha', rng.pick([0.5, 2, rng.range(-1, 1)])));
  if (rng.bool(0.25)) attrs.push(attr.f('beta', rng.pick([0, 0.5, 2])));
  return b.node('Gemm', inputs, attrs, [n, m]);
}

function op2d(b, x) {
  const kind = b.rng.weighted([['dense', 4], ['unary', 3], ['softmax', 1], ['bcast', 1], ['branch', 1]]);
  if (kind === 'dense') return denseOp(b, x);
  if (kind === 'softmax') return softmaxOp(b, x);
  if (kind === 'bcast') return broadcastOp(b, x);
  if (kind === 'branch') {
    const a = unaryOp(b, x);
    const c = b.rng.bool(0.5) ? x : broadcastOp(b, x);
    if (b.rng.bool(0.5)) return b.node('Add', [a, c], [], b.shapes.get(x));
    const [n, f] = b.shapes.get(x);
    return b.node('Concat', [a, c], [attr.i('axis', b.rng.pick([1, -1]))], [n, 2 * f]);
  }
  return unaryOp(b, x);
}

/** Sequences the graph passes look for: BN folding, activation fusion, residual and inception blocks. */
function patternOp(b, x) {
  const { rng } = b;
  const c = b.shapes.get(x)[1];
  const kind = rng.pick(['conv-bn-bn', 'conv-bn-relu', 'bn-bn', 'residual', 'conv-relu-pool', 'inception', 'conv-bn-add', 'conv-clip']);
  const seq = (t, ...fns) => fns.reduce((cur, fn) => (cur === undefined ? undefined : fn(cur) ?? cur), t);
  const relu = (t) => b.node('Relu', [t], [], b.shapes.get(t));
  const bn = (t) => batchNormOp(b, t);
  const conv = (t, o) => convOp(b, t, o);
  switch (kind) {
    case 'conv-bn-bn': return seq(x, (t) => conv(t), bn, bn);
    case 'conv-bn-relu': return seq(x, (t) => conv(t), bn, relu);
    case 'bn-bn': return seq(x, bn, bn);
    case 'conv-relu-pool': return seq(x, (t) => conv(t), relu, (t) => poolOp(b, t));
    case 'conv-clip': {
      const y = conv(x);
      if (!y) return undefined;
      const inputs = b.opset < 11 ? [y] : [y, b.scalar('zero', 0), b.scalar('six', 6)];
      return b.node('Clip', inputs, b.opset < 11 ? [attr.f('min', 0), attr.f('max', 6)] : [], b.shapes.get(y));
    }
    case 'conv-bn-add': {
      const y = seq(x, (t) => conv(t, { same: true, cout: c }), bn);
      return b.node('Add', rng.bool(0.5) ? [y, x] : [x, y], [], b.shapes.get(x));
    }
    case 'residual': {
      const y = seq(x, (t) => conv(t, { same: true, cout: c }), bn, relu, (t) => conv(t, { same: true, cout: c }), bn);
      return relu(b.node('Add', [y, x], [], b.shapes.get(x)));
    }
    default: {
      // inception: parallel 1x1, 3x3 (same) and pooled branches joined on channels
      const [n, , h, w] = b.shapes.get(x);
      const arms = [];
      for (let k = rng.int(2, 4); k > 0; k--) {
        const which = rng.pick(['1x1', '3x3', 'pool']);
        if (which === 'pool') arms.push(b.node('MaxPool', [x], [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [1, 1]), attr.ints('pads', [1, 1, 1, 1])], [n, c, h, w]));
        else arms.push(relu(conv(x, { same: true, cout: rng.int(1, 4) })));
        if (which === '3x3' && rng.bool(0.5)) arms[arms.length - 1] = relu(conv(arms[arms.length - 1], { same: true, cout: rng.int(1, 4) }));
      }
      const cs = arms.reduce((a, t) => a + b.shapes.get(t)[1], 0);
      return b.node('Concat', arms, [attr.i('axis', 1)], [n, cs, h, w]);
    }
  }
}

function op4d(b, x) {
  const kind = b.rng.weighted([['conv', 5], ['pool', 2], ['unary', 3], ['bn', 2], ['lrn', 1], ['pad', 1], ['branch', 2], ['bcast', 1], ['softmax', 0.5], ['pattern', 3]]);
  switch (kind) {
    case 'pattern': return patternOp(b, x);
    case 'conv': return convOp(b, x);
    case 'pool': return poolOp(b, x);
    case 'bn': return batchNormOp(b, x);
    case 'lrn': return lrnOp(b, x);
    case 'pad': return padOp(b, x);
    case 'branch': return branchOp(b, x);
    case 'bcast': return broadcastOp(b, x);
    case 'softmax': return b.opset >= 13 || b.rng.bool(0.3) ? softmaxOp(b, x) : unaryOp(b, x);
    default: return unaryOp(b, x);
  }
}

// ---- the generator ----------------------------------------------------------------------

/** A small valid model: a spec (plain object) that {@link encodeSpec} turns into bytes. */
export function generateSpec(rng) {
  const opset = rng.weighted([[13, 6], [11, 2], [12, 1], [9, 1], [15, 1], [17, 1], [18, 1], [7, 0.5]]);
  const b = new ModelBuilder(rng, opset);
  const batch = rng.weighted([[1, 4], [2, 1]]);
  const symbolic = rng.bool(0.2);
  const image = rng.bool(0.85);
  const xShape = image ? [batch, rng.int(1, 4), rng.int(1, 12), rng.int(1, 12)] : [batch, rng.int(1, 16)];
  const effective = symbolic ? [1, ...xShape.slice(1)] : xShape;
  b.inputs.push({ name: 'x', elem_type: DataType.FLOAT, dims: symbolic ? ['N', ...xShape.slice(1)] : xShape });
  b.shapes.set('x', effective);
  let t = 'x';
  // a second input joined somewhere along the chain
  let second;
  if (rng.bool(0.1)) {
    second = 'y';
    b.inputs.push({ name: 'y', elem_type: DataType.FLOAT, dims: effective });
    b.shapes.set('y', effective);
  }
  // now and then a deep chain of cheap ops (compile time must stay linear in the node count)
  const deep = rng.bool(0.02);
  const steps = deep ? rng.pick([60, 200, 600]) : rng.weighted([[1, 1], [2, 2], [3, 3], [4, 3], [6, 2], [9, 1]]);
  const extraOutputs = [];
  for (let i = 0; i < steps; i++) {
    if (deep) {
      const k = rng.weighted([['unary', 4], ['bn', 1], ['bcast', 1], ['add', 1]]);
      t = k === 'bn' && b.shapes.get(t).length === 4 ? batchNormOp(b, t) : k === 'bcast' ? broadcastOp(b, t) : k === 'add' ? b.node('Add', [t, t], [], b.shapes.get(t)) : unaryOp(b, t);
      continue;
    }
    const shape = b.shapes.get(t);
    let next;
    if (second && b.shapes.get(second).join() === shape.join() && rng.bool(0.4)) {
      next = b.node(rng.pick(['Add', 'Mul']), rng.bool(0.5) ? [t, second] : [second, t], [], shape);
      second = undefined;
    } else if (shape.length === 4) {
      next = rng.bool(i === steps - 1 ? 0.3 : 0.1) ? to2d(b, t) : op4d(b, t);
    } else {
      next = op2d(b, t);
    }
    if (next === undefined) continue; // the drawn attributes did not fit the shape
    if (rng.bool(0.08)) extraOutputs.push(t);
    t = next;
    if (sizeOf(b.shapes.get(t)) > 4096) break;
  }
  if (b.nodes.length === 0) t = unaryOp(b, t);
  // a second input never joined: add it at the end (shapes equal by construction only while 4-D)
  if (second && b.shapes.get(second).join() === b.shapes.get(t).join()) t = b.node('Add', [t, second], [], b.shapes.get(t));
  const outType = () => (rng.bool(0.8) ? { elem_type: DataType.FLOAT } : {});
  const outputs = [{ name: t, ...outType(), dims: rng.bool(0.5) ? b.shapes.get(t) : undefined }];
  for (const e of extraOutputs) if (e !== 'x' && e !== 'y' && e !== t && !outputs.some((o) => o.name === e)) outputs.push({ name: e, ...outType() });
  return {
    ir_version: rng.weighted([[8, 4], [7, 1], [4, 1], [3, 0.5]]),
    opset,
    graphName: 'fuzz',
    inputs: b.inputs,
    outputs,
    initializers: b.initializers,
    nodes: b.nodes,
    // old exporters list the initializers among the graph inputs too
    initializersAsInputs: rng.bool(0.1),
  };
}

/** Removes node k (for the reducer): its consumers read its first input instead. */
export function dropNode(spec, k) {
  const node = spec.nodes[k];
  if (!node) return false;
  const from = node.output[0];
  const to = node.input.find((t) => t) ?? '';
  spec.nodes.splice(k, 1);
  for (const n of spec.nodes) n.input = n.input.map((t) => (t === from ? to : t));
  for (const o of spec.outputs) if (o.name === from) o.name = to;
  spec.outputs = spec.outputs.filter((o, i) => spec.outputs.findIndex((p) => p.name === o.name) === i);
  // unused initializers go too (the smaller the reproducer the better)
  const used = new Set([...spec.nodes.flatMap((n) => n.input), ...spec.outputs.map((o) => o.name)]);
  spec.initializers = spec.initializers.filter((t) => used.has(t.name));
  return true;
}

/**
 * The values each graph output that is (only) a float initializer must have: an oracle
 * independent of every backend. Undefined when there is none.
 */
export function constantOutputs(spec) {
  const produced = new Set([...spec.nodes.flatMap((n) => n.output), ...spec.inputs.map((i) => i.name)]);
  const out = {};
  for (const o of spec.outputs) {
    const inits = spec.initializers.filter((t) => t.name === o.name);
    if (inits.length !== 1 || produced.has(o.name)) continue;
    const t = inits[0];
    if (t.data_type !== DataType.FLOAT || t.external_data || t.data_location) continue;
    let values;
    if (t.raw_data && !t.float_data) {
      if (t.raw_data.length % 4) continue;
      values = new Float32Array(t.raw_data.slice().buffer);
    } else if (t.float_data && !t.raw_data) values = Float32Array.from(t.float_data);
    else continue;
    out[o.name] = values;
  }
  return Object.keys(out).length ? { constOutputs: out } : undefined;
}

const valueInfo = (v) => {
  const tt = {};
  if (v.elem_type !== undefined) tt.elem_type = v.elem_type;
  if (v.dims) tt.shape = { dim: v.dims.map((d) => (typeof d === 'string' ? { dim_param: d } : d === null ? {} : { dim_value: d })) };
  return { name: v.name, type: v.noType ? undefined : { tensor_type: tt } };
};

/** The spec as the bytes of an .onnx file. */
export function encodeSpec(spec, ModelProto) {
  const inputs = spec.inputs.map(valueInfo);
  if (spec.initializersAsInputs) {
    for (const t of spec.initializers) inputs.push(valueInfo({ name: t.name, elem_type: t.data_type, dims: t.dims }));
  }
  const model = {
    ir_version: spec.ir_version,
    producer_name: 'webconv-fuzz',
    graph: {
      name: spec.graphName,
      node: spec.nodes,
      input: inputs,
      output: spec.outputs.map(valueInfo),
      initializer: spec.initializers,
    },
  };
  if (spec.opset !== null) model.opset_import = [{ domain: spec.opsetDomain ?? '', version: spec.opset }, ...(spec.extraOpsets ?? [])];
  const msg = ModelProto.fromObject(model);
  return ModelProto.encode(msg).finish();
}

// ---- structure-aware mutations -----------------------------------------------------------

const anyDim = (rng) =>
  rng.weighted([
    [0, 3], [-1, 2], [-7, 1], [2 ** 31 - 1, 1], [2 ** 32 - 1, 1], [2 ** 40, 1], [2 ** 53 - 1, 1], [4096, 1], [65536, 1], ['N', 1], ['', 1], [null, 1], [rng.int(1, 64), 2],
  ]);

function pickAttr(spec, rng, filter = () => true) {
  const withAttrs = spec.nodes.filter((n) => n.attribute.some(filter));
  if (!withAttrs.length) return undefined;
  const n = rng.pick(withAttrs);
  const a = rng.pick(n.attribute.filter(filter));
  return { n, a };
}

/** Strings of a model that name tensors: the candidates for renames and rewirings. */
const tensorNames = (spec) => [...new Set([...spec.inputs.map((i) => i.name), ...spec.initializers.map((t) => t.name), ...spec.nodes.flatMap((n) => n.output)])];

export const ONNX_MUTATORS = {
  inputDim(spec, rng) {
    if (!spec.inputs.length) return 'inputDim: no inputs';
    const v = rng.pick(spec.inputs);
    if (!v.dims) return 'inputDim: no dims';
    const axis = rng.int(0, v.dims.length - 1);
    const d = anyDim(rng);
    v.dims[axis] = d;
    return `input '${v.name}' dim ${axis} = ${JSON.stringify(d)}`;
  },
  /** an input so large that the activations need gigabytes (but each tensor stays legal) */
  bigInput(spec, rng) {
    if (!spec.inputs.length) return 'bigInput: no inputs';
    const v = rng.pick(spec.inputs);
    if (!v.dims || !v.dims.length) return 'bigInput: no dims';
    const target = rng.pick([2 ** 22, 2 ** 24, 2 ** 26, 2 ** 27, 2 ** 28]);
    if (v.dims.length === 4) {
      const c = typeof v.dims[1] === 'number' && v.dims[1] > 0 ? v.dims[1] : 1;
      const side = Math.max(1, Math.floor(Math.sqrt(target / c)));
      v.dims[2] = side;
      v.dims[3] = side;
    } else if (rng.bool(0.5)) v.dims[v.dims.length - 1] = target;
    else v.dims[0] = Math.max(1, Math.floor(target / Math.max(1, Number(v.dims[1]) || 1)));
    return `input '${v.name}' dims [${v.dims}]`;
  },
  inputRank(spec, rng) {
    if (!spec.inputs.length) return 'inputRank: no inputs';
    const v = rng.pick(spec.inputs);
    const what = rng.pick(['drop', 'add', 'none', 'empty']);
    if (what === 'drop' && v.dims?.length) v.dims.pop();
    else if (what === 'add') v.dims = [...(v.dims ?? []), rng.pick([1, 2, 3])];
    else if (what === 'none') v.dims = undefined;
    else v.dims = [];
    return `input '${v.name}' rank: ${what}`;
  },
  inputType(spec, rng) {
    if (!spec.inputs.length) return 'inputType: no inputs';
    const v = rng.pick(spec.inputs);
    const t = rng.pick([0, 2, 6, 7, 10, 11, 16, 17, 99]);
    if (rng.bool(0.2)) {
      v.noType = true;
      return `input '${v.name}' without a type`;
    }
    v.elem_type = t;
    return `input '${v.name}' elem_type = ${t}`;
  },
  outputMeta(spec, rng) {
    if (!spec.outputs.length) return 'outputMeta: no outputs';
    const o = rng.pick(spec.outputs);
    const what = rng.pick(['type', 'dims', 'noType']);
    if (what === 'type') o.elem_type = rng.pick([0, 7, 10, 11, 99]);
    else if (what === 'dims') o.dims = [anyDim(rng), rng.int(0, 5)];
    else o.noType = true;
    return `output '${o.name}' ${what}: ${JSON.stringify(o.elem_type ?? o.dims ?? null)}`;
  },
  initDims(spec, rng) {
    if (!spec.initializers.length) return 'initDims: no initializers';
    const t = rng.pick(spec.initializers);
    const what = rng.pick(['dim', 'drop', 'add', 'swap']);
    if (what === 'dim' && t.dims.length) t.dims[rng.int(0, t.dims.length - 1)] = rng.pick([0, -1, 2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1, 3, 1e9]);
    else if (what === 'drop') t.dims.pop();
    else if (what === 'add') t.dims.push(rng.pick([1, 1, 2]));
    else t.dims.reverse();
    return `initializer '${t.name}' dims ${what} -> [${t.dims}]`;
  },
  initType(spec, rng) {
    if (!spec.initializers.length) return 'initType: no initializers';
    const t = rng.pick(spec.initializers);
    const ty = rng.pick([0, 2, 3, 5, 6, 7, 8, 9, 10, 11, 13, 14, 16, 17, 1000]);
    t.data_type = ty;
    return `initializer '${t.name}' data_type = ${ty}`;
  },
  /** rewrites an initializer's values as raw_data, then makes its length wrong */
  rawLength(spec, rng) {
    const floats = spec.initializers.filter((t) => t.float_data || t.raw_data);
    if (!floats.length) return 'rawLength: no float initializers';
    const t = rng.pick(floats);
    const raw = t.raw_data ?? f32raw(t.float_data);
    delete t.float_data;
    const delta = rng.pick([-4, -1, 1, 3, 4, 64, -raw.length]);
    const n = Math.max(0, raw.length + delta);
    const out = new Uint8Array(n);
    out.set(raw.subarray(0, Math.min(n, raw.length)));
    t.raw_data = out;
    return `initializer '${t.name}' raw_data ${raw.length} -> ${n} bytes`;
  },
  /** values in two fields at once, or in the wrong field for the type */
  dataFields(spec, rng) {
    if (!spec.initializers.length) return 'dataFields: no initializers';
    const t = rng.pick(spec.initializers);
    const what = rng.pick(['both', 'int32', 'double', 'none', 'external']);
    const n = Math.max(1, t.dims.reduce((a, d) => a * Math.max(0, Math.min(d, 64)), 1));
    if (what === 'both') {
      t.raw_data = f32raw(new Array(n).fill(1));
      t.float_data = new Array(n).fill(2);
    } else if (what === 'int32') {
      delete t.float_data;
      delete t.raw_data;
      delete t.int64_data;
      t.int32_data = new Array(n).fill(3);
    } else if (what === 'double') {
      delete t.float_data;
      delete t.raw_data;
      t.double_data = new Array(n).fill(0.5);
    } else if (what === 'none') {
      delete t.float_data;
      delete t.raw_data;
      delete t.int64_data;
    } else {
      t.data_location = 1;
      t.external_data = [{ key: 'location', value: 'weights.bin' }];
    }
    return `initializer '${t.name}' data fields: ${what}`;
  },
  specialValues(spec, rng) {
    const floats = spec.initializers.filter((t) => t.float_data && t.float_data.length);
    if (!floats.length) return 'specialValues: no float_data initializers';
    const t = rng.pick(floats);
    const v = rng.pick([NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, 0, -0]);
    const i = rng.int(0, t.float_data.length - 1);
    t.float_data[i] = v;
    return `initializer '${t.name}'[${i}] = ${v}`;
  },
  missingInit(spec, rng) {
    if (!spec.initializers.length) return 'missingInit: no initializers';
    const k = rng.int(0, spec.initializers.length - 1);
    const [t] = spec.initializers.splice(k, 1);
    return `initializer '${t.name}' removed`;
  },
  duplicateInit(spec, rng) {
    if (!spec.initializers.length) return 'duplicateInit: no initializers';
    const t = rng.pick(spec.initializers);
    const copy = structuredClone(t);
    if (rng.bool(0.5)) copy.dims = [...copy.dims, 1];
    spec.initializers.push(copy);
    return `initializer '${t.name}' defined twice`;
  },
  /** an initializer with the name of a graph input or a node output */
  shadowingInit(spec, rng) {
    const names = [...spec.inputs.map((i) => i.name), ...spec.nodes.map((n) => n.output[0])];
    const name = rng.pick(names);
    spec.initializers.push({ name, dims: [1], data_type: DataType.FLOAT, float_data: [1] });
    return `initializer named '${name}' (an input or node output)`;
  },
  /** an initializer, a graph input or an intermediate tensor also listed as a graph output */
  extraOutput(spec, rng) {
    const kind = rng.pick(['initializer', 'input', 'intermediate', 'duplicate', 'undefined']);
    let name;
    if (kind === 'initializer' && spec.initializers.length) name = rng.pick(spec.initializers).name;
    else if (kind === 'input' || kind === 'intermediate' || kind === 'duplicate') {
      const list = kind === 'input' ? spec.inputs : kind === 'intermediate' ? spec.nodes.map((n) => ({ name: n.output[0] })) : spec.outputs;
      name = list.length ? rng.pick(list).name : undefined;
    }
    else name = 'nowhere';
    if (!name) return `extraOutput ${kind}: none`;
    spec.outputs.push({ name, elem_type: DataType.FLOAT });
    if (rng.bool(0.3)) spec.outputs.reverse();
    return `graph output '${name}' (${kind})`;
  },
  noOutputs(spec) {
    spec.outputs = [];
    return 'no graph outputs';
  },
  cycle(spec, rng) {
    if (spec.nodes.length < 1) return 'cycle: no nodes';
    const i = rng.int(0, spec.nodes.length - 1);
    const j = rng.int(i, spec.nodes.length - 1);
    const n = spec.nodes[i];
    const k = rng.int(0, Math.max(0, n.input.length - 1));
    n.input[k] = spec.nodes[j].output[0];
    return `node ${i} input ${k} = output of node ${j}${i === j ? ' (itself)' : ''}`;
  },
  shuffleNodes(spec, rng) {
    for (let i = spec.nodes.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [spec.nodes[i], spec.nodes[j]] = [spec.nodes[j], spec.nodes[i]];
    }
    return 'nodes shuffled (still a DAG)';
  },
  duplicateOutputName(spec, rng) {
    if (spec.nodes.length < 2) return 'duplicateOutputName: one node';
    const a = rng.pick(spec.nodes);
    const b = rng.pick(spec.nodes);
    b.output[0] = a.output[0];
    return `nodes '${a.name}' and '${b.name}' write the same tensor`;
  },
  duplicateNode(spec, rng) {
    if (!spec.nodes.length) return 'duplicateNode: no nodes';
    const k = rng.int(0, spec.nodes.length - 1);
    const copy = structuredClone(spec.nodes[k]);
    if (rng.bool(0.5)) copy.output = [copy.output[0] + '_dup'];
    spec.nodes.splice(rng.int(0, spec.nodes.length), 0, copy);
    return `node ${k} duplicated${copy.output[0].endsWith('_dup') ? ' (new output)' : ''}`;
  },
  emptyName(spec, rng) {
    if (!spec.nodes.length) return 'emptyName: no nodes';
    const n = rng.pick(spec.nodes);
    const what = rng.pick(['input', 'output', 'name', 'inputs', 'outputs']);
    if (what === 'input') n.input[rng.int(0, n.input.length - 1)] = '';
    else if (what === 'output') n.output[0] = '';
    else if (what === 'name') n.name = '';
    else if (what === 'inputs') n.input = [];
    else n.output = [];
    return `node '${n.name}' (${n.op_type}) empty ${what}`;
  },
  arity(spec, rng) {
    if (!spec.nodes.length) return 'arity: no nodes';
    const n = rng.pick(spec.nodes);
    const names = tensorNames(spec);
    const what = rng.pick(['add', 'drop', 'outputs']);
    if (what === 'add') n.input.push(rng.bool(0.5) ? rng.pick(names) : '');
    else if (what === 'drop') n.input.pop();
    else n.output.push(rng.bool(0.5) ? `${n.output[0]}_extra` : '');
    return `node '${n.name}' (${n.op_type}) arity: ${what}`;
  },
  rewire(spec, rng) {
    if (!spec.nodes.length) return 'rewire: no nodes';
    const n = rng.pick(spec.nodes);
    const k = rng.int(0, Math.max(0, n.input.length - 1));
    const name = rng.pick(tensorNames(spec));
    n.input[k] = name;
    return `node '${n.name}' (${n.op_type}) input ${k} = '${name}'`;
  },
  unknownOp(spec, rng) {
    if (!spec.nodes.length) return 'unknownOp: no nodes';
    const n = rng.pick(spec.nodes);
    const what = rng.pick(['op', 'domain', 'case', 'empty']);
    if (what === 'op') n.op_type = rng.pick(['Foo', 'Conv3d', 'Resize', 'Transpose', 'Loop', 'NonMaxSuppression']);
    else if (what === 'domain') n.domain = rng.pick(['com.microsoft', 'ai.onnx.ml', 'custom']);
    else if (what === 'case') n.op_type = n.op_type.toLowerCase();
    else n.op_type = '';
    return `node '${n.name}' ${what} -> ${n.domain ?? ''}.${n.op_type}`;
  },
  /** swaps an op for another with the same arity: the attributes no longer fit */
  swapOp(spec, rng) {
    if (!spec.nodes.length) return 'swapOp: no nodes';
    const n = rng.pick(spec.nodes);
    const to = rng.pick(['Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Gemm', 'MatMul', 'Relu', 'BatchNormalization', 'Flatten', 'Reshape', 'Softmax', 'LRN', 'Concat', 'Pad', 'Add', 'Squeeze', 'Unsqueeze', 'Slice', 'Gather', 'Cast', 'ConstantOfShape', 'Constant', 'Shape']);
    const from = n.op_type;
    n.op_type = to;
    return `node '${n.name}' ${from} -> ${to}`;
  },
  attrType(spec, rng) {
    const p = pickAttr(spec, rng);
    if (!p) return 'attrType: no attributes';
    const from = p.a.type;
    p.a.type = rng.pick([AT.UNDEFINED, AT.FLOAT, AT.INT, AT.STRING, AT.TENSOR, AT.GRAPH, AT.FLOATS, AT.INTS, AT.STRINGS, 99]);
    return `node '${p.n.name}' attribute '${p.a.name}' type ${from} -> ${p.a.type}`;
  },
  /** the value in another field than the declared type says */
  attrValueField(spec, rng) {
    const p = pickAttr(spec, rng);
    if (!p) return 'attrValueField: no attributes';
    const { a } = p;
    const what = rng.pick(['ints->i', 'i->ints', 'f->i', 'i->f', 'clear', 'string']);
    if (what === 'ints->i') { a.i = a.ints?.[0] ?? 1; a.type = AT.INT; delete a.ints; }
    else if (what === 'i->ints') { a.ints = [a.i ?? 1]; a.type = AT.INTS; delete a.i; }
    else if (what === 'f->i') { a.i = Math.round(a.f ?? 1); a.type = AT.INT; delete a.f; }
    else if (what === 'i->f') { a.f = a.i ?? 1; a.type = AT.FLOAT; delete a.i; }
    else if (what === 'clear') { delete a.i; delete a.f; delete a.ints; delete a.floats; delete a.s; }
    else { a.s = new TextEncoder().encode(rng.pick(['', 'SAME', '\u0000', 'x'.repeat(300)])); a.type = AT.STRING; }
    return `node '${p.n.name}' attribute '${a.name}' ${what}`;
  },
  attrRange(spec, rng) {
    const p = pickAttr(spec, rng, (a) => a.type === AT.INT || a.type === AT.INTS || a.type === AT.FLOAT);
    if (!p) return 'attrRange: no numeric attributes';
    const { a } = p;
    const bad = () => rng.pick([0, -1, -2, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, -(2 ** 53 - 1), 1e6, 1000]);
    if (a.type === AT.INT) a.i = bad();
    else if (a.type === AT.FLOAT) a.f = rng.pick([NaN, Infinity, -Infinity, -1, 0, 1e30, -1e-30, 3.4e38]);
    else {
      const what = rng.pick(['value', 'short', 'long', 'empty']);
      if (what === 'value' && a.ints.length) a.ints[rng.int(0, a.ints.length - 1)] = bad();
      else if (what === 'short') a.ints = a.ints.slice(0, Math.max(0, a.ints.length - 1));
      else if (what === 'long') a.ints = [...a.ints, ...a.ints, 1];
      else a.ints = [];
    }
    return `node '${p.n.name}' attribute '${a.name}' = ${JSON.stringify(a.i ?? a.f ?? a.ints)}`;
  },
  attrAddRemove(spec, rng) {
    if (!spec.nodes.length) return 'attrAddRemove: no nodes';
    const n = rng.pick(spec.nodes);
    const what = rng.pick(['remove', 'duplicate', 'add']);
    if (what === 'remove' && n.attribute.length) n.attribute.splice(rng.int(0, n.attribute.length - 1), 1);
    else if (what === 'duplicate' && n.attribute.length) {
      const a = structuredClone(rng.pick(n.attribute));
      if (a.type === AT.INT) a.i = (a.i ?? 0) + 1;
      n.attribute.push(a);
    } else {
      const add = rng.pick([
        attr.i('group', rng.pick([0, 2, 3, 7])),
        attr.ints('kernel_shape', rng.pick([[3, 3], [0, 1], [100, 100], [2]])),
        attr.s('auto_pad', rng.pick(['SAME_UPPER', 'VALID', 'BOGUS', 'same_upper'])),
        attr.i('ceil_mode', rng.pick([1, 2, -1])),
        attr.i('storage_order', 1),
        attr.i('training_mode', 1),
        attr.i('axis', rng.pick([-5, 4, 7, 0])),
        attr.i('allowzero', 1),
        attr.s('mode', rng.pick(['reflect', 'edge', 'wrap'])),
        attr.ints('dilations', [0, 1]),
        { name: 'value', type: AT.TENSOR, t: { dims: [2], data_type: DataType.FLOAT, float_data: [1, 2] } },
        { name: rng.pick(['alpha', 'size']), type: AT.INT, i: 3, ref_attr_name: 'outer' },
      ]);
      n.attribute.push(add);
    }
    return `node '${n.name}' (${n.op_type}) attribute ${what}`;
  },
  opset(spec, rng) {
    const what = rng.pick(['version', 'none', 'domain', 'duplicate', 'ir']);
    if (what === 'version') spec.opset = rng.pick([0, -1, 1, 5, 6, 10, 14, 18, 19, 25, 2 ** 40]);
    else if (what === 'none') spec.opset = null;
    else if (what === 'domain') spec.opsetDomain = rng.pick(['ai.onnx', 'com.microsoft', 'ai.onnx.ml']);
    else if (what === 'duplicate') spec.extraOpsets = [{ domain: '', version: rng.pick([1, 9, 20]) }];
    else spec.ir_version = rng.pick([0, 1, 2, 3, 11, -1, 2 ** 40]);
    return `opset/ir ${what}: opset ${spec.opset}, ir ${spec.ir_version}`;
  },
  removeInput(spec, rng) {
    if (!spec.inputs.length) return 'removeInput: no inputs';
    const k = rng.int(0, spec.inputs.length - 1);
    const [v] = spec.inputs.splice(k, 1);
    return `graph input '${v.name}' removed`;
  },
  duplicateInput(spec, rng) {
    if (!spec.inputs.length) return 'duplicateInput: no inputs';
    const v = rng.pick(spec.inputs);
    spec.inputs.push(structuredClone(v));
    return `graph input '${v.name}' listed twice`;
  },
  /** a Constant node (tensor, scalar or list attribute) feeding an existing input */
  constantNode(spec, rng) {
    if (!spec.nodes.length) return 'constantNode: no nodes';
    const n = rng.pick(spec.nodes);
    const out = `const_${rng.int(0, 1e6)}`;
    const value = rng.pick([
      attr.t('value', { dims: rng.pick([[1], [], [2, 2], [0]]), data_type: rng.pick([DataType.FLOAT, DataType.INT64, DataType.DOUBLE]), float_data: [1, 2, 3, 4].slice(0, rng.int(0, 4)), int64_data: [1, 2, 3, 4].slice(0, rng.int(0, 4)) }),
      attr.f('value_float', rng.range(-2, 2)),
      attr.floats('value_floats', [1, 2]),
      attr.i('value_int', rng.pick([0, -1, 3])),
      attr.ints('value_ints', rng.pick([[1, -1], [0], [2, 2, 2, 2]])),
      attr.s('value_string', 'x'),
    ]);
    spec.nodes.unshift({ op_type: 'Constant', input: [], output: [out], name: `c_${out}`, attribute: [value] });
    const k = rng.int(0, Math.max(0, n.input.length - 1));
    n.input[k] = out;
    return `Constant(${value.name}) into node '${n.name}' (${n.op_type}) input ${k}`;
  },
  /** folded shape plumbing: ConstantOfShape / Slice / Gather / Squeeze with odd constants */
  plumbing(spec, rng) {
    if (!spec.nodes.length) return 'plumbing: no nodes';
    const n = rng.pick(spec.nodes);
    const k = rng.int(0, Math.max(0, n.input.length - 1));
    const c = `plumb_${rng.int(0, 1e6)}`;
    const out = `${c}_out`;
    const ints = (name, v) => ({ name, dims: [v.length], data_type: DataType.INT64, int64_data: v });
    const big = () => rng.pick([2 ** 31, 2 ** 53 - 1, 1e9, 65536, 4096]);
    const kind = rng.pick(['ConstantOfShape', 'Slice', 'Gather', 'Squeeze', 'Cast', 'Shape']);
    if (kind === 'ConstantOfShape') {
      spec.initializers.push(ints(c, rng.pick([[2, 3], [big()], [big(), big()], [-1], [0], []])));
      spec.nodes.unshift({ op_type: kind, input: [c], output: [out], name: out, attribute: rng.bool(0.5) ? [attr.t('value', { dims: [1], data_type: DataType.FLOAT, float_data: [rng.pick([0, 1, NaN])] })] : [] });
    } else if (kind === 'Slice') {
      spec.initializers.push(ints(c, [1, 2, 3, 4, 5, 6]));
      spec.initializers.push(ints(`${c}_s`, [rng.pick([0, -1, -(2 ** 53 - 1), 2])]));
      spec.initializers.push(ints(`${c}_e`, [rng.pick([2 ** 53 - 1, -1, 0, 100, -100])]));
      const inputs = [c, `${c}_s`, `${c}_e`];
      if (rng.bool(0.5)) {
        spec.initializers.push(ints(`${c}_a`, [rng.pick([0, -1, 1, 5])]));
        spec.initializers.push(ints(`${c}_t`, [rng.pick([1, -1, 2, 0, -(2 ** 31), 2 ** 31])]));
        inputs.push(`${c}_a`, `${c}_t`);
      }
      spec.nodes.unshift({ op_type: kind, input: inputs, output: [out], name: out, attribute: [] });
    } else if (kind === 'Gather') {
      spec.initializers.push(ints(c, [2, 3, 4]));
      spec.initializers.push({ name: `${c}_i`, dims: rng.pick([[], [1], [2]]), data_type: DataType.INT64, int64_data: rng.pick([[0], [5], [-4], [1, 2], [2 ** 40]]) });
      spec.nodes.unshift({ op_type: kind, input: [c, `${c}_i`], output: [out], name: out, attribute: rng.bool(0.3) ? [attr.i('axis', rng.pick([1, -2, 0]))] : [] });
    } else if (kind === 'Squeeze') {
      spec.initializers.push({ name: c, dims: rng.pick([[1, 3], [3, 1], [1], [2]]), data_type: DataType.FLOAT, float_data: [1, 2, 3].slice(0, 3) });
      spec.initializers.push(ints(`${c}_a`, rng.pick([[0], [1], [-1], [5], [0, 0]])));
      spec.nodes.unshift({ op_type: kind, input: [c, `${c}_a`], output: [out], name: out, attribute: [] });
    } else if (kind === 'Cast') {
      spec.initializers.push(ints(c, [1, -1, 2 ** 53 - 1]));
      spec.nodes.unshift({ op_type: kind, input: [c], output: [out], name: out, attribute: [attr.i('to', rng.pick([1, 6, 7, 10, 11, 9, 8, 0, 99]))] });
    } else {
      spec.nodes.unshift({ op_type: kind, input: [spec.inputs.length ? rng.pick(spec.inputs).name : 'x'], output: [out], name: out, attribute: rng.bool(0.5) ? [attr.i('start', rng.pick([-10, 1, 5])), attr.i('end', rng.pick([-1, 10, 0]))] : [] });
    }
    n.input[k] = out;
    return `${kind} plumbing into node '${n.name}' (${n.op_type}) input ${k}`;
  },
};

export const ONNX_MUTATOR_NAMES = Object.keys(ONNX_MUTATORS);
