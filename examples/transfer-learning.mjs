#!/usr/bin/env node
// Transfer learning with webconv, as the lecture teaches it: a LeNet-5 trained on five
// Fashion-MNIST classes only (T-shirt/top, Trouser, Pullover, Dress, Coat; shipped in
// models/) is frozen and used as a feature extractor; a new softmax-regression head is
// trained here, in TypeScript, on its convolutional features (the 400 values its classifier
// reads) of 100 training images of each of the five classes it never saw (Sandal, Shirt,
// Sneaker, Bag, Ankle boot); backbone
// and head become one model, saved as ONNX with its metadata, and scored on the 5,000 test
// images of those classes. Deterministic: the same seed gives the same head and accuracy.
//
//   npm run build && node examples/transfer-learning.mjs [--per-class 100] [--seed 1] [--out dir]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import '../dist/backends/register-all.js';
import { getBackend } from '../dist/backends/registry.js';
import { exportOnnx, importOnnx, parseIdx, parseMetadata, evaluateClassifier, grayImagesToInput } from '../dist/index.js';
import { fashionMnistDir } from '../dist/io/fashion-mnist.js';
import { attachHead, featureExtractor, trainSoftmaxHead } from '../dist/models/transfer.js';
import { loadOnnxFile } from '../dist/onnx/load-file.js';

const { values } = parseArgs({ options: { 'per-class': { type: 'string', default: '100' }, seed: { type: 'string', default: '1' }, out: { type: 'string' } } });
const perClass = Number(values['per-class']);
const seed = Number(values.seed);
const root = new URL('..', import.meta.url).pathname;
const BACKBONE = join(root, 'models/lenet5-fashion-mnist-classes-0-1-2-3-4');
const NEW_CLASSES = [5, 6, 7, 8, 9];
const ALL_LABELS = JSON.parse(readFileSync(join(root, 'models/lenet5-fashion-mnist.json'), 'utf8')).labels;

const dir = fashionMnistDir();
const idx = (name) => parseIdx(gunzipSync(readFileSync(join(dir, name))), name);
const train = { images: idx('train-images-idx3-ubyte.gz'), labels: idx('train-labels-idx1-ubyte.gz') };
const test = { images: idx('t10k-images-idx3-ubyte.gz'), labels: idx('t10k-labels-idx1-ubyte.gz') };

/** The images of the new classes, relabelled 0..4: the first `limit` of each in file order. */
function subset({ images, labels }, limit) {
  const picked = [];
  const taken = new Map();
  for (let i = 0; i < labels.data.length; i++) {
    const c = NEW_CLASSES.indexOf(labels.data[i]);
    if (c < 0 || (taken.get(c) ?? 0) >= limit) continue;
    taken.set(c, (taken.get(c) ?? 0) + 1);
    picked.push(i);
  }
  const data = new Uint8Array(picked.length * 784);
  picked.forEach((i, k) => data.set(images.data.subarray(i * 784, (i + 1) * 784), k * 784));
  return {
    images: { shape: [picked.length, 28, 28], data },
    labels: { shape: [picked.length], data: Uint8Array.from(picked, (i) => NEW_CLASSES.indexOf(labels.data[i])) },
  };
}

const backboneMeta = JSON.parse(readFileSync(`${BACKBONE}.json`, 'utf8'));
const backbone = await loadOnnxFile(`${BACKBONE}.onnx`, { batch: 100 });
parseMetadata(backboneMeta, backbone);

// 1. Features of the training examples from the frozen backbone: the convolutional
// features the first fully connected layer reads. Measured with this seed: 92.58% from
// them, 87.42% from the first fc layer's 120 outputs, 84.68% from the 84 penultimate ones
// (the fc layers are specialised to the five classes the backbone was trained on).
const tensor = backbone.nodes.find((n) => n.op === 'fc').inputs[0];
const examples = subset(train, perClass);
const count = examples.labels.data.length;
const extractor = await getBackend('wasm').compile(featureExtractor(backbone, tensor));
const featureCount = extractor.outputs[0].shape[1];
const features = new Float32Array(count * featureCount);
for (let first = 0; first < count; first += 100) {
  const n = Math.min(100, count - first);
  const chunk = new Uint8Array(100 * 784);
  chunk.set(examples.images.data.subarray(first * 784, (first + n) * 784));
  const out = (await extractor.run(grayImagesToInput(chunk, 100, 28, 28, backboneMeta)))[extractor.outputs[0].name].data;
  features.set(out.subarray(0, n * featureCount), first * featureCount);
}
extractor.dispose();

// 2. The new head, trained here.
const head = trainSoftmaxHead(features, examples.labels.data, NEW_CLASSES.length, { seed });

// 3. Backbone + head as one model, saved and loaded back like any ONNX file.
const meta = { ...backboneMeta, name: 'lenet5-fashion-mnist-transfer', labels: NEW_CLASSES.map((c) => ALL_LABELS[c]), datasetClasses: NEW_CLASSES };
delete meta.testAccuracy;
const onnx = exportOnnx(attachHead(backbone, head, tensor));
const model = importOnnx(onnx, { batch: 100, name: 'transfer' });
parseMetadata(meta, model);
const exe = await getBackend('wasm').compile(model);
// Scored on the test images of the new classes (datasetClasses maps the head's outputs).
const r = await evaluateClassifier(exe, meta, test.images, test.labels);
exe.dispose();

console.log(`backbone: ${backboneMeta.labels.join(', ')} (${backboneMeta.testAccuracy * 100}% on their test images)`);
console.log(`head: softmax regression on ${featureCount} features, ${count} training images (${perClass} per class), seed ${seed}, final loss ${head.losses.at(-1).toFixed(4)}`);
console.log(`accuracy ${(100 * r.accuracy).toFixed(2)}% (${r.correct} of ${r.total}) on the test images of ${meta.labels.join(', ')}`);
if (values.out) {
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'lenet5-fashion-mnist-transfer.onnx'), onnx);
  writeFileSync(join(values.out, 'lenet5-fashion-mnist-transfer.json'), `${JSON.stringify({ ...meta, testAccuracy: r.accuracy }, null, 2)}\n`);
  // The head alone, to put on the same backbone again (attachHead) without training.
  const headJson = { tensor, features: head.features, classes: head.classes, labels: meta.labels, weight: Array.from(head.weight), bias: Array.from(head.bias) };
  writeFileSync(join(values.out, 'head.json'), `${JSON.stringify(headJson)}\n`);
  console.log(`wrote ${values.out}/lenet5-fashion-mnist-transfer.onnx and .json, and the head alone, head.json`);
}
