// TensorFlow.js's wasm backend (XNNPACK) on the same network: webconv's optimised graph
// (batch norm folded, activations fused) translated op by op into tfjs ops, NHWC, with the
// same weights. Runs webconv's zoo graphs; refuses ops it has no translation for.
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-wasm';
import { optimizeGraph } from '../../dist/plan/passes.js';

export const name = 'tfjs-wasm';
let ready;

async function init(threads) {
  if (!ready) {
    setThreadsCount(threads);
    ready = tf.setBackend('wasm').then(() => tf.ready());
  }
  await ready;
}

const nhwcFilter = (w, [m, cg, kh, kw]) => tf.transpose(tf.tensor4d(w, [m, cg, kh, kw]), [2, 3, 1, 0]); // -> [kh, kw, cg, m]
const act = (a) => (!a ? 'linear' : a.op === 'relu' ? 'relu' : a.op === 'clip' && a.min === 0 && a.max === 6 ? 'relu6' : a.op === 'leakyrelu' ? 'leakyrelu' : null);

function translate(graph) {
  const consts = new Map();
  const c = (name, f) => consts.get(name) ?? consts.set(name, f()).get(name);
  const steps = [];
  const nhwcFlattened = new Map();
  for (const node of graph.nodes) {
    const a = node.attrs;
    const [x, w, b, r] = node.inputs;
    const y = node.outputs[0];
    const shape = (t) => graph.shape(t);
    switch (node.op) {
      case 'conv2d': {
        const ws = shape(w);
        const [, C] = shape(x);
        const activation = act(a.activation);
        if (activation === null) throw new Error(`tfjs: activation ${JSON.stringify(a.activation)}`);
        const pad = [[0, 0], [a.pads[0], a.pads[2]], [a.pads[1], a.pads[3]], [0, 0]];
        const bias = b ? c(b, () => tf.tensor1d(graph.weight(b))) : undefined;
        if (a.groups === C && a.groups > 1) {
          const filter = c(w, () => tf.reshape(tf.transpose(tf.tensor4d(graph.weight(w), ws), [2, 3, 0, 1]), [ws[2], ws[3], C, ws[0] / C]));
          steps.push((v) => {
            let out = tf.fused.depthwiseConv2d({ x: v[x], filter, strides: a.stride, pad, dilations: a.dilation, bias, activation: r ? 'linear' : activation, leakyreluAlpha: a.activation?.alpha });
            if (r) out = applyAct(tf.add(out, v[r]), activation, a.activation);
            v[y] = out;
          });
        } else if (a.groups === 1) {
          const filter = c(w, () => nhwcFilter(graph.weight(w), ws));
          steps.push((v) => {
            let out = tf.fused.conv2d({ x: v[x], filter, strides: a.stride, pad, dilations: a.dilation, bias, activation: r ? 'linear' : activation, leakyreluAlpha: a.activation?.alpha });
            if (r) out = applyAct(tf.add(out, v[r]), activation, a.activation);
            v[y] = out;
          });
        } else throw new Error(`tfjs: grouped conv (${a.groups} groups)`);
        break;
      }
      case 'maxpool':
      case 'avgpool': {
        const [t, l, bo, ri] = a.pads;
        if (a.ceilMode || (a.op === 'avgpool' && (t || l || bo || ri))) throw new Error(`tfjs: ${node.op} with ceil mode or padding`);
        const fn = node.op === 'maxpool' ? tf.maxPool : tf.avgPool;
        steps.push((v) => {
          const input = t || l || bo || ri ? tf.pad(v[x], [[0, 0], [t, bo], [l, ri], [0, 0]], -Infinity) : v[x];
          v[y] = fn(input, a.kernel, a.stride, 'valid');
        });
        break;
      }
      case 'globalavgpool':
        steps.push((v) => (v[y] = tf.mean(v[x], [1, 2], true)));
        break;
      case 'flatten':
        // Flattened in NHWC order; the fc that reads it gets its weight columns permuted to
        // match (as model converters do), instead of transposing activations back.
        if (shape(x).length === 4) nhwcFlattened.set(y, shape(x));
        steps.push((v) => (v[y] = tf.reshape(v[x], [shape(y)[0], -1])));
        break;
      case 'fc': {
        const activation = act(a.activation);
        const nchw = nhwcFlattened.get(x);
        // Stored [K, M]: tfjs-backend-wasm 4.22's fused matMul adds a wrong bias term with
        // transposeB and K >= 100 (seen here), so the weights are transposed once instead.
        const weights = c(w, () => tf.transpose(tf.tensor2d(nchw ? permuteColumns(graph.weight(w), shape(w), nchw) : graph.weight(w), shape(w))));
        const bias = b ? c(b, () => tf.tensor1d(graph.weight(b))) : undefined;
        steps.push((v) => (v[y] = tf.fused.matMul({ a: v[x], b: weights, bias, activation })));
        break;
      }
      case 'lrn':
        steps.push((v) => (v[y] = tf.localResponseNormalization(v[x], (a.size - 1) / 2, a.bias, a.alpha / a.size, a.beta)));
        break;
      case 'concat':
        if (a.axis !== 1) throw new Error('tfjs: concat off the channel axis');
        steps.push((v) => (v[y] = tf.concat(node.inputs.map((t) => v[t]), 3)));
        break;
      case 'add':
        steps.push((v) => (v[y] = tf.add(v[x], v[node.inputs[1]])));
        break;
      case 'relu':
        steps.push((v) => (v[y] = tf.relu(v[x])));
        break;
      case 'clip':
        steps.push((v) => (v[y] = tf.clipByValue(v[x], a.min, a.max)));
        break;
      case 'tanh':
        steps.push((v) => (v[y] = tf.tanh(v[x])));
        break;
      case 'softmax':
        steps.push((v) => (v[y] = tf.softmax(v[x])));
        break;
      case 'dropout':
      case 'identity':
        steps.push((v) => (v[y] = v[x]));
        break;
      default:
        throw new Error(`tfjs: no translation for op '${node.op}'`);
    }
  }
  return { steps, consts };
}

/** Reorders fc weight columns from webconv's (c, h, w) flattening to NHWC's (h, w, c). */
function permuteColumns(w, [m, k], [, C, H, W]) {
  const out = new Float32Array(w.length);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let x = 0; x < W; x++) {
      out[r * k + (h * W + x) * C + c] = w[r * k + (c * H + h) * W + x];
    }
  }
  return out;
}

function applyAct(t, activation, spec) {
  if (activation === 'relu') return tf.relu(t);
  if (activation === 'relu6') return tf.clipByValue(t, 0, 6);
  if (activation === 'leakyrelu') return tf.leakyRelu(t, spec.alpha);
  return t;
}

export async function prepare(graph0, { threads = 1 } = {}) {
  await init(threads);
  const graph = optimizeGraph(graph0).graph;
  const { steps, consts } = translate(graph);
  const input = graph.inputs[0];
  const [n, ch, h, w] = input.shape;
  return {
    info: `@tensorflow/tfjs-backend-wasm ${tf.version_core} (XNNPACK), ${threads} thread(s)`,
    async run(x) {
      const y = tf.tidy(() => {
        const v = { [input.name]: tf.transpose(tf.tensor4d(x, [n, ch, h, w]), [0, 2, 3, 1]) };
        for (const s of steps) s(v);
        const out = v[graph.outputs[0]];
        return out.rank === 4 ? tf.transpose(out, [0, 3, 1, 2]) : out;
      });
      const data = await y.data();
      y.dispose();
      return data;
    },
    dispose: () => consts.forEach((t) => t.dispose()),
  };
}
