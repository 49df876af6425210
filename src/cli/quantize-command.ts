import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { InputError, OptionError } from '../graph/errors.js';
import { fashionMnistDir } from '../io/fashion-mnist.js';
import { parseIdx } from '../io/idx.js';
import { parseNpy } from '../io/npy.js';
import { readModelMetadata } from '../models/load-classifier.js';
import { grayImagesToInput, parseMetadata } from '../models/metadata.js';
import { exportOnnx } from '../onnx/export.js';
import { loadOnnxFile } from '../onnx/load-file.js';
import { quantizeModel } from '../quantize/quantize.js';
import { positiveInt } from './summary-command.js';

export const QUANTIZE_USAGE = `usage: webconv quantize <model.onnx> --calibrate <file.npy | fashion-mnist> --out <model.int8.onnx>
                        [--count N] [--method minmax|percentile] [--percentile P]
                        [--activation-type uint8|int8] [--per-tensor]

Post-training static quantization: calibrates the activations on sample inputs and writes a
QDQ ONNX file (int8 weights per output channel, int32 biases, 8-bit activations) that webconv
and onnxruntime run. The model's metadata (<model>.json), if any, is written beside the output
(its testAccuracy left out, what was done added as 'quantization').

  --calibrate SRC        a .npy of model inputs [N, C, H, W], or 'fashion-mnist': the first N
                         training images of Fashion-MNIST, made inputs by the model's metadata
  --count N              calibration inputs used (default 256 for fashion-mnist, all of a .npy)
  --method M             minmax (default) or percentile (the P and 100-P percentiles)
  --percentile P         for --method percentile (default 99.99)
  --activation-type T    uint8 (default) or int8
  --per-tensor           one weight scale per tensor instead of per output channel
  --out FILE             the quantized model (.onnx)`;

/** The largest divisor of n not above 64: the calibration batch (no partial batch to pad). */
function batchFor(n: number): number {
  for (let b = Math.min(64, n); b > 1; b--) if (n % b === 0) return b;
  return 1;
}

