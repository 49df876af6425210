/**
 * qconv2d, the int8 convolution (issue 16): the wasm kernel (assembly/qconv.ts, on
 * i32x4.dot_i16x8_s) against the op's reference (src/ops/qconv2d.ts: integer sums in float64,
 * onnxruntime's float32 requantization), bit for bit, over the shapes that stress its im2col of
 * byte pairs and its blocks (odd K, channels not a multiple of 4, pixels not a multiple of 8,
 * padding, strides, dilation, groups, 7x7 stem), both 8-bit types on both sides, ReLU and Clip,
 * one and two threads; the int8 pass (src/plan/fuse-int8.ts) on a graph `quantizeModel` made;
 * and the WebGPU kernel (kernels/qconv2d.wgsl, dot4I8Packed or unpacked bytes) over the same
 * cases, bit for bit, and its float path (int8: false). onnxruntime-web's agreement on
 * whole quantized models is in quantized-models.test.ts.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { GraphBuilder } from '../src/graph/builder.js';
import type { Initializer, Node } from '../src/graph/graph.js';
import { finalizeGraph } from '../src/graph/validate.js';
import type { FusedActivation } from '../src/ops/fused-activation.js';
import { wasmBackend, type WasmCompileOptions } from '../src/backends/wasm/wasm-backend.js';
import { qconvExecutedMacs } from '../src/backends/wasm/kernels/qconv2d.js';
import type { NodeOf } from '../src/ops/attrs.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { fuseInt8Convs, lowerInt8Convs } from '../src/plan/fuse-int8.js';
import { quantizeModel } from '../src/quantize/quantize.js';
import { sharedGpu } from '../src/backends/webgpu/webgpu-backend.js';

/** A seeded generator of uniform numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
}

interface Case {
  name: string;
  n: number; c: number; h: number; w: number; m: number; k: [number, number];
  stride?: [number, number]; pads?: [number, number, number, number]; dilation?: [number, number]; groups?: number;
  xType?: 'int8' | 'uint8'; yType?: 'int8' | 'uint8'; activation?: FusedActivation; bias?: boolean;
  /** Weights in [100, 127]: sums too large for F(4x4)'s exactness bound, so Winograd takes F(2x2). */
  heavy?: boolean;
  /** Biases near 2^24 grid steps: a depthwise conv's float32 sums would not be exact, so it takes the GEMM. */
  hugeBias?: boolean;
}

