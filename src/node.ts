/**
 * webconv in Node (`import ... from 'webconv/node'`): the whole public API, plus what reads
 * files: ONNX models, a classifier with its metadata, PNG and JPEG images, Fashion-MNIST.
 */
export * from './index.js';
export { loadOnnxFile } from './onnx/load-file.js';
export { loadClassifier, readModelMetadata } from './models/load-classifier.js';
export { decodeImage, readImageFile } from './io/decode-image.js';
export { fashionMnistDir } from './io/fashion-mnist.js';
// Shadows the main entry's load (export * yields to a local export): this one also reads file paths.
export { load } from './load-node.js';
