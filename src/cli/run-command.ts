import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { BackendInfo, Executable } from '../backends/backend.js';
import { OptionError } from '../graph/errors.js';
import type { Shape } from '../graph/graph.js';
import { encodeNpy, parseNpy } from '../io/npy.js';
import { isOnnxPath, loadModel, zooModel } from './load-model.js';
import { joinNegativeValues, positiveInt } from './summary-command.js';

export const RUN_USAGE = `usage: webconv run <model.onnx | zoo-name> --input x.npy [--backend NAME] [--out y.npy]
                   [--top K] [--batch N]

Runs a model on the float32 NCHW tensor of a NumPy .npy file (np.save('x.npy', t.numpy())).
A zoo model is built for the file's batch and HxW; an .onnx model must take its shape.

  --input x.npy     the input: [N, C, H, W] float32, C order (required)
  --backend NAME    reference (default), wasm or webgpu: whichever are registered and available
  --out y.npy       write the model's first output, [N, ...], as .npy
  --top K           print the K most probable classes (softmax of the output) per image
  --batch N         run the images N at a time (default: all at once)

Without --out or --top, prints the output's shape and a short summary. Which backend ran
(and how long it took) goes to stderr.`;

const fmtShape = (s: Shape) => `[${s.join(', ')}]`;

