import { parseArgs } from 'node:util';
import { OptionError } from '../graph/errors.js';
import { positiveInt } from './summary-command.js';

export const CLASSIFY_USAGE = `usage: webconv classify <model.onnx> <image.png|image.jpg>... [--top K] [--backend NAME]

Prints each image's most probable labels. The model's metadata (<model>.json beside it)
says how an image becomes its input (size, channels, scaling, padding) and names the classes.

  --top K          labels per image (default 3)
  --backend NAME   reference, wasm (default) or webgpu`;

/** `webconv classify`: one line per image on stdout, the backend on stderr. */
export async function classifyCommand(argv: string[], out: (s: string) => void, note: (s: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      top: { type: 'string' },
      backend: { type: 'string', short: 'b' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return out(CLASSIFY_USAGE);
  const [model, ...images] = positionals;
  if (!model || !/\.onnx$/i.test(model)) throw new OptionError('classify takes a model (a .onnx file) and then images');
  if (images.length === 0) throw new OptionError('classify needs at least one image (PNG or JPEG)');
  const top = values.top === undefined ? 3 : positiveInt(values.top, '--top');
  const { readImageFile } = await import('../io/decode-image.js');
  // Every image decoded before the model loads: a bad file is reported at once.
  const decoded = images.map((path) => ({ path, image: readImageFile(path) }));
  await import('../backends/register-all.js');
  const { loadClassifier } = await import('../models/load-classifier.js');
  const backend = values.backend ?? 'wasm';
  const classifier = await loadClassifier(model, { backend });
  try {
    const start = performance.now();
    for (const { path, image } of decoded) {
      const classes = await classifier.classify(image, { topK: top });
      out(`${path}: ${classes.map((c) => `${c.label} ${c.probability.toFixed(3)}`).join(', ')}`);
    }
    note(`backend ${backend}: ${decoded.length} image${decoded.length === 1 ? '' : 's'} in ${((performance.now() - start) / 1000).toFixed(2)} s`);
  } finally {
    classifier.dispose();
    if (backend === 'webgpu') await (await import('../backends/webgpu/webgpu-backend.js')).releaseSharedGpu();
  }
}
