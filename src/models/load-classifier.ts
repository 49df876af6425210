/** A classifier from files, in Node: `<model>.onnx` and its metadata `<model>.json` beside it. */
import { existsSync, readFileSync } from 'node:fs';
import { MetadataError, OptionError } from '../graph/errors.js';
import { loadOnnxFile } from '../onnx/load-file.js';
import { Classifier, type ClassifierOptions } from './classifier.js';
// The classifiers made here also take image file paths.
import '../io/image-file-reader.js';

/** The model file's metadata, `<model>.json` beside it, as parsed JSON (checked by parseMetadata). */
export function readModelMetadata(modelPath: string): { path: string; json: unknown } {
  if (!existsSync(modelPath)) throw new OptionError(`model file '${modelPath}' not found`);
  const path = modelPath.replace(/\.onnx$/i, '') + '.json';
  if (!existsSync(path)) throw new MetadataError(`no metadata beside the model: '${path}' (input size, scaling and labels) not found`);
  try {
    return { path, json: JSON.parse(readFileSync(path, 'utf8')) };
  } catch (e) {
    throw new MetadataError(`${path}: not JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

export async function loadClassifier(modelPath: string, options: ClassifierOptions = {}): Promise<Classifier> {
  const { path: metaPath, json } = readModelMetadata(modelPath);
  const graph = await loadOnnxFile(modelPath, { batch: 1 });
  try {
    return await Classifier.create(graph, json, options);
  } catch (e) {
    if (e instanceof MetadataError) throw new MetadataError(e.message.replace(/^the metadata/, metaPath));
    throw e;
  }
}
