/**
 * A {@link Classifier} whose model runs in a dedicated Web Worker: the image is turned into
 * the model's input on the page (a few milliseconds), the model runs in the worker.
 */
import type { BackendInfo } from '../backends/backend.js';
import { ImageError } from '../graph/errors.js';
import { imageToInput, type RgbaImage } from '../io/image.js';
import { topClasses, type Classification } from '../models/classifier.js';
import type { ModelMetadata } from '../models/metadata.js';
import { startInWorker, type WorkerCompileOptions, type WorkerExecutable, type WorkerModelSource } from './worker-executable.js';

/**
 * Images in, labels out, the model in a worker: the interface of {@link Classifier}.
 *
 * ```ts
 * const classifier = await WorkerClassifier.create(onnxBytes, await (await fetch('model.json')).json());
 * const [top] = await classifier.classify(ctx.getImageData(0, 0, w, h));
 * classifier.dispose(); // terminates the worker
 * ```
 */
export class WorkerClassifier {
  private constructor(
    private readonly exe: WorkerExecutable,
    readonly metadata: ModelMetadata,
  ) {}

  /**
   * Compiles a one-image model in a new worker (`source`: a Graph, or ONNX bytes the worker
   * imports at batch 1) for `metadata`, checked against the model there (a MetadataError
   * when it does not fit).
   */
  static async create(source: WorkerModelSource, metadata: unknown, options: WorkerCompileOptions = {}): Promise<WorkerClassifier> {
    const { exe, metadata: checked } = await startInWorker(source, { ...options, onnx: { batch: 1, ...options.onnx } }, metadata);
    return new WorkerClassifier(exe, checked!);
  }

  /** The top `topK` (default 3) classes of one image (RGBA pixels: an `ImageData`, a canvas's pixels), most probable first. */
  async classify(image: RgbaImage, options: { topK?: number } = {}): Promise<Classification[]> {
    if (typeof image === 'string') throw new ImageError('a worker classifier takes pixels (an ImageData), not a file path');
    const x = imageToInput(image, this.metadata);
    const logits = (await this.exe.run(x))[this.exe.outputs[0].name].data;
    return topClasses(logits, this.metadata.labels, options.topK ?? 3);
  }

  info(): BackendInfo {
    return this.exe.info();
  }

  /** Terminates the worker; classifications still pending reject with an ExecutableError. */
  dispose(): void {
    this.exe.dispose();
  }
}
