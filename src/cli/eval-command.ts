import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { OptionError } from '../graph/errors.js';
import { evaluateClassifier } from '../models/evaluate.js';
import { readModelMetadata } from '../models/load-classifier.js';
import { parseMetadata } from '../models/metadata.js';
import { parseIdx, type IdxArray } from '../io/idx.js';
import { fashionMnistDir } from '../io/fashion-mnist.js';
import { loadOnnxFile } from '../onnx/load-file.js';
import { positiveInt } from './summary-command.js';

export const EVAL_USAGE = `usage: webconv eval <model.onnx> --fashion-mnist test|train [--backend NAME] [--batch N] [--limit N]

Classifies a labelled dataset with the model and reports its accuracy. The model's metadata
(<model>.json beside it: input size, scaling, mean/std, padding, labels) says how images
become its input, and is checked against the model.

  --fashion-mnist SET  Fashion-MNIST's test (10,000 images) or train (60,000) set, read from
                       Debian's dataset-fashion-mnist (or $FASHION_MNIST_DIR)
  --backend NAME       reference, wasm (default) or webgpu
  --batch N            images per run (default 100)
  --limit N            only the first N images`;

/** `webconv eval`: `out` prints the result line. */
export async function evalCommand(argv: string[], out: (s: string) => void, note: (s: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'fashion-mnist': { type: 'string' },
      backend: { type: 'string', short: 'b' },
      batch: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return out(EVAL_USAGE);
  if (positionals.length !== 1 || !/\.onnx$/i.test(positionals[0])) throw new OptionError('eval takes one model: a path to a .onnx file');
  const set = values['fashion-mnist'];
  if (set !== 'test' && set !== 'train') throw new OptionError("eval needs --fashion-mnist test or --fashion-mnist train");
  const batch = values.batch === undefined ? 100 : positiveInt(values.batch, '--batch');
  const limit = values.limit === undefined ? undefined : positiveInt(values.limit, '--limit');
  const modelPath = positionals[0];
  const { path: metaPath, json: metaJson } = readModelMetadata(modelPath);

  const { getBackend } = await import('../backends/registry.js');
  await import('../backends/register-all.js');
  const backendName = values.backend ?? 'wasm';
  const backend = getBackend(backendName);
  if (!(await backend.isAvailable())) throw new OptionError(`backend '${backendName}' is not available on this machine`);

  const dir = fashionMnistDir();
  const prefix = set === 'test' ? 't10k' : 'train';
  const read = (name: string): IdxArray => parseIdx(gunzipSync(readFileSync(`${dir}/${prefix}-${name}-idx${name === 'images' ? 3 : 1}-ubyte.gz`)), `${prefix}-${name}`);
  const images = read('images');
  const labels = read('labels');

  const graph = await loadOnnxFile(modelPath, { batch });
  const meta = parseMetadata(metaJson, graph, metaPath);
  const exe = await backend.compile(graph);
  try {
    const start = performance.now();
    const r = await evaluateClassifier(exe, meta, images, labels, { batch, limit });
    note(`${backendName}: ${r.total} images in ${((performance.now() - start) / 1000).toFixed(2)} s`);
    out(`accuracy ${(100 * r.accuracy).toFixed(2)}% (${r.correct} of ${r.total}) on Fashion-MNIST ${set}, backend ${backendName}`);
  } finally {
    exe.dispose();
    if (backendName === 'webgpu') await (await import('../backends/webgpu/webgpu-backend.js')).releaseSharedGpu();
  }
}