const CASES: Case[] = [
  { name: '1x1, 16 -> 8 (the image in channel pairs, no im2col)', n: 1, c: 16, h: 8, w: 8, m: 8, k: [1, 1] },
  { name: '1x1, 7 channels (a zero-completed pair), 5x7 pixels, int8 in', n: 2, c: 7, h: 5, w: 7, m: 6, k: [1, 1], xType: 'int8' },
  { name: '1x1 stride 2 (im2col)', n: 1, c: 6, h: 9, w: 9, m: 5, k: [1, 1], stride: [2, 2] },
  { name: '3x3 pad 1, odd K (3 channels), 5 outputs', n: 2, c: 3, h: 9, w: 11, m: 5, k: [3, 3], pads: [1, 1, 1, 1], activation: { op: 'relu' } },
  { name: '3x3 stride 2, asymmetric pads, int8 in and out', n: 1, c: 12, h: 13, w: 10, m: 6, k: [3, 3], stride: [2, 2], pads: [0, 1, 1, 0], xType: 'int8', yType: 'int8' },
  { name: '7x7 stride 2 pad 3 (a ResNet stem), clip', n: 1, c: 3, h: 20, w: 18, m: 8, k: [7, 7], stride: [2, 2], pads: [3, 3, 3, 3], activation: { op: 'clip', min: 0, max: 2 } },
  { name: '3x3 dilation 2, groups 2, no bias', n: 1, c: 8, h: 12, w: 12, m: 6, k: [3, 3], dilation: [2, 2], pads: [2, 2, 2, 2], groups: 2, bias: false },
  { name: '1x3 on a wide row (vector im2col runs), 70 output pixels a row', n: 1, c: 6, h: 2, w: 72, m: 9, k: [1, 3], xType: 'int8' },
  { name: '3x3 stride 2 pad 1 on 40 wide (vector runs of every other byte)', n: 1, c: 5, h: 7, w: 40, m: 6, k: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], activation: { op: 'relu' } },
  { name: '3x3 pad 1 on 56 wide (runs of 56, tiles of 64)', n: 1, c: 4, h: 9, w: 56, m: 4, k: [3, 3], pads: [1, 1, 1, 1], yType: 'int8', activation: { op: 'relu' } },
  // Winograd F(2x2, 3x3) on integers (3x3, stride 1, one group, >= 4 channels): odd output sides
  // (partial tiles), odd channels (a zero-completed pair), more tiles than a block holds.
  { name: 'Winograd: 3x3 pad 1, 5 channels, 9x11 output', n: 2, c: 5, h: 9, w: 11, m: 7, k: [3, 3], pads: [1, 1, 1, 1], activation: { op: 'relu' } },
  { name: 'Winograd: 3x3 no padding, 8 channels, 18x21 output (120 tiles)', n: 1, c: 8, h: 20, w: 23, m: 4, k: [3, 3], xType: 'int8', yType: 'int8' },
  { name: 'Winograd: 3x3 asymmetric pads, 64 channels (pairs), 6x5 output', n: 1, c: 64, h: 6, w: 5, m: 12, k: [3, 3], pads: [0, 1, 1, 0] },
  // F(4x4, 3x3) where its sums stay exact and its tiles pay; F(2x2) where the weights' sums are too large.
  { name: 'Winograd: 3x3 pad 1, 24 channels, 21x19 output, 2 images', n: 2, c: 24, h: 21, w: 19, m: 9, k: [3, 3], pads: [1, 1, 1, 1], activation: { op: 'relu' } },
  { name: 'Winograd: 3x3 no padding, 5 channels (a lone last one), 28x34 output (rows of 4 tiles by vector)', n: 1, c: 5, h: 30, w: 36, m: 6, k: [3, 3], xType: 'int8' },
  { name: 'Winograd: 3x3 pad 1, 6 channels, 10x26 output (rows of 7 tiles: 4 and 3 by vector)', n: 1, c: 6, h: 10, w: 26, m: 5, k: [3, 3], pads: [1, 1, 1, 1], yType: 'int8' },
  { name: 'Winograd: 3x3 pad 1, 7 channels, 9x22 output (rows of 6 tiles: 4 and 2 by vector)', n: 1, c: 7, h: 9, w: 22, m: 4, k: [3, 3], pads: [1, 1, 1, 1], xType: 'int8' },
  { name: 'Winograd: 3x3 pad 1, 136 channels of weights in [100, 127], 12x12 output', n: 1, c: 136, h: 12, w: 12, m: 5, k: [3, 3], pads: [1, 1, 1, 1], heavy: true },
  // Depthwise (one input channel a group): the float32 depthwise kernel's int8 path
  // (assembly/dwconv.ts), exact integer sums on float lanes; the GEMM where the bias is too large.
  { name: 'depthwise 3x3 pad 1, 12 channels, ReLU6 (MobileNet), 2 images', n: 2, c: 12, h: 9, w: 11, m: 12, k: [3, 3], pads: [1, 1, 1, 1], groups: 12, activation: { op: 'clip', min: 0, max: 6 } },
  { name: 'depthwise 3x3 stride 2, pads bottom and right, int8 in and out', n: 1, c: 8, h: 13, w: 14, m: 8, k: [3, 3], stride: [2, 2], pads: [0, 0, 1, 1], groups: 8, xType: 'int8', yType: 'int8' },
  { name: 'depthwise 5x5 pad 2 (EfficientNet), 7 channels, ReLU', n: 1, c: 7, h: 10, w: 13, m: 7, k: [5, 5], pads: [2, 2, 2, 2], groups: 7, activation: { op: 'relu' } },
  { name: 'depthwise, 2 outputs a channel, dilation 2, no bias', n: 1, c: 5, h: 11, w: 9, m: 10, k: [3, 3], dilation: [2, 2], pads: [2, 2, 2, 2], groups: 5, bias: false },
  // A quantized Gemm, which the int8 pass makes a 1x1 qconv2d on a 1x1 image: qu8_fc__wasmsimd.
  { name: 'fc (1x1 on a 1x1 image), 37 -> 10, 3 images', n: 3, c: 37, h: 1, w: 1, m: 10, k: [1, 1] },
  { name: 'fc, 512 -> 1000 (ResNet-18\'s classifier), int8 in and out, ReLU', n: 1, c: 512, h: 1, w: 1, m: 1000, k: [1, 1], xType: 'int8', yType: 'int8', activation: { op: 'relu' } },
  { name: 'depthwise 3x3 with biases near 2^24 steps (the GEMM)', n: 1, c: 6, h: 7, w: 7, m: 6, k: [3, 3], pads: [1, 1, 1, 1], groups: 6, hugeBias: true },
];

