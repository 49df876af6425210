/**
 * Reading an ONNX file from disk (Node only: kept apart from import.ts so the browser
 * bundle never pulls in `node:fs`).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { OnnxError } from '../graph/errors.js';
import type { Graph } from '../graph/graph.js';
import { importOnnx, type OnnxImportOptions } from './import.js';

/**
 * Reads and imports a `.onnx` file. The graph is named after the file (its basename
 * without `.onnx`) unless `options.name` is given.
 *
 * @throws {OnnxError} naming the path when the file cannot be read, and the importer's
 *   errors (prefixed with the path) when it is not a model webconv can import
 */
export async function loadOnnxFile(path: string, options: OnnxImportOptions = {}): Promise<Graph> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e);
    throw new OnnxError('invalid', `cannot read ONNX file '${path}': ${why}`);
  }
  const name = options.name ?? basename(path).replace(/\.onnx$/i, '');
  try {
    return importOnnx(bytes, { ...options, name });
  } catch (e) {
    if (e instanceof OnnxError) throw new OnnxError(e.kind, `${path}: ${e.message}`);
    throw e;
  }
}