/** `webconv quantize`: `out` prints what was done. */
export async function quantizeCommand(argv: string[], out: (s: string) => void, note: (s: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      calibrate: { type: 'string' },
      count: { type: 'string' },
      method: { type: 'string' },
      percentile: { type: 'string' },
      'activation-type': { type: 'string' },
      'per-tensor': { type: 'boolean' },
      out: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return out(QUANTIZE_USAGE);
  if (positionals.length !== 1 || !/\.onnx$/i.test(positionals[0])) throw new OptionError('quantize takes one model: a path to a .onnx file');
  const modelPath = positionals[0];
  if (!existsSync(modelPath)) throw new OptionError(`model file '${modelPath}' not found`);
  const source = values.calibrate;
  if (source === undefined) throw new OptionError("quantize needs --calibrate <file.npy> or --calibrate fashion-mnist");
  if (source !== 'fashion-mnist' && !/\.npy$/i.test(source)) throw new OptionError(`--calibrate takes a .npy file or 'fashion-mnist', found '${source}'`);
  const outPath = values.out;
  if (outPath === undefined || !/\.onnx$/i.test(outPath)) throw new OptionError('quantize needs --out <file.onnx>');
  const method = values.method ?? 'minmax';
  if (method !== 'minmax' && method !== 'percentile') throw new OptionError(`--method must be minmax or percentile, found '${method}'`);
  const activationType = values['activation-type'] ?? 'uint8';
  if (activationType !== 'uint8' && activationType !== 'int8') throw new OptionError(`--activation-type must be uint8 or int8, found '${activationType}'`);
  const percentile = values.percentile === undefined ? undefined : Number(values.percentile);
  if (percentile !== undefined && !(percentile > 50 && percentile <= 100)) throw new OptionError(`--percentile must be a number in (50, 100], found '${values.percentile}'`);
  const count = values.count === undefined ? undefined : positiveInt(values.count, '--count');

  // Calibration inputs, as one flat array of `n` model inputs.
  let n: number;
  let data: Float32Array;
  let rowShape: number[];
  const meta = existsSync(modelPath.replace(/\.onnx$/i, '') + '.json') ? readModelMetadata(modelPath) : undefined;
  if (source === 'fashion-mnist') {
    if (!meta) readModelMetadata(modelPath); // throws the metadata error
    const probe = await loadOnnxFile(modelPath, { batch: 1 });
    const m = parseMetadata(meta!.json, probe, meta!.path);
    const images = parseIdx(gunzipSync(readFileSync(`${fashionMnistDir()}/train-images-idx3-ubyte.gz`)), 'train-images');
    const [total, h, w] = images.shape;
    n = Math.min(count ?? 256, total);
    data = grayImagesToInput((images.data as Uint8Array).subarray(0, n * h * w), n, h, w, m);
    rowShape = probe.inputs[0].shape.slice(1) as number[];
  } else {
    if (!existsSync(source)) throw new OptionError(`calibration file '${source}' not found`);
    const npy = parseNpy(new Uint8Array(readFileSync(source)), source);
    if (npy.shape.length < 2) throw new InputError(`${source}: shape [${npy.shape.join(', ')}]; expected [N, ...] rows of the model input`);
    n = Math.min(count ?? npy.shape[0], npy.shape[0]);
    rowShape = npy.shape.slice(1);
    data = npy.data.subarray(0, n * rowShape.reduce((a, b) => a * b, 1));
  }
  const batch = batchFor(n);
  const graph = await loadOnnxFile(modelPath, { batch });
  if (graph.inputs.length !== 1) throw new InputError(`${modelPath} has ${graph.inputs.length} inputs; quantize takes a single-input model`);
  const want = graph.inputs[0].shape.slice(1);
  if (want.join() !== rowShape.join()) throw new InputError(`calibration inputs are [N, ${rowShape.join(', ')}]; the model's input is [N, ${want.join(', ')}]`);
  const per = batch * want.reduce((a, b) => a * b, 1);
  const batches = Array.from({ length: n / batch }, (_, k) => data.slice(k * per, (k + 1) * per));

  await import('../backends/register-all.js'); // calibration runs on wasm (the reference backend where wasm is missing)
  const start = performance.now();
  const q = await quantizeModel(graph, batches, { method, percentile, activationType, perChannel: !values['per-tensor'] });
  writeFileSync(outPath, exportOnnx(q.graph, { quantized: q.initializers, dynamicBatch: true }));
  note(`calibrated on ${n} inputs (batches of ${batch}) and quantized in ${((performance.now() - start) / 1000).toFixed(2)} s`);
  const [before, after] = [statSync(modelPath).size, statSync(outPath).size];
  out(`quantized ${q.activations.size} activations (${activationType}, ${method}), ${q.weights.length} weights (int8, ${values['per-tensor'] ? 'per tensor' : 'per channel'}), ${q.biases.length} biases (int32)`);
  out(`size: float ${before} bytes -> int8 ${after} bytes (${(after / before).toFixed(3)}x): ${outPath}`);
  if (meta) {
    // The same input and labels; the float model's measured accuracy is not the quantized one's.
    const base = outPath.replace(/\.onnx$/i, '');
    const { testAccuracy: _a, testImages: _i, ...json } = meta.json as Record<string, unknown>;
    const quantization = { tool: 'webconv quantize', from: basename(modelPath), calibration: source === 'fashion-mnist' ? `Fashion-MNIST train, first ${n} images` : `${basename(source)}, first ${n} rows`, method, ...(method === 'percentile' ? { percentile: percentile ?? 99.99 } : {}), activationType, weights: values['per-tensor'] ? 'int8 per tensor' : 'int8 per channel' };
    writeFileSync(`${base}.json`, JSON.stringify({ ...json, name: basename(base), quantization }, null, 2) + '\n');
    out(`metadata: ${base}.json`);
  }
}