/** A 3x3 stride-1 case's output height and width. */
const outputSide = (t: Case) => [t.h + (t.pads ? t.pads[0] + t.pads[2] : 0) - 2, t.w + (t.pads ? t.pads[1] + t.pads[3] : 0) - 2];

/**
 * The Winograd kernel a case runs on wasm (src/backends/wasm/kernels/qconv2d.ts): F(4x4) where
 * it executes fewer products than F(2x2) and its sums are exact (not the heavy weights).
 */
function winogradTile(t: Case): 2 | 4 {
  const [oh, ow] = outputSide(t);
  const blocks = (m: number) => Math.ceil((Math.ceil(oh / m) * Math.ceil(ow / m)) / 8) * 8;
  return !t.heavy && 36 * blocks(4) < 16 * blocks(2) ? 4 : 2;
}

/** Whether a case runs on the depthwise kernel on wasm (src/backends/wasm/kernels/qconv2d.ts qconvDepthwise). */
const depthwise = (t: Case) => t.groups === t.c && t.c > 1 && !t.hugeBias;

/** Whether a case runs by Winograd on wasm (src/backends/wasm/kernels/qconv2d.ts qconvWinograd). */
const winograd = (t: Case) => t.k[0] === 3 && t.k[1] === 3 && !t.stride && !t.dilation && (t.groups ?? 1) === 1 && t.c >= 4;

/** A graph of one qconv2d node with random integer weights and grids; its input spans the grid and beyond (saturation), with a NaN. */
function qconvCase(t: Case, seed: number): { graph: ReturnType<typeof finalizeGraph>; x: Float32Array } {
  const r = rng(seed);
  const groups = t.groups ?? 1;
  const wShape = [t.m, t.c / groups, ...t.k];
  const wCount = wShape.reduce((a, b) => a * b, 1);
  const inits = new Map<string, Initializer>([
    ['w', { name: 'w', shape: wShape, trainable: true, data: Float32Array.from({ length: wCount }, () => (t.heavy ? 100 + Math.floor(r() * 28) : Math.floor(r() * 256) - 128)) }],
    ['ws', { name: 'ws', shape: [t.m], trainable: false, data: Float32Array.from({ length: t.m }, () => 0.002 + 0.01 * r()) }],
  ]);
  // A huge bias on the first channel: over 2^24 steps of xScale * wScale (at most 0.05 * 0.012).
  const bias = (_: unknown, m: number) => (t.hugeBias && m === 0 ? 10_000 : (r() - 0.5) * 4);
  if (t.bias !== false) inits.set('b', { name: 'b', shape: [t.m], trainable: true, data: Float32Array.from({ length: t.m }, bias) });
  const xType = t.xType ?? 'uint8';
  const yType = t.yType ?? 'uint8';
  const xScale = 0.05;
  const node: Node = {
    name: 'q', op: 'qconv2d', inputs: ['x', 'w', 'ws', ...(t.bias !== false ? ['b'] : [])], outputs: ['y'], layer: 'q',
    attrs: {
      kernel: t.k, stride: t.stride ?? [1, 1], pads: t.pads ?? [0, 0, 0, 0], dilation: t.dilation ?? [1, 1], groups,
      ...(t.activation ? { activation: t.activation } : {}),
      xScale, xZeroPoint: xType === 'uint8' ? 119 : -7, xType,
      yScale: 0.37, yZeroPoint: yType === 'uint8' ? 131 : 3, yType,
    },
  };
  const graph = finalizeGraph('qconv', [{ name: 'x', shape: [t.n, t.c, t.h, t.w] }], ['y'], [node], inits);
  const x = Float32Array.from({ length: t.n * t.c * t.h * t.w }, () => (r() - 0.5) * 300 * xScale);
  x[Math.floor(x.length / 3)] = NaN;
  return { graph, x };
}

