/**
 * Winograd F(4x4, 3x3) on the WebGPU backend (src/backends/webgpu/kernels/winograd.ts): which
 * convs take it, single layers at the edges of its tiling against the reference backend
 * (float64), NaN and infinities in position, and whole zoo models within the zoo tests'
 * tolerance. The shared 3x3 stride-1 suite of test/helpers/op-cases.ts runs it too
 * (webgpu-kernels.test.ts, winograd 'all' and false). SwiftShader is slow: small inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Graph, Shape } from '../src/graph/graph.js';
import type { NodeOf } from '../src/ops/attrs.js';
import { referenceBackend } from '../src/backends/reference/reference-backend.js';
import { GpuError } from '../src/graph/errors.js';
import { conv2dKernel } from '../src/backends/webgpu/kernels/conv2d.js';
import { runsWinogradOnGpu } from '../src/backends/webgpu/kernels/winograd.js';
import type { GpuKernelContext } from '../src/backends/webgpu/kernel.js';
import type { GpuContext } from '../src/backends/webgpu/device.js';
import { releaseSharedGpu, sharedGpu, webgpuBackend, type WebgpuCompileOptions } from '../src/backends/webgpu/webgpu-backend.js';
import { getBackend } from '../src/backends/registry.js';
import { requireOracle } from './helpers/python.js';
import { constant, expectOutputsAgree, graphOf, node, seededFeeds, specials, tolerance } from './helpers/op-cases.js';
import { maxError, zooReference, type ZooCase } from './helpers/zoo-cases.js';

let available = false;
beforeAll(async () => {
  try {
    await sharedGpu();
    available = true;
  } catch (e) {
    if (!(e instanceof GpuError)) throw e;
  }
}, 60_000);
afterAll(() => releaseSharedGpu());

function gpuIt(name: string, fn: () => Promise<unknown>, timeout = 120_000): void {
  it(name, async (ctx) => {
    if (!requireOracle(available, 'a WebGPU adapter in Node', "Debian's chromium package (SwiftShader) and the npm package webgpu")) return ctx.skip();
    await fn();
  }, timeout);
}

const conv = (kernel: number[], stride: number[], pads: number[]) => ({ kernel, stride, pads, dilation: [1, 1], groups: 1 });

/** A 3x3 stride-1 conv with bias of x ([N, C, H, W]) to m channels, then an optional residual add of input r and an activation. */
function convGraph(x: Shape, m: number, pads: number[], tail: 'none' | 'residual+relu' | 'hardswish' | 'clip' = 'none'): Graph {
  const [n, c, h, w] = x;
  const y: Shape = [n, m, h + pads[0] + pads[2] - 2, w + pads[1] + pads[3] - 2];
  const inits = [constant('cw', [m, c, 3, 3], -0.5, 0.5), constant('cb', [m])];
  const cv = node(tail === 'none' ? 'y' : 'c', 'conv2d', ['x', 'cw', 'cb'], conv([3, 3], [1, 1], pads));
  if (tail === 'none') return graphOf({ x }, [cv], undefined, inits);
  if (tail === 'residual+relu') return graphOf({ x, r: y }, [cv, node('a', 'add', ['c', 'r']), node('y', 'relu', ['a'])], undefined, inits);
  if (tail === 'clip') return graphOf({ x }, [cv, node('y', 'clip', ['c'], { min: -0.5, max: 1 })], undefined, inits);
  return graphOf({ x }, [cv, node('y', 'hardswish', ['c'])], undefined, inits);
}

/** The kernels a conv node's dispatches run, prepared against a stand-in context (no device needed). */
function kernelsOf(g: Graph, winograd: boolean | 'all'): string[] {
  const n = g.nodes.find((x) => x.op === 'conv2d') as NodeOf<'conv2d'>;
  const ctx: GpuKernelContext = {
    graph: g,
    gpu: { limits: { maxComputeWorkgroupsPerDimension: 65535 } } as unknown as GpuContext,
    offset: () => 0,
    grid: () => [1, 1, 1],
    winograd,
    scratch: 0,
    constant: () => 0,
  };
  return conv2dKernel.prepare(n, ctx).map((d) => d.kernel);
}

const WINOGRAD = ['winograd', 'winograd-gemm', 'winograd'];

describe('webgpu Winograd F(4x4, 3x3): which convs take it', () => {
  it("'all' takes every 3x3 stride-1 conv with constant weights, false none, the default those the shape rule gives it (src/cost/winograd.ts)", () => {
    const small = convGraph([1, 5, 13, 11], 7, [1, 1, 1, 1]);
    const pays = convGraph([1, 16, 20, 20], 16, [1, 1, 1, 1]); // 25 tiles, 16 -> 16 channels
    const fewTiles = convGraph([1, 64, 7, 7], 64, [1, 1, 1, 1]); // 4 tiles
    expect(kernelsOf(small, 'all')).toEqual(WINOGRAD);
    expect(kernelsOf(small, true)).toEqual(['conv2d-direct']);
    expect(kernelsOf(pays, true)).toEqual(WINOGRAD);
    expect(kernelsOf(pays, false)).toEqual(['conv2d-direct']);
    expect(kernelsOf(fewTiles, true)).toEqual(['conv2d']);
    expect(kernelsOf(fewTiles, 'all')).toEqual(WINOGRAD);
    const strided = graphOf({ x: [1, 16, 20, 20] }, [node('y', 'conv2d', ['x', 'cw'], conv([3, 3], [2, 2], [1, 1, 1, 1]))], undefined, [constant('cw', [16, 16, 3, 3])]);
    const weightsAsInput = graphOf({ x: [1, 16, 20, 20], w: [16, 16, 3, 3] }, [node('y', 'conv2d', ['x', 'w'], conv([3, 3], [1, 1], [1, 1, 1, 1]))]);
    for (const g of [strided, weightsAsInput]) expect(runsWinogradOnGpu(g.nodes[0] as NodeOf<'conv2d'>, g, 'all')).toBe(false);
  });
});

