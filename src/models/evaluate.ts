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
 * with blank images); returns the accuracy and every prediction (as the dataset's class).
 * A model of some of the dataset's classes (metadata `datasetClasses`) is scored on the
 * images of those classes only.
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
  const [all, h, w] = images.shape;
  const classOf = meta.datasetClasses ?? meta.labels.map((_, i) => i);
  // The images the model can be scored on, up to the limit.
  const picked: number[] = [];
  for (let i = 0; i < all && picked.length < (options.limit ?? all); i++) if (classOf.includes(labels.data[i])) picked.push(i);
  const total = picked.length;
  if (total === 0) throw new MetadataError(`none of the ${all} images is of the model's classes (${classOf.join(', ')})`);
  const batch = exe.inputs[0].shape[0];
  const classes = meta.labels.length;
  const predictions = new Uint8Array(total);
  let correct = 0;
  for (let first = 0; first < total; first += batch) {
    const n = Math.min(batch, total - first);
    const chunk = new Uint8Array(batch * h * w);
    for (let i = 0; i < n; i++) chunk.set(images.data.subarray(picked[first + i] * h * w, (picked[first + i] + 1) * h * w), i * h * w);
    const x = grayImagesToInput(chunk, batch, h, w, meta);
    const logits = (await exe.run(x))[exe.outputs[0].name].data;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
      predictions[first + i] = classOf[best];
      if (classOf[best] === labels.data[picked[first + i]]) correct++;
    }
  }
  return { correct, total, accuracy: correct / total, predictions };
}