/** How many outputs differ from the reference's, bit for bit (Object.is: -0 is not +0); the lengths must agree. */
function bitDifferences(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let differ = 0;
  for (let k = 0; k < got.length; k++) if (!Object.is(got[k], want[k])) differ++;
  return differ;
}

describe('qconv2d on wasm equals its reference, bit for bit', () => {
  for (const [i, t] of CASES.entries()) {
    for (const threads of [1, 2]) {
      it(`${t.name}, ${threads} thread(s)`, async () => {
        const { graph, x } = qconvCase(t, 1000 + i);
        const ref = await getBackend('reference').compile(graph);
        const wasm = await getBackend('wasm').compile(graph, { threads });
        try {
          const want = (await ref.run(x)).y.data;
          const got = (await wasm.run(x)).y.data;
          expect(wasm.profile().map((p) => p.op)).toEqual(['qconv2d']);
          expect(bitDifferences(got, want)).toBe(0);
          // The MAC counter counts what the benchmark predicts the kernels execute (padded blocks, Winograd).
          const counted = (await wasm.counters!(x)).get('q');
          expect(counted).toBe(qconvExecutedMacs(graph.nodes[0] as NodeOf<'qconv2d'>, graph, threads));
          // The depthwise kernel executes each window's taps, no more: the cost model's MACs; the GEMM, padded blocks of 4 channels.
          const taps = t.n * t.m * graph.shape('y')[2] * graph.shape('y')[3] * t.k[0] * t.k[1];
          if (t.groups === t.c) expect(counted === taps).toBe(depthwise(t));
          // The outputs lie on the grid, and use more than a few of its steps (nothing degenerate).
          const steps = new Set(Array.from(want, (v) => Math.round(v / 0.37)));
          expect(steps.size).toBeGreaterThan(t.activation?.op === 'clip' ? 3 : 8);
          if (winograd(t)) {
            // The MAC counters (what the kernels execute) say which ran; direct agrees bit for bit too.
            // On one thread, Winograd F(m x m) executes (m + 2)^2 products per tile, channel pair and
            // 4 output channels by 8 tiles: 36 a 4x4 tile where direct takes 144, 16 a 2x2 tile where direct takes 36.
            const direct = await wasmBackend.compile(graph, { threads, winograd: false } as WasmCompileOptions);
            try {
              expect(Array.from((await direct.run(x)).y.data)).toEqual(Array.from(want));
              const [wm, dm] = [(await wasm.counters!(x)).get('q')!, (await direct.counters!(x)).get('q')!];
              expect(wm).toBeLessThan(0.75 * dm);
              if (threads === 1) {
                const m = winogradTile(t);
                const [oh, ow] = outputSide(t);
                const tiles = Math.ceil(oh / m) * Math.ceil(ow / m);
                expect(wm).toBe(t.n * Math.ceil(t.m / 4) * Math.ceil(t.c / 2) * 64 * (m + 2) ** 2 * Math.ceil(tiles / 8));
              }
            } finally {
              direct.dispose();
            }
          }
        } finally {
          ref.dispose();
          wasm.dispose();
        }
      });
    }
  }
});