describe('webgpu Winograd F(4x4, 3x3) against the reference backend', () => {
  /** Runs g on the reference backend and on WebGPU with the given option; returns WebGPU's outputs after checking them against the reference. */
  async function agree(g: Graph, winograd: boolean | 'all', options: { special?: boolean; fused?: boolean } = {}): Promise<Float32Array> {
    const feeds = seededFeeds(g, options.special ? { edit: specials(29) } : {});
    const ref = await referenceBackend.compile(g, { optimize: false });
    const want = await ref.run(feeds);
    ref.dispose();
    let out: Float32Array | undefined;
    for (const optimize of options.fused ? [false, true] : [false]) {
      const exe = await webgpuBackend.compile(g, { optimize, winograd } as WebgpuCompileOptions);
      const got = await exe.run(feeds);
      exe.dispose();
      expectOutputsAgree(g.outputs, got, want, tolerance(g, feeds, 'webgpu'), false, options.special);
      out = got[g.outputs[0]].data;
    }
    return out!;
  }

  // Sides not multiples of 4 (partial tiles), channels not multiples of 4 (partial GEMM tiles),
  // padding 0, 1 and asymmetric, batch 2, and every epilogue (bias, residual, activations).
  const CASES: readonly (readonly [string, Shape, number, number[], Parameters<typeof convGraph>[3]])[] = [
    ['15x17, batch 2, 18 -> 21 channels, pad 1, residual + relu', [2, 18, 15, 17], 21, [1, 1, 1, 1], 'residual+relu'],
    ['13x10, 20 -> 17 channels, pad 0, hardswish', [1, 20, 13, 10], 17, [0, 0, 0, 0], 'hardswish'],
    ['9x11, 6 -> 5 channels, pads (0, 1, 2, 1), clip', [1, 6, 9, 11], 5, [0, 1, 2, 1], 'clip'],
    ['30x29, 33 -> 70 channels, pad 1 (several GEMM tiles each way)', [1, 33, 30, 29], 70, [1, 1, 1, 1], 'none'],
  ];
  for (const [title, x, m, pads, tail] of CASES) {
    gpuIt(`conv2d ${title}: Winograd within tolerance, and not the direct path's bits`, async () => {
      const g = convGraph(x, m, pads, tail);
      const winograd = await agree(g, 'all', { fused: true });
      const direct = await agree(g, false);
      // Another path ran: the same values to the tolerance, not bit for bit.
      expect(winograd.some((v, i) => v !== direct[i])).toBe(true);
    });
  }

  gpuIt('NaN and infinities in the input land where the reference puts them (tiles computed directly)', async () => {
    const cases: readonly (readonly [Shape, number, number[]])[] = [[[2, 18, 15, 17], 21, [1, 1, 1, 1]], [[1, 16, 20, 20], 16, [0, 0, 0, 0]]];
    for (const [x, m, pads] of cases) await agree(convGraph(x, m, pads, 'residual+relu'), 'all', { special: true, fused: true });
  });
});

describe('webgpu Winograd F(4x4, 3x3) on zoo models, against the reference backend', () => {
  // The zoo tests' 'model' tolerance (1e-4 x max |reference|); the error relative to max |reference| is printed for the README.
  const cases: readonly (readonly [ZooCase, boolean | 'all'])[] = [
    [{ model: 'resnet18', batch: 1, side: 64, title: 'ResNet-18, 64x64' }, 'all'],
    [{ model: 'vgg-a', batch: 1, side: 64, title: 'VGG-11 (VGG-A), 64x64' }, true],
  ];
  for (const [c, winograd] of cases) {
    gpuIt(`${c.title}, winograd ${winograd}: within the zoo tolerance`, async () => {
      const { graph, input, expected, maxRef, bound } = await zooReference(c);
      const errors: number[] = [];
      for (const option of [winograd, false]) {
        const exe = await getBackend('webgpu').compile(graph, { winograd: option } as WebgpuCompileOptions);
        const actual = (await exe.run(input))[graph.outputs[0]].data;
        exe.dispose();
        errors.push(maxError(actual, expected));
      }
      console.log(`${c.title}: max |error| / max |reference|: Winograd ${(errors[0] / maxRef).toExponential(2)}, direct ${(errors[1] / maxRef).toExponential(2)}`);
      expect(errors[0]).toBeLessThanOrEqual(bound);
      expect(errors[1]).toBeLessThanOrEqual(bound);
    }, 600_000);
  }
});