/** Reads a file named by an option, turning ENOENT and friends into a one-line error. */
function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new OptionError(`cannot read --input '${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** Softmax of one row, in float64 with the max subtracted so large logits do not overflow. */
export function softmax(row: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  const p = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += p[i] = Math.exp(row[i] - max);
  for (let i = 0; i < row.length; i++) p[i] /= sum;
  return p;
}

/** The `k` best classes of one image: [class index, probability], most probable first. */
export function topK(logits: ArrayLike<number>, k: number): [number, number][] {
  const p = softmax(logits);
  const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b);
  return order.slice(0, k).map((i) => [i, p[i]]);
}

function describeInfo(info: BackendInfo): string {
  const parts = [`${info.threads} thread${info.threads === 1 ? '' : 's'}`];
  if (info.adapter) parts.unshift(`adapter ${info.adapter}`);
  if (info.features.length) parts.push(`features ${info.features.join(', ')}`);
  if (info.fallbackNodes.length) parts.push(`${info.fallbackNodes.length} nodes on the reference fallback`);
  return `backend ${info.backend} (${parts.join('; ')})`;
}

/** `webconv run`: `out` prints a result line (stdout), `note` a status line (stderr). */
export async function runCommand(argv: string[], out: (s: string) => void, note: (s: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(argv, ['--batch', '--top']),
    allowPositionals: true,
    strict: true,
    options: {
      input: { type: 'string', short: 'i' },
      backend: { type: 'string', short: 'b' },
      out: { type: 'string', short: 'o' },
      top: { type: 'string' },
      batch: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return out(RUN_USAGE);
  if (positionals.length !== 1) throw new OptionError('run takes exactly one model: a zoo name or a path to a .onnx file');
  if (values.input === undefined) throw new OptionError('run needs --input x.npy (a float32 [N, C, H, W] array)');
  const spec = positionals[0];
  const top = values.top === undefined ? undefined : positiveInt(values.top, '--top');
  const requestedBatch = values.batch === undefined ? undefined : positiveInt(values.batch, '--batch');

  // The cheap checks first (backend, input file), then the model, which can be large.
  // Backends load on demand: `webconv summary` need not pay for wasm or WebGPU start-up.
  const { getBackend } = await import('../backends/registry.js');
  await import('../backends/register-all.js');
  const backendName = values.backend ?? 'reference';
  const backend = getBackend(backendName);
  if (!(await backend.isAvailable())) throw new OptionError(`backend '${backendName}' is not available on this machine`);

  const x = parseNpy(readInput(values.input), values.input);
  const images = x.shape[0] ?? 0;
  if (x.shape.length < 2 || images < 1) throw new OptionError(`${values.input}: expected [N, C, H, W] with N >= 1, found shape ${fmtShape(x.shape)}`);
  if (!isOnnxPath(spec)) {
    const entry = zooModel(spec);
    const [c, h, w] = entry.input;
    if (x.shape.length !== 4 || x.shape[1] !== c) {
      throw new OptionError(`${values.input}: model '${entry.name}' takes [N, ${c}, H, W] (default H x W ${h}x${w}), found shape ${fmtShape(x.shape)}`);
    }
  }
  let batch = Math.min(requestedBatch ?? images, images);
  const graph = await loadModel(spec, { batch, height: x.shape[2], width: x.shape[3] });
  if (graph.inputs.length !== 1) throw new OptionError(`model '${spec}' has ${graph.inputs.length} inputs; run feeds exactly one`);
  const input = graph.inputs[0];
  const sameImage = input.shape.length === x.shape.length && input.shape.every((d, i) => i === 0 || d === x.shape[i]);
  // An ONNX model with a fixed batch keeps it: run the file's images that many at a time.
  if (sameImage && input.shape[0] !== batch && requestedBatch === undefined) batch = input.shape[0];
  if (!sameImage || input.shape[0] !== batch) {
    throw new OptionError(
      `${values.input}: model '${spec}' expects input '${input.name}' of shape ${fmtShape(input.shape)}, ` +
        `found ${fmtShape(x.shape)}${sameImage ? ` (use --batch ${input.shape[0]})` : ''}`,
    );
  }

  const exe = await backend.compile(graph);
  try {
    const start = performance.now();
    const y = await runBatched(exe, x.data, images, batch);
    note(`${describeInfo(exe.info())}: ${images} image${images === 1 ? '' : 's'} in ${((performance.now() - start) / 1000).toFixed(2)} s`);
    report(y, images, { top, outPath: values.out, outName: exe.outputs[0].name }, out, note);
  } finally {
    exe.dispose();
    // Dawn's device would keep the process alive.
    if (backendName === 'webgpu') await (await import('../backends/webgpu/webgpu-backend.js')).releaseSharedGpu();
  }
}

/**
 * Runs `images` images `batch` at a time (zero-padding the last chunk: images are
 * independent in inference) and joins the first output's per-image rows.
 */
async function runBatched(exe: Executable, data: Float32Array, images: number, batch: number) {
  const inShape = exe.inputs[0].shape;
  const perImage = data.length / images;
  const outShape = exe.outputs[0].shape;
  if (batch !== images && outShape[0] !== batch) {
    throw new OptionError(`the output ${fmtShape(outShape)} is not one row per image, so the input cannot be split into batches of ${batch}`);
  }
  const outPerImage = outShape.reduce((a, d) => a * d, 1) / (batch === images ? images : batch);
  const result = new Float32Array(outPerImage * images);
  for (let first = 0; first < images; first += batch) {
    const n = Math.min(batch, images - first);
    let chunk = data.subarray(first * perImage, (first + n) * perImage);
    if (n < batch) {
      const padded = new Float32Array(batch * perImage);
      padded.set(chunk);
      chunk = padded;
    }
    const outputs = await exe.run({ [exe.inputs[0].name]: { shape: inShape, data: chunk } });
    result.set(outputs[exe.outputs[0].name].data.subarray(0, n * outPerImage), first * outPerImage);
  }
  return { shape: batch === images ? outShape : [images, ...outShape.slice(1)], data: result };
}

function report(
  y: { shape: Shape; data: Float32Array },
  images: number,
  o: { top?: number; outPath?: string; outName: string },
  out: (s: string) => void,
  note: (s: string) => void,
) {
  const perImage = y.data.length / images;
  const row = (i: number) => y.data.subarray(i * perImage, (i + 1) * perImage);
  if (o.outPath !== undefined) {
    try {
      writeFileSync(o.outPath, encodeNpy(y.shape, y.data));
    } catch (e) {
      throw new OptionError(`cannot write --out '${o.outPath}': ${(e as Error).message}`);
    }
    note(`wrote output '${o.outName}' ${fmtShape(y.shape)} to ${o.outPath}`);
  }
  if (o.top !== undefined) {
    for (let i = 0; i < images; i++) {
      out(`image ${i}: ${topK(row(i), o.top).map(([c, p]) => `#${c} ${p.toFixed(4)}`).join(', ')}`);
    }
  }
  if (o.outPath === undefined && o.top === undefined) {
    let min = Infinity, max = -Infinity, sum = 0;
    for (const v of y.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    const g = (v: number) => v.toPrecision(5);
    out(`output '${o.outName}': shape ${fmtShape(y.shape)}, min ${g(min)}, max ${g(max)}, mean ${g(sum / y.data.length)}`);
    const shown = Math.min(images, 8);
    for (let i = 0; i < shown; i++) {
      const [[c, p]] = topK(row(i), 1);
      out(`image ${i}: top class #${c} (softmax ${p.toFixed(4)})`);
    }
    if (images > shown) out(`... ${images - shown} more images (use --top K or --out y.npy)`);
  }
}
