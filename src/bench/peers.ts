/**
 * Peers for side-by-side runs, on webconv's own graph and weights: onnxruntime-web (its
 * wasm backend) on the graph exported to ONNX, and TensorFlow.js's wasm backend (XNNPACK) on
 * the optimised graph translated op by op. Both packages are optional: imported only when
 * asked for, with a clear error when missing.
 */
import { OptionError } from '../graph/errors.js';
import type { Graph, Shape } from '../graph/graph.js';
import { exportOnnx } from '../onnx/export.js';
import { typed } from '../ops/attrs.js';
import type { FusedActivation } from '../ops/fused-activation.js';
import { getBackend } from '../backends/registry.js';
import { costTable } from '../cost/summary.js';
import { fuseInt8Convs } from '../plan/fuse-int8.js';
import { optimizeGraph } from '../plan/passes.js';
import { graphAsRun, type PeerRunner } from './harness.js';

async function load<T>(name: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ name)) as T;
  } catch {
    throw new OptionError(`--compare needs the npm package '${name}' (npm install ${name})`);
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the peers' own APIs, loaded at run time */
export const ortWeb: PeerRunner = {
  name: 'ort-web',
  async prepare(graph, { threads }) {
    const ort = await load<any>('onnxruntime-web');
    ort.env.wasm.numThreads = threads;
    ort.env.logLevel = 'error';
    const session = await ort.InferenceSession.create(exportOnnx(graph), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const input = graph.inputs[0];
    return {
      info: `onnxruntime-web ${ort.env.versions?.web ?? ''} (wasm), ${threads} thread(s)`,
      async run(x: Float32Array) {
        const out = await session.run({ [input.name]: new ort.Tensor('float32', x, [...input.shape]) });
        return out[graph.outputs[0]].data as Float32Array;
      },
      dispose: () => void session.release(),
    };
  },
};

/**
 * onnxruntime-web's WebGPU execution provider on a device of the caller's (webconv's own, so
 * both runtimes share one GPUDevice). Made for browsers: in Node it needs `navigator.gpu`,
 * `GPUDevice` and a GPUQueue.writeBuffer that takes SharedArrayBuffer views, which
 * bench/webgpu.bench.mjs installs from Dawn (the npm package `webgpu`) and explains.
 */
export function ortWebgpu(device: unknown): PeerRunner {
  return {
    name: 'ort-web-webgpu',
    async prepare(graph) {
      const ort = await load<any>('onnxruntime-web/webgpu');
      ort.env.logLevel = 'error';
      ort.env.wasm.numThreads = 1; // the work is on the GPU
      const session = await ort.InferenceSession.create(exportOnnx(graph), { executionProviders: [{ name: 'webgpu', device }], graphOptimizationLevel: 'all' });
      const input = graph.inputs[0];
      return {
        info: `onnxruntime-web ${ort.env.versions?.web ?? ''} (webgpu EP, the caller's GPUDevice)`,
        async run(x: Float32Array) {
          const out = await session.run({ [input.name]: new ort.Tensor('float32', x, [...input.shape]) });
          return out[graph.outputs[0]].data as Float32Array;
        },
        dispose: () => void session.release(),
      };
    },
  };
}

let tfReady: Promise<any> | undefined;

export const tfjsWasm: PeerRunner = {
  name: 'tfjs-wasm',
  async prepare(graph0, { threads }) {
    tfReady ??= (async () => {
      const tf = await load<any>('@tensorflow/tfjs-core');
      const wasm = await load<any>('@tensorflow/tfjs-backend-wasm');
      wasm.setThreadsCount(threads);
      await tf.setBackend('wasm');
      await tf.ready();
      return tf;
    })();
    const tf = await tfReady;
    const graph = optimizeGraph(graph0).graph;
    const { steps, consts } = translate(tf, graph);
    const input = graph.inputs[0];
    const [n, ch, h, w] = input.shape;
    return {
      info: `@tensorflow/tfjs-backend-wasm ${tf.version_core} (XNNPACK), ${threads} thread(s)`,
      async run(x: Float32Array) {
        const y = tf.tidy(() => {
          const v: Record<string, any> = { [input.name]: tf.transpose(tf.tensor4d(x, [n, ch, h, w]), [0, 2, 3, 1]) };
          for (const s of steps) s(v);
          const out = v[graph.outputs[0]];
          return out.rank === 4 ? tf.transpose(out, [0, 3, 1, 2]) : out;
        });
        const data = (await y.data()) as Float32Array;
        y.dispose();
        return data;
      },
      dispose: () => consts.forEach((t: any) => t.dispose()),
    };
  },
};

/**
 * webconv's own float32 run beside its int8 run of a quantized model, on the measured run's
 * backend and compile options with the int8 pass off: the same file (float32 between its
 * QuantizeLinear/DequantizeLinear pairs), or `other`, the float model the int8 one was made
 * from. Its runner profiles, so the report pairs the two runs' layers.
 */
export function webconvFloat(other?: { graph: Graph; label: string }): PeerRunner {
  return {
    name: `webconv float (${other ? other.label : 'int8 off'})`,
    async prepare(model, { threads, backend = 'wasm', compile }) {
      const graph = other?.graph ?? model;
      const options = { ...compile, threads, int8: false };
      const exe = await getBackend(backend).compile(graph, options);
      const info = exe.info();
      return {
        info: `webconv ${backend} (${info.features.join(', ') || 'plain JS'}), ${info.threads} thread(s), ${other ? other.label : 'the same file with int8 off'}`,
        run: async (x: Float32Array) => (await exe.run(x))[graph.outputs[0]].data as Float32Array,
        dispose: () => exe.dispose(),
        profile: () => exe.profile(),
        layers: floatLayers(graphAsRun(graph, backend, options)),
      };
    },
  };
}

/**
 * The cost table's layers of a float graph as it ran, a conv's output QuantizeLinear/
 * DequantizeLinear pair (qdq) counted in the conv's row: qconv2d requantizes inside itself,
 * so its float counterpart is conv + qdq. The qdq of the input stays a row in both runs.
 */
function floatLayers(graph: Graph): { name: string; type: string; nodes: string[] }[] {
  const rows = costTable(graph, { expand: true, memory: 'inference' }).layers.slice(1).map((r) => ({ name: r.name, type: r.type, nodes: [...r.nodes] }));
  const node = new Map(graph.nodes.map((n) => [n.name, n]));
  const uses = new Map<string, number>();
  for (const t of [...graph.nodes.flatMap((n) => n.inputs), ...graph.outputs]) uses.set(t, (uses.get(t) ?? 0) + 1);
  const producer = new Map(rows.flatMap((r) => r.nodes.flatMap((n) => node.get(n)?.outputs.map((t) => [t, r] as const) ?? [])));
  return rows.filter((r) => {
    const q = node.get(r.nodes[0]);
    const conv = q && producer.get(q.inputs[0]);
    if (r.type !== 'qdq' || r.nodes.length !== 1 || conv?.type !== 'conv2d' || uses.get(q!.inputs[0]) !== 1) return true;
    conv.nodes.push(q!.name);
    return false;
  });
}

/** How many convs of `graph` the wasm and WebGPU backends run on integers (qconv2d): none, and int8 on or off run the same kernels. */
export const int8ConvCount = (graph: Graph) => fuseInt8Convs(optimizeGraph(graph).graph).convs.length;

/** The peers by name (`float`, parametric, is webconvFloat). */
export const PEERS: Record<string, PeerRunner> = { 'ort-web': ortWeb, 'tfjs-wasm': tfjsWasm };

const tfActivation = (a?: FusedActivation) =>
  !a ? 'linear' : a.op === 'relu' ? 'relu' : a.op === 'clip' && a.min === 0 && a.max === 6 ? 'relu6' : a.op === 'leakyrelu' ? 'leakyrelu' : null;

/** Reorders fc weight columns from webconv's (c, h, w) flattening to NHWC's (h, w, c). */
function permuteColumns(w: Float32Array, [m, k]: Shape, [, C, H, W]: Shape): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let x = 0; x < W; x++) {
      out[r * k + (h * W + x) * C + c] = w[r * k + (c * H + h) * W + x];
    }
  }
  return out;
}

