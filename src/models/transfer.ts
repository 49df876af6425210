/**
 * Transfer learning as the lecture teaches it: a trained network, frozen, extracts features
 * (its penultimate layer's activations); a new classification head, softmax regression, is
 * trained on them here in TypeScript with SGD and momentum; backbone and head are then one
 * model, which exportOnnx saves. Deterministic: the same seed, the same head.
 */
import { GraphError, OptionError } from '../graph/errors.js';
import type { Graph, Initializer, Node } from '../graph/graph.js';
import { finalizeGraph } from '../graph/validate.js';
import { mulberry32 } from '../graph/weight-init.js';

/** The tensor a classifier's last layer reads: the input of the node that makes its output. */
export function penultimate(graph: Graph): string {
  const last = graph.nodes.find((n) => n.outputs.includes(graph.outputs[0]));
  if (!last) throw new GraphError(`graph '${graph.name}': its output '${graph.outputs[0]}' is not made by a node`);
  return last.inputs[0];
}

/** The graph cut at `tensor`: the nodes it needs and their weights, with `tensor` as the only output. */
export function featureExtractor(graph: Graph, tensor = penultimate(graph)): Graph {
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  if (!producer.has(tensor)) throw new GraphError(`graph '${graph.name}' has no node that makes '${tensor}'`);
  const needed = new Set<Node>();
  const visit = (t: string) => {
    const n = producer.get(t);
    if (!n || needed.has(n)) return;
    needed.add(n);
    n.inputs.forEach(visit);
  };
  visit(tensor);
  const nodes = graph.nodes.filter((n) => needed.has(n));
  const used = new Set(nodes.flatMap((n) => n.inputs));
  const inits = new Map([...graph.initializers].filter(([name]) => used.has(name)).map(([name, init]) => [name, { ...init, data: graph.weight(name) }]));
  return finalizeGraph(`${graph.name}-features`, graph.inputs.filter((i) => used.has(i.name)), [tensor], nodes, inits);
}

export interface HeadOptions {
  /** Passes over the examples. Default 60. */
  epochs?: number;
  /** Default 0.05. */
  learningRate?: number;
  /** Default 0.9. */
  momentum?: number;
  /** Examples per step. Default 32. */
  batch?: number;
  /** L2 penalty on the weights. Default 1e-4. */
  weightDecay?: number;
  /** Seeds the initial weights and the order of the examples. Default 1. */
  seed?: number;
}

/** A trained linear head: logits = weight · features + bias (weight [classes, features], row-major). */
export interface LinearHead {
  readonly features: number;
  readonly classes: number;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  /** Mean cross-entropy over the examples after each epoch. */
  readonly losses: number[];
}

/**
 * Softmax regression on `count` feature vectors of length `features` (row-major) with class
 * labels 0..classes-1: minibatch SGD with momentum on the cross-entropy, in float64. The
 * features are standardised while training (per feature, over the examples), and the
 * scaling is folded into the returned weights, so the head takes raw features.
 */
