import { existsSync } from 'node:fs';
import { OptionError } from '../graph/errors.js';
import type { Graph } from '../graph/graph.js';
import { zooEntry, type ZooEntry } from '../models/zoo.js';
import { loadOnnxFile } from '../onnx/load-file.js';

export interface LoadModelOptions {
  /** Minibatch size the graph is built (or imported) for. */
  batch: number;
  /** Input height and width: zoo models are built for them; ONNX models keep their own. */
  height?: number;
  width?: number;
}

/** Whether a model spec names an ONNX file rather than a zoo model. */
export const isOnnxPath = (spec: string) => /\.onnx$/i.test(spec);

/**
 * Loads a model for the CLI: a path ending in `.onnx` is imported (its dynamic batch axis,
 * if any, set to `batch`); anything else is a zoo name, built for `batch` x `height` x `width`.
 *
 * @throws {OptionError} for a missing ONNX file or an unknown zoo name; the importer's
 *   `OnnxError` for a malformed file; `ShapeError` when the input is too small for the model
 */
export async function loadModel(spec: string, options: LoadModelOptions): Promise<Graph> {
  if (isOnnxPath(spec)) {
    // Checked here so a typo is a one-line error, not an ENOENT from deep inside.
    if (!existsSync(spec)) throw new OptionError(`model file '${spec}' not found`);
    return loadOnnxFile(spec, { batch: options.batch });
  }
  return zooModel(spec).build(options);
}

/** The zoo entry a spec names; the error for an unknown name also mentions .onnx files. */
export function zooModel(spec: string): ZooEntry {
  try {
    return zooEntry(spec);
  } catch (e) {
    if (e instanceof OptionError) throw new OptionError(`${e.message}; or give a path to a .onnx file`);
    throw e;
  }
}
