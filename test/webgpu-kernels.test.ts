/**
 * Every WebGPU kernel but conv2d/fc against the reference kernels, on the shared op cases
 * (test/helpers/op-cases.ts): small seeded-random graphs with the edge shapes and attributes
 * that break index arithmetic: odd sizes, ceil mode, dilation, asymmetric and negative pads,
 * both count_include_pad rules, NaN and -Infinity in a max pool, broadcasting of rank 0..6,
 * softmax on every axis, LRN of odd and even size, gemm with every transpose, in-place chains
 * and 1x1 inputs, and every op over NaN and infinities (also fused into a conv/fc epilogue).
 * Each graph runs with no graph passes (fused cases also with them), on the shared device
 * (Dawn on SwiftShader in Node). Max and copy ops must match exactly; NaN and infinities in
 * position; the rest to 1e-5 of max(1, max |reference|).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backends/backend.js';
import { referenceBackend } from '../src/backends/reference/reference-backend.js';
import { GPU_KERNELS } from '../src/backends/webgpu/register-kernels.js';
import { releaseSharedGpu, sharedGpu, webgpuBackend } from '../src/backends/webgpu/webgpu-backend.js';
import { GpuError } from '../src/graph/errors.js';
import type { Graph } from '../src/graph/graph.js';
import { OP_TYPES } from '../src/ops/registry.js';
import { buildModel } from '../src/models/zoo.js';
import { fuseBottlenecks } from '../src/plan/fuse-bottleneck.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { type AgreeOptions, defineOpCaseSuites, expectOutputsAgree, seededFeeds, tolerance } from './helpers/op-cases.js';
import { requireOracle } from './helpers/python.js';

let available = false;
let why = '';

beforeAll(async () => {
  try {
    await sharedGpu();
    available = true;
  } catch (e) {
    if (!(e instanceof GpuError)) throw e;
    why = e.message;
  }
}, 60_000);

afterAll(() => releaseSharedGpu());

/**
 * Runs the graph on the reference backend and (twice: no run may depend on what the last
 * left) on WebGPU with seeded inputs in [low, high), and compares every output; with
 * `fused`, also compiled with the graph passes, each run held to the plain reference.
 */
async function agree(g: Graph, options: AgreeOptions = {}): Promise<void> {
  const feeds = seededFeeds(g, options);
  const ref = await referenceBackend.compile(g, { optimize: false });
  const want = await ref.run(feeds);
  ref.dispose();
  for (const optimize of options.fused ? [false, true] : [false]) {
    const exe = await (webgpuBackend as Backend).compile(g, { ...options.compile, optimize });
    await exe.run(feeds);
    const got = await exe.run(feeds);
    exe.dispose();
    expectOutputsAgree(g.outputs, got, want, tolerance(g, feeds, 'webgpu'), options.exact, options.special);
  }
}

/** `it`, skipped when there is no adapter (the first test below fails under CI then). */
function gpuIt(name: string, fn: () => Promise<unknown>): void {
  it(name, async (ctx) => {
    if (!available) return ctx.skip();
    await fn();
  });
}

describe('webgpu kernels', () => {
  it('finds a WebGPU adapter (required under CI)', (ctx) => {
    if (!requireOracle(available, `a WebGPU adapter (${why})`, "Debian's chromium package (SwiftShader) and the npm package webgpu")) {
      return ctx.skip();
    }
  });

  it('has a kernel for every op of the IR', () => {
    expect(OP_TYPES.filter((op) => !GPU_KERNELS.has(op))).toEqual([]);
  });

  gpuIt('runs a graph holding invertedresidual nodes (the wasm pass made them) as the reference does', async () => {
    // MobileNetV2 at 32x32: blocks with and without an expand conv, strides 1 and 2, residuals.
    const fused = fuseBottlenecks(optimizeGraph(buildModel('mobilenetv2', { batch: 1, height: 32, width: 32 })).graph);
    expect(fused.blocks.length).toBe(17);
    const g = fused.graph;
    const feeds = seededFeeds(g);
    const ref = await referenceBackend.compile(g, { optimize: false });
    const want = await ref.run(feeds);
    ref.dispose();
    const exe = await webgpuBackend.compile(g, { optimize: false });
    const got = await exe.run(feeds);
    exe.dispose();
    expectOutputsAgree(g.outputs, got, want, tolerance(g, feeds, 'webgpu'));
  });
});

defineOpCaseSuites({
  backend: 'webgpu',
  test: gpuIt,
  agree,
  compile: (g, options) => webgpuBackend.compile(g, { ...options, optimize: false }),
  exactMaxAndCopies: true,
});