/** The optimised graph as tfjs ops, NHWC; refuses what it has no translation for. */
function translate(tf: any, graph: Graph) {
  const consts = new Map<string, any>();
  const c = (name: string, f: () => any) => consts.get(name) ?? consts.set(name, f()).get(name);
  const steps: ((v: Record<string, any>) => void)[] = [];
  const nhwcFlattened = new Map<string, Shape>();
  const apply = (t: any, act: string | null, spec?: FusedActivation) =>
    act === 'relu' ? tf.relu(t) : act === 'relu6' ? tf.clipByValue(t, 0, 6) : act === 'leakyrelu' ? tf.leakyRelu(t, (spec as { alpha: number }).alpha) : t;
  for (const node of graph.nodes) {
    const n = typed(node);
    const [x, w, b, r] = node.inputs;
    const y = node.outputs[0];
    const shape = (t: string) => graph.shape(t);
    switch (n.op) {
      case 'conv2d': {
        const ws = shape(w);
        const C = shape(x)[1];
        const activation = tfActivation(n.attrs.activation);
        if (activation === null) throw new Error(`tfjs: activation ${JSON.stringify(n.attrs.activation)}`);
        const pad = [[0, 0], [n.attrs.pads[0], n.attrs.pads[2]], [n.attrs.pads[1], n.attrs.pads[3]], [0, 0]];
        const bias = b ? c(b, () => tf.tensor1d(graph.weight(b))) : undefined;
        const depthwise = n.attrs.groups === C && n.attrs.groups > 1;
        if (!depthwise && n.attrs.groups !== 1) throw new Error(`tfjs: grouped conv (${n.attrs.groups} groups)`);
        const filter = depthwise
          ? c(w, () => tf.reshape(tf.transpose(tf.tensor4d(graph.weight(w), ws), [2, 3, 0, 1]), [ws[2], ws[3], C, ws[0] / C]))
          : c(w, () => tf.transpose(tf.tensor4d(graph.weight(w), ws), [2, 3, 1, 0]));
        const fn = depthwise ? tf.fused.depthwiseConv2d : tf.fused.conv2d;
        steps.push((v) => {
          const out = fn({ x: v[x], filter, strides: n.attrs.stride, pad, dilations: n.attrs.dilation, bias, activation: r ? 'linear' : activation, leakyreluAlpha: n.attrs.activation?.op === 'leakyrelu' ? n.attrs.activation.alpha : undefined });
          v[y] = r ? apply(tf.add(out, v[r]), activation, n.attrs.activation) : out;
        });
        break;
      }
      case 'maxpool':
      case 'avgpool': {
        const [t, l, bo, ri] = n.attrs.pads;
        const padded = t || l || bo || ri;
        if (n.attrs.ceilMode || (node.op === 'avgpool' && padded)) throw new Error(`tfjs: ${node.op} with ceil mode or padding`);
        const fn = node.op === 'maxpool' ? tf.maxPool : tf.avgPool;
        steps.push((v) => {
          const inp = padded ? tf.pad(v[x], [[0, 0], [t, bo], [l, ri], [0, 0]], -Infinity) : v[x];
          v[y] = fn(inp, n.attrs.kernel, n.attrs.stride, 'valid');
        });
        break;
      }
      case 'globalavgpool':
        steps.push((v) => (v[y] = tf.mean(v[x], [1, 2], true)));
        break;
      case 'flatten':
        // Flattened in NHWC order; the fc reading it gets its weight columns permuted to match.
        if (shape(x).length === 4) nhwcFlattened.set(y, shape(x));
        steps.push((v) => (v[y] = tf.reshape(v[x], [shape(y)[0], -1])));
        break;
      case 'fc': {
        const activation = tfActivation(n.attrs.activation);
        const nchw = nhwcFlattened.get(x);
        // Stored [K, M]: tfjs-backend-wasm 4.22's fused matMul adds a wrong bias term with
        // transposeB and K >= 100 (seen here), so the weights are transposed once instead.
        const weights = c(w, () => tf.transpose(tf.tensor2d(nchw ? permuteColumns(graph.weight(w), shape(w), nchw) : graph.weight(w), shape(w))));
        const bias = b ? c(b, () => tf.tensor1d(graph.weight(b))) : undefined;
        steps.push((v) => (v[y] = tf.fused.matMul({ a: v[x], b: weights, bias, activation })));
        break;
      }
      case 'lrn':
        steps.push((v) => (v[y] = tf.localResponseNormalization(v[x], (n.attrs.size - 1) / 2, n.attrs.bias, n.attrs.alpha / n.attrs.size, n.attrs.beta)));
        break;
      case 'concat':
        if (n.attrs.axis !== 1) throw new Error('tfjs: concat off the channel axis');
        steps.push((v) => (v[y] = tf.concat(node.inputs.map((t) => v[t]), 3)));
        break;
      case 'add':
        steps.push((v) => (v[y] = tf.add(v[x], v[node.inputs[1]])));
        break;
      case 'relu':
        steps.push((v) => (v[y] = tf.relu(v[x])));
        break;
      case 'clip':
        steps.push((v) => (v[y] = tf.clipByValue(v[x], n.attrs.min, n.attrs.max)));
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
