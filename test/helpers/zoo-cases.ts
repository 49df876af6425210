/**
 * The zoo cases every fast backend is held to (test/zoo*.test.ts): every zoo model at batch
 * 1, and batch 2 for a representative set. LeNet-5, the AlexNets, ZFNet and VGG-16 run at
 * their own input size; the other VGG variants (the same ops as VGG-16, whose flatten adapts
 * to the input) and the models with global pooling at a smaller size, which keeps the
 * reference backend's share of the suite's time small. Each with its seeded input and its
 * reference-backend output, computed once (test/helpers/reference-cache.ts).
 */
import '../../src/backends/register-all.js';
import { getBackend } from '../../src/backends/registry.js';
import { buildModel, ZOO, type Graph } from '../../src/index.js';
import { tolerance } from './op-cases.js';
import { cachedReference } from './reference-cache.js';
import { seededInput } from './wasm.js';

const SIDE: Record<string, number> = { 'inception-v3': 139, googlenet: 96, mobilenetv2: 96 };
const SMALL = 64;
const FIXED = new Set(['lenet5', 'alexnet', 'alexnet-paper', 'zfnet', 'vgg-d']);
const BATCH2 = new Set(['lenet5', 'alexnet-paper', 'resnet18', 'resnet50-d', 'mobilenetv2', 'googlenet', 'inception-v3']);

export interface ZooCase {
  readonly model: string;
  readonly batch: number;
  /** Input height and width, when not the model's own. */
  readonly side?: number;
  readonly title: string;
}

export const ZOO_CASES: readonly ZooCase[] = ZOO.flatMap((m) => {
  const side = FIXED.has(m.name) ? undefined : SIDE[m.name] ?? SMALL;
  return (BATCH2.has(m.name) ? [1, 2] : [1]).map((batch) => ({
    model: m.name,
    batch,
    side,
    title: `${m.name}, batch ${batch}${side ? `, ${side}x${side}` : ''}`,
  }));
});

/** A case at the smaller side the other VGG variants run at (the same ops; the flatten adapts). */
const small = (c: ZooCase): ZooCase => ({ ...c, side: SMALL, title: `${c.model}, batch ${c.batch}, ${SMALL}x${SMALL}` });

/** A case at another input side. */
const at = (c: ZooCase, side: number): ZooCase => ({ ...c, side, title: `${c.model}, batch ${c.batch}, ${side}x${side}` });

/**
 * The inverted-residual models on WebGPU at a smaller side than on wasm: SwiftShader's
 * pipeline compiles dominate their time (EfficientNet-B0 at 64x64: 22 s to compile, 0.4 s to
 * run; at 32x32: 6 s). Their last stage then runs at 1x1, where a depthwise tap off the centre
 * reads padding only; the stages before it cover the interior and the edges.
 */
const GPU_SIDE: Record<string, number> = {
  mobilenetv2: 64, 'efficientnet-b0': 32, mnasnet: 32, 'mobilenetv3-small': 32, 'mobilenetv3-large': 32, shufflenetv2: 32,
};

/**
 * WebGPU runs on SwiftShader here, where a model takes seconds to minutes. Node runs every
 * case (zoo-webgpu.test.ts), VGG-16 at 64x64 like the other VGGs and the models of GPU_SIDE
 * smaller; Chromium
 * (zoo-browser.test.ts: the built bundle, the browser's WebGPU) runs one model of each
 * family at batch 1, which between them use every op and kernel path of the zoo: the
 * variants left out (AlexNet's single tower, ZFNet, the VGGs but VGG-16, the other ResNets,
 * MobileNetV2, MobileNetV3-L, MNASNet) only repeat those at other depths or widths (LRN and
 * grouped convs: AlexNet-paper; inverted residuals: MobileNetV3-S and EfficientNet-B0). Full-size inputs on WebGPU: LeNet-5,
 * the AlexNets and ZFNet (244 MB of weights in one storage buffer).
 */
export const WEBGPU_NODE_ZOO_CASES: readonly ZooCase[] = ZOO_CASES.map((c) => (c.model === 'vgg-d' ? small(c) : GPU_SIDE[c.model] ? at(c, GPU_SIDE[c.model]) : c));
/**
 * The zoo cases test/webgpu-bottleneck.test.ts runs on WebGPU (the same accuracy check, and
 * that the fused kernel runs the blocks it should): MobileNetV2 at batch 2 (whole blocks) and
 * EfficientNet-B0 (squeeze-excite halves). zoo-webgpu.test.ts leaves them to it: their
 * pipelines take SwiftShader most of a minute to compile in each process.
 */
export const WEBGPU_FUSED_CASES: readonly ZooCase[] = WEBGPU_NODE_ZOO_CASES.filter(
  (c) => (c.model === 'mobilenetv2' && c.batch === 2) || c.model === 'efficientnet-b0',
);
const BROWSER_MODELS = new Set([
  'lenet5', 'alexnet-paper', 'vgg-d', 'googlenet', 'inception-v3', 'resnet18', 'resnet50-d',
  'mobilenetv3-small', 'shufflenetv2', 'efficientnet-b0', 'convnext-tiny',
]);
export const WEBGPU_BROWSER_ZOO_CASES: readonly ZooCase[] = WEBGPU_NODE_ZOO_CASES.filter((c) => c.batch === 1 && BROWSER_MODELS.has(c.model));

export function zooGraph(c: ZooCase): Graph {
  return buildModel(c.model, { batch: c.batch, height: c.side, width: c.side });
}

/** The case's graph, input, reference output, its largest magnitude and the max |error| allowed (the 'model' tolerance). */
export async function zooReference(c: ZooCase): Promise<{ graph: Graph; input: Float32Array; expected: Float32Array; maxRef: number; bound: number }> {
  const graph = zooGraph(c);
  const input = seededInput(graph);
  const expected = await cachedReference(`zoo-${c.model}-b${c.batch}-s${c.side ?? 0}`, async () => {
    const ref = await getBackend('reference').compile(graph);
    try {
      return (await ref.run(input))[graph.outputs[0]].data;
    } finally {
      ref.dispose();
    }
  });
  const maxRef = expected.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  return { graph, input, expected, maxRef, bound: tolerance(graph, { [graph.inputs[0].name]: input }, 'model')(maxRef) };
}

/** Largest |actual - expected|; Infinity for a NaN or a length mismatch. */
export function maxError(actual: ArrayLike<number>, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let err = 0;
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(actual[i] - expected[i]));
  return Number.isNaN(err) ? Infinity : err;
}
