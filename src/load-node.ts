/**
 * `load` for Node, Deno and Bun (`import { load } from 'webconv/node'`): the browser's
 * `load` (load.ts), plus file paths and `file:` URLs for the model and its metadata. A
 * string is a URL when it starts with http:, https:, data:, blob: or file:, else a path.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MetadataError, OnnxError } from './graph/errors.js';
import {
  checkAbort,
  fetchJson,
  loadWith,
  parseJson,
  readSource,
  type LoadedClassifier,
  type LoadedModel,
  type LoadOptions,
  type LoadProgress,
  type LoadSource,
  type MetadataSource,
  type ModelBytes,
} from './load.js';

const URL_SCHEME = /^(https?|data|blob|file):/i;

/** A local file's path, or undefined when the source is not one. */
function localPath(source: unknown): string | undefined {
  if (source instanceof URL) return source.protocol === 'file:' ? fileURLToPath(source) : undefined;
  if (typeof source !== 'string') return undefined;
  if (!URL_SCHEME.test(source)) return source;
  return /^file:/i.test(source) ? fileURLToPath(source) : undefined;
}

async function readLocal(path: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
  try {
    return await readFile(path, signal ? { signal } : {});
  } catch (e) {
    checkAbort(signal);
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e);
    throw new OnnxError('invalid', `cannot read ONNX file '${path}': ${why}`);
  }
}

async function readModel(source: LoadSource, signal: AbortSignal | undefined, progress: (p: LoadProgress) => void): Promise<ModelBytes> {
  const path = localPath(source);
  if (path === undefined) return readSource(source, signal, progress);
  const bytes = await readLocal(path, signal);
  progress({ phase: 'download', loaded: bytes.length, total: bytes.length });
  return { bytes, name: basename(path).replace(/\.onnx$/i, '') };
}

async function readMetadata(source: string | URL, signal: AbortSignal | undefined): Promise<unknown> {
  const path = localPath(source);
  if (path === undefined) return fetchJson(source, signal);
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', ...(signal ? { signal } : {}) });
  } catch (e) {
    checkAbort(signal);
    throw new MetadataError(`cannot read the metadata '${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseJson(text, path);
}

/**
 * Loads an ONNX model, from a URL, bytes or a file path, and compiles it on the best
 * backend here (see `load` in the main entry and {@link LoadOptions}).
 *
 * @example
 * const model = await load('models/lenet5.onnx', { metadata: 'models/lenet5.json' });
 * console.log(model.info().reason);
 * console.log(await model.classify('shirt.png'));
 * model.dispose();
 */
export function load(source: LoadSource, options: LoadOptions & { metadata: MetadataSource }): Promise<LoadedClassifier>;
export function load(source: LoadSource, options?: LoadOptions): Promise<LoadedModel>;
export function load(source: LoadSource, options: LoadOptions = {}): Promise<LoadedModel | LoadedClassifier> {
  return loadWith(source, options, readModel, readMetadata);
}