/** A small CNN quantized by webconv's own quantizer: convs 3x3 and 1x1 with ReLU, a depthwise conv, a residual add, pooling, fc. */
async function quantizedCnn() {
  const b = new GraphBuilder('qcnn');
  const x = b.input('x', [2, 3, 16, 16]);
  const a = x.conv('c1', 8, 3, { pad: 1 }).relu();
  const d = a.conv('dw', 8, 3, { pad: 1, groups: 8 }).relu();
  const y = d.conv('c2', 8, 1).add(a).relu().conv('c3', 12, 3, { stride: 2, pad: 1 }).relu().globalAvgPool('gap').flatten().fc('fc', 10);
  const g = b.build([y]);
  const r = rng(5);
  const calib = Array.from({ length: 4 }, () => Float32Array.from({ length: 2 * 3 * 16 * 16 }, () => r() * 2 - 1));
  return { float: g, q: await quantizeModel(g, calib), input: calib[0] };
}

describe('the int8 pass', () => {
  it('runs the convs of a quantized graph on integers, the depthwise one included, but the one with the residual add in its epilogue; wasm equals the reference on the pass\'s graph, and stays within a few grid steps of the float file', async () => {
    const { q, input } = await quantizedCnn();
    const optimized = optimizeGraph(q.graph).graph;
    const fused = fuseInt8Convs(optimized);
    expect([...fused.convs].sort()).toEqual(['c1', 'c3', 'dw']);
    expect(fused.graph.nodes.filter((n) => n.op === 'conv2d').map((n) => n.name)).toEqual(['c2']);
    // Each fused conv took its output qdq along.
    expect(fused.graph.nodes.filter((n) => n.op === 'qdq').length).toBe(optimized.nodes.filter((n) => n.op === 'qdq').length - 3);
    const ref = await getBackend('reference').compile(fused.graph, { optimize: false });
    const wasm = await getBackend('wasm').compile(q.graph);
    const asWritten = await wasmBackend.compile(q.graph, { int8: false } as WasmCompileOptions);
    try {
      const want = (await ref.run(input))[ref.outputs[0].name].data;
      const got = (await wasm.run(input))[wasm.outputs[0].name].data;
      expect(wasm.profile().filter((p) => p.op === 'qconv2d').length).toBe(3);
      // The float ops (the conv with the residual add, the fc) sum in other orders (float64 in the
      // reference): equal to float32 rounding, where the int8 convs alone are equal bit for bit.
      const top = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(got.reduce((m, v, k) => Math.max(m, Math.abs(v - want[k])), 0)).toBeLessThanOrEqual(1e-5 * top);
      const float = (await asWritten.run(input))[asWritten.outputs[0].name].data;
      const peak = float.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const err = got.reduce((m, v, k) => Math.max(m, Math.abs(v - float[k])), 0);
      expect(peak).toBeGreaterThan(0);
      expect(err).toBeLessThanOrEqual(0.05 * peak);
    } finally {
      ref.dispose();
      wasm.dispose();
      asWritten.dispose();
    }
  });

  it('leaves a conv in float when its weights are off their int8 grid, or when it has no grid', async () => {
    const { q } = await quantizedCnn();
    const optimized = optimizeGraph(q.graph).graph;
    const c1 = optimized.nodes.find((n) => n.name === 'c1')!;
    const wName = c1.inputs[1];
    const w = optimized.initializers.get(wName)!;
    const nudged = Float32Array.from(optimized.weight(wName));
    nudged[0] += w.quantized!.scale[0] * 0.25; // a quarter step off
    const inits = new Map(optimized.initializers);
    inits.set(wName, { ...w, data: nudged, derive: undefined });
    const off = finalizeGraph('off', optimized.inputs, optimized.outputs, optimized.nodes, inits);
    expect(fuseInt8Convs(off).convs).not.toContain('c1');
    const { float } = await quantizedCnn();
    expect(fuseInt8Convs(optimizeGraph(float).graph).convs).toEqual([]);
  });
});

