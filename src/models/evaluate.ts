import type { Executable } from '../backends/backend.js';
import { MetadataError } from '../graph/errors.js';
import type { IdxArray } from '../io/idx.js';
import { grayImagesToInput, type ModelMetadata } from './metadata.js';

export interface Evaluation {
  readonly correct: number;
  readonly total: number;
  readonly accuracy: number;
  /** The predicted class of every image, in order. */
  readonly predictions: Uint8Array;
}

/**
 * Classifies labelled grayscale images (IDX arrays [N, H, W] and [N]) with a compiled
 * classifier whose batch is the executable's input batch (the last, partial batch padded
 * with blank images); returns the accuracy and every prediction.
 */
export async function evaluateClassifier(
  exe: Executable,
  meta: ModelMetadata,
  images: IdxArray,
  labels: IdxArray,
  options: { batch?: number; limit?: number } = {},
): Promise<Evaluation> {
  if (images.shape.length !== 3) throw new MetadataError(`images of shape [${images.shape.join(', ')}]: expected [N, H, W]`);
  if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new MetadataError(`${labels.shape[0]} labels for ${images.shape[0]} images`);
  }
  const [count, h, w] = images.shape;
  const total = Math.min(count, options.limit ?? count);
  const batch = exe.inputs[0].shape[0];
  const classes = meta.labels.length;
  const predictions = new Uint8Array(total);
  let correct = 0;
  for (let first = 0; first < total; first += batch) {
    const n = Math.min(batch, total - first);
    const chunk = new Uint8Array(batch * h * w);
    chunk.set(images.data.subarray(first * h * w, (first + n) * h * w));
    const x = grayImagesToInput(chunk, batch, h, w, meta);
    const logits = (await exe.run(x))[exe.outputs[0].name].data;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
      predictions[first + i] = best;
      if (best === labels.data[first + i]) correct++;
    }
  }
  return { correct, total, accuracy: correct / total, predictions };
}