export function trainSoftmaxHead(x: Float32Array, labels: ArrayLike<number>, classes: number, options: HeadOptions = {}): LinearHead {
  const count = labels.length;
  if (count === 0 || x.length % count !== 0) throw new OptionError(`${x.length} feature values do not split into ${count} examples`);
  const d = x.length / count;
  for (let i = 0; i < count; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= classes) throw new OptionError(`label ${labels[i]} of example ${i} is not a class in 0..${classes - 1}`);
  }
  const { epochs = 60, learningRate = 0.05, momentum = 0.9, batch = 32, weightDecay = 1e-4, seed = 1 } = options;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < count; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / count;
  for (let i = 0; i < count; i++) for (let j = 0; j < d; j++) std[j] += (x[i * d + j] - mean[j]) ** 2 / count;
  // A feature that does not vary (a dead ReLU; a constant up to rounding) is left out: its
  // standardised value is 0 and its weight 0.
  const dead = new Uint8Array(d);
  for (let j = 0; j < d; j++) {
    std[j] = Math.sqrt(std[j]);
    if (std[j] <= 1e-6 * Math.max(1, Math.abs(mean[j]))) [dead[j], std[j]] = [1, 1];
  }
  const z = (i: number, j: number) => (dead[j] ? 0 : (x[i * d + j] - mean[j]) / std[j]);

  const rand = mulberry32(seed);
  const w = Float64Array.from({ length: classes * d }, () => (rand() * 2 - 1) * 0.01);
  const b = new Float64Array(classes);
  const vw = new Float64Array(classes * d);
  const vb = new Float64Array(classes);
  const gw = new Float64Array(classes * d);
  const gb = new Float64Array(classes);
  const p = new Float64Array(classes);
  const order = Array.from({ length: count }, (_, i) => i);
  const losses: number[] = [];
  const probabilities = (i: number) => {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = b[c];
      for (let j = 0; j < d; j++) s += w[c * d + j] * z(i, j);
      p[c] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += p[c] = Math.exp(p[c] - max);
    for (let c = 0; c < classes; c++) p[c] /= sum;
  };
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = count - 1; i > 0; i--) {
      const k = Math.floor(rand() * (i + 1));
      [order[i], order[k]] = [order[k], order[i]];
    }
    for (let start = 0; start < count; start += batch) {
      const rows = order.slice(start, start + batch);
      gw.fill(0);
      gb.fill(0);
      for (const i of rows) {
        probabilities(i);
        for (let c = 0; c < classes; c++) {
          const err = (p[c] - (c === labels[i] ? 1 : 0)) / rows.length;
          gb[c] += err;
          for (let j = 0; j < d; j++) gw[c * d + j] += err * z(i, j);
        }
      }
      for (let k = 0; k < w.length; k++) {
        vw[k] = momentum * vw[k] - learningRate * (gw[k] + weightDecay * w[k]);
        w[k] += vw[k];
      }
      for (let c = 0; c < classes; c++) {
        vb[c] = momentum * vb[c] - learningRate * gb[c];
        b[c] += vb[c];
      }
    }
    let loss = 0;
    for (let i = 0; i < count; i++) {
      probabilities(i);
      loss -= Math.log(Math.max(p[labels[i]], 1e-300)) / count;
    }
    losses.push(loss);
  }
  // Fold the standardisation in: w·(x - mean)/std + b = (w/std)·x + (b - w·mean/std).
  const weight = new Float32Array(classes * d);
  const bias = new Float32Array(classes);
  for (let c = 0; c < classes; c++) {
    let shift = b[c];
    for (let j = 0; j < d; j++) {
      if (dead[j]) continue;
      weight[c * d + j] = w[c * d + j] / std[j];
      shift -= (w[c * d + j] * mean[j]) / std[j];
    }
    bias[c] = shift;
  }
  return { features: d, classes, weight, bias, losses };
}

/** The backbone cut at `tensor` with the head on top: one model, logits out. */
export function attachHead(backbone: Graph, head: LinearHead, tensor = penultimate(backbone), name = `${backbone.name}-transfer`): Graph {
  const features = featureExtractor(backbone, tensor);
  const shape = features.shape(tensor);
  if (shape.length !== 2 || shape[1] !== head.features) {
    throw new GraphError(`the head takes ${head.features} features; '${tensor}' has shape [${shape.join(', ')}]`);
  }
  const w: Initializer = { name: 'head.weight', shape: [head.classes, head.features], trainable: true, data: head.weight };
  const b: Initializer = { name: 'head.bias', shape: [head.classes], trainable: true, data: head.bias };
  const fc: Node = { name: 'head', op: 'fc', inputs: [tensor, w.name, b.name], outputs: ['logits'], attrs: {}, layer: 'head' };
  const inits = new Map(features.initializers);
  inits.set(w.name, w).set(b.name, b);
  return finalizeGraph(name, features.inputs, ['logits'], [...features.nodes, fc], inits);
}
