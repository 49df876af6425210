/**
 * Images in, labels out: a compiled model with its metadata. Browser-safe (give it an
 * `ImageData` or any RGBA image); `loadClassifier` (load-classifier.ts) reads the model and
 * its metadata from files in Node.
 */
import type { BackendInfo, CompileOptions, Executable } from '../backends/backend.js';
import { getBackend } from '../backends/registry.js';
import { ImageError } from '../graph/errors.js';
import type { Graph } from '../graph/graph.js';
import { imageToInput, type RgbaImage } from '../io/image.js';
import { parseMetadata, type ModelMetadata } from './metadata.js';

/** Reads an image file to RGBA pixels: set where Node's decoders are loaded (io/image-file-reader.ts). */
let imageFileReader: ((path: string) => RgbaImage | Promise<RgbaImage>) | undefined;

/** Sets how {@link Classifier.classify} reads an image given as a file path (Node); undefined refuses paths. */
export function setImageFileReader(read: ((path: string) => RgbaImage | Promise<RgbaImage>) | undefined): void {
  imageFileReader = read;
}

export interface Classification {
  readonly label: string;
  /** The class's index in the model's output. */
  readonly index: number;
  /** Softmax of the logits. */
  readonly probability: number;
}

export interface ClassifierOptions extends CompileOptions {
  /** reference, wasm (default) or webgpu. */
  backend?: string;
}

export class Classifier {
  private constructor(
    private readonly exe: Executable,
    readonly metadata: ModelMetadata,
  ) {}

  /** Compiles a one-image model (`graph`, batch 1) for `metadata`, checked against it. */
  static async create(graph: Graph, metadata: unknown, options: ClassifierOptions = {}): Promise<Classifier> {
    const meta = parseMetadata(metadata, graph);
    const exe = await getBackend(options.backend ?? 'wasm').compile(graph, options);
    return new Classifier(exe, meta);
  }

  /**
   * The top `topK` (default 3) classes of one image, most probable first. The image: RGBA
   * pixels (an `ImageData`, a canvas's pixels, a decoded file), or in Node a PNG or JPEG
   * file's path.
   */
  async classify(image: RgbaImage | string, options: { topK?: number } = {}): Promise<Classification[]> {
    if (typeof image === 'string') {
      // The Node decoders are registered by the modules that load them (io/image-file-reader.ts),
      // never imported from here: browser bundles do not pull them, and edge runtimes, which
      // refuse any module with a dynamic import, load this one.
      if (!imageFileReader) throw new ImageError(`'${image}': a file path needs Node's file access (import from 'webconv' or 'webconv/node' in Node, Deno or Bun); elsewhere give RGBA pixels (an ImageData or { width, height, data })`);
      image = await imageFileReader(image);
    }
    const x = imageToInput(image, this.metadata);
    const logits = (await this.exe.run(x))[this.exe.outputs[0].name].data;
    return topClasses(logits, this.metadata.labels, options.topK ?? 3);
  }

  info(): BackendInfo {
    return this.exe.info();
  }

  dispose(): void {
    this.exe.dispose();
  }
}

/** Softmax over the logits, then the k most probable, ties by index. */
export function topClasses(logits: ArrayLike<number>, labels: readonly string[], k: number): Classification[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const p = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i] - max));
  const sum = p.reduce((a, b) => a + b, 0);
  return p
    .map((v, index) => ({ label: labels[index], index, probability: v / sum }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, Math.max(1, Math.min(k, labels.length)));
}