describe('qconv2d on WebGPU (kernels/qconv2d.wgsl) equals its reference, bit for bit', () => {
  /** The shared device, or a skip (an error under CI, where WebGPU must be there). */
  async function gpuOrSkip(ctx: { skip: () => void }) {
    try {
      return await sharedGpu();
    } catch {
      if (process.env.CI) throw new Error('a WebGPU adapter is required under CI');
      ctx.skip();
      return undefined;
    }
  }

  /** Runs a case on WebGPU (on `gpu`) and the reference; the count of outputs that differ (by Object.is), and the output. */
  async function againstReference(t: Case, seed: number, options: Record<string, unknown>) {
    const { graph, x } = qconvCase(t, seed);
    const ref = await getBackend('reference').compile(graph);
    const gpu = await getBackend('webgpu').compile(graph, options);
    try {
      const want = (await ref.run(x)).y.data;
      const got = (await gpu.run(x)).y.data;
      expect(gpu.profile().map((p) => p.op)).toEqual(['qconv2d']);
      return { differ: bitDifferences(got, want), want };
    } finally {
      ref.dispose();
      gpu.dispose();
    }
  }

  for (const [i, t] of CASES.entries()) {
    it(`${t.name} (dot4I8Packed)`, async (ctx) => {
      const gpu = await gpuOrSkip(ctx);
      if (!gpu) return;
      // SwiftShader lists the language feature; the test says which path it checked.
      expect(gpu.wgslFeatures).toContain('packed_4x8_integer_dot_product');
      const { differ, want } = await againstReference(t, 1000 + i, {});
      expect(differ).toBe(0);
      expect(new Set(Array.from(want, (v) => Math.round(v / 0.37))).size).toBeGreaterThan(t.activation?.op === 'clip' ? 3 : 8);
    });
  }

  for (const i of [1, 3, 6]) {
    it(`${CASES[i].name}, where the adapter lacks packed_4x8_integer_dot_product (bytes unpacked)`, async (ctx) => {
      const gpu = await gpuOrSkip(ctx);
      if (!gpu) return;
      const { differ } = await againstReference(CASES[i], 1000 + i, { gpu: { ...gpu, wgslFeatures: [] } });
      expect(differ).toBe(0);
    });
  }

  it('with int8: false runs the float conv between its qdq nodes, within a grid step of the integer kernel', async (ctx) => {
    if (!(await gpuOrSkip(ctx))) return;
    const { graph, x } = qconvCase(CASES[1], 77);
    const lowered = lowerInt8Convs(graph);
    expect(lowered.nodes.map((n) => n.op)).toEqual(['qdq', 'conv2d', 'qdq']);
    const float = await getBackend('webgpu').compile(graph, { int8: false } as Record<string, unknown>);
    const ints = await getBackend('webgpu').compile(graph);
    try {
      const want = (await ints.run(x)).y.data;
      const got = (await float.run(x)).y.data;
      expect(float.profile().map((p) => p.op)).toEqual(['qdq', 'conv2d', 'qdq']);
      let off = 0;
      for (let k = 0; k < got.length; k++) {
        expect(Math.abs(got[k] - want[k])).toBeLessThanOrEqual(0.37 * 1.001);
        if (got[k] !== want[k]) off++;
      }
      expect(off).toBeLessThanOrEqual(got.length * 0.01);
    } finally {
      float.dispose();
      ints.dispose();
    }
  });
});
