/**
 * A model's metadata, shipped beside it as `<model>.json`: what its input expects (size,
 * channels and their order, how pixels are scaled and normalised, padding) and the names of
 * its classes. Checked against the model when both are loaded, so a label file that does
 * not match the model is an error, not a wrong answer.
 */
import { MetadataError } from '../graph/errors.js';
import type { Graph } from '../graph/graph.js';

export interface ModelMetadata {
  readonly name?: string;
  readonly input: {
    readonly channels: number;
    readonly height: number;
    readonly width: number;
    /** 'gray', 'rgb' or 'bgr': the order of the input's channels. */
    readonly channelOrder: 'gray' | 'rgb' | 'bgr';
    /** Pixel values (0..255) are multiplied by this first (1/255: to [0, 1]). */
    readonly scale: number;
    /** Per channel, subtracted after scaling, then divided by std. */
    readonly mean: readonly number[];
    readonly std: readonly number[];
    /** Pixels of padValue (before scaling) added on every side of an image of the dataset's size. */
    readonly pad?: number;
    readonly padValue?: number;
  };
  readonly labels: readonly string[];
  /**
   * The dataset's class of each output, when the model knows only some of the dataset's
   * classes (a transfer-learning head, a backbone trained on five of ten): evaluation then
   * counts only images of these classes. Absent: output i is the dataset's class i.
   */
  readonly datasetClasses?: readonly number[];
  /** As measured by whoever trained it, on its test set. */
  readonly testAccuracy?: number;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown, min: number): v is number => Number.isInteger(v) && (v as number) >= min;

/** Checks parsed JSON as metadata; with `graph`, also that it fits the model's input and output. */
export function parseMetadata(json: unknown, graph?: Graph, source = 'the metadata'): ModelMetadata {
  const bad = (what: string) => new MetadataError(`${source}: ${what}`);
  if (typeof json !== 'object' || json === null) throw bad('expected a JSON object');
  const m = json as Record<string, unknown>;
  const input = m.input as Record<string, unknown> | undefined;
  if (typeof input !== 'object' || input === null) throw bad("no 'input' object");
  const { channels, height, width, channelOrder, scale, mean, std, pad = 0, padValue = 0 } = input;
  if (!isInt(channels, 1) || !isInt(height, 1) || !isInt(width, 1)) throw bad('input.channels, input.height and input.width must be positive integers');
  if (channelOrder !== 'gray' && channelOrder !== 'rgb' && channelOrder !== 'bgr') throw bad(`input.channelOrder must be 'gray', 'rgb' or 'bgr', found ${JSON.stringify(channelOrder)}`);
  if ((channelOrder === 'gray') !== (channels === 1)) throw bad(`input.channelOrder '${channelOrder}' does not fit ${channels} channel(s)`);
  if (!isNum(scale) || scale <= 0) throw bad('input.scale must be a positive number');
  for (const [key, v] of [['mean', mean], ['std', std]] as const) {
    if (!Array.isArray(v) || v.length !== channels || !v.every(isNum)) throw bad(`input.${key} must hold ${channels} number(s), one per channel`);
  }
  if ((std as number[]).some((s) => s <= 0)) throw bad('input.std must be positive');
  if (!isInt(pad, 0) || !isNum(padValue)) throw bad('input.pad must be an integer >= 0 and input.padValue a number');
  const labels = m.labels;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) throw bad("'labels' must be a non-empty list of strings");
  const dc = m.datasetClasses;
  if (dc !== undefined && (!Array.isArray(dc) || dc.length !== labels.length || !dc.every((c) => isInt(c, 0)) || new Set(dc).size !== dc.length)) {
    throw bad(`'datasetClasses' must hold ${labels.length} distinct class numbers, one per label`);
  }
  const meta: ModelMetadata = {
    ...(typeof m.name === 'string' ? { name: m.name } : {}),
    input: { channels, height, width, channelOrder, scale, mean: mean as number[], std: std as number[], pad, padValue },
    labels: labels as string[],
    ...(dc !== undefined ? { datasetClasses: dc as number[] } : {}),
    ...(isNum(m.testAccuracy) ? { testAccuracy: m.testAccuracy } : {}),
  };
  if (graph) checkFits(meta, graph, source);
  return meta;
}

function checkFits(meta: ModelMetadata, graph: Graph, source: string): void {
  const [, c, h, w] = graph.inputs[0].shape;
  const { channels, height, width } = meta.input;
  if (graph.inputs[0].shape.length !== 4 || c !== channels || h !== height || w !== width) {
    throw new MetadataError(`${source} describes an input of ${channels}x${height}x${width}; the model '${graph.name}' takes [${graph.inputs[0].shape.join(', ')}]`);
  }
  const out = graph.shape(graph.outputs[0]);
  const classes = out[out.length - 1];
  if (out.length !== 2 || classes !== meta.labels.length) {
    throw new MetadataError(`${source} names ${meta.labels.length} classes; the model '${graph.name}' outputs [${out.join(', ')}]`);
  }
}

/**
 * Turns 8-bit grayscale images (N of srcH x srcW, row-major) into the model's input: padded
 * by `pad` pixels of padValue, scaled, normalised. srcH + 2 pad must equal the input height.
 */
export function grayImagesToInput(images: Uint8Array, count: number, srcH: number, srcW: number, meta: ModelMetadata): Float32Array {
  const { channels, height, width, scale, mean, std, pad = 0, padValue = 0 } = meta.input;
  if (channels !== 1) throw new MetadataError(`grayscale images for a model of ${channels} channels`);
  if (srcH + 2 * pad !== height || srcW + 2 * pad !== width) {
    throw new MetadataError(`images of ${srcH}x${srcW} padded by ${pad} are ${srcH + 2 * pad}x${srcW + 2 * pad}; the model takes ${height}x${width}`);
  }
  if (images.length < count * srcH * srcW) throw new MetadataError(`${count} images of ${srcH}x${srcW} need ${count * srcH * srcW} bytes, found ${images.length}`);
  const norm = (v: number) => (v * scale - mean[0]) / std[0];
  const out = new Float32Array(count * height * width).fill(norm(padValue));
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < srcH; y++) {
      const src = (n * srcH + y) * srcW;
      const dst = (n * height + y + pad) * width + pad;
      for (let x = 0; x < srcW; x++) out[dst + x] = norm(images[src + x]);
    }
  }
  return out;
}
