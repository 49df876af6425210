/**
 * What cold start relies on (issue 14 item 4; bench/cold-start.bench.mjs measures it): the
 * kernels module compiled once per process and shared by every executable; ONNX weights
 * decoded when first asked for, not at import; the wasm memory made at its final size; the
 * Winograd weight transform in its structured form.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { kernelsModule } from '../src/backends/wasm/wasm-module.js';
import { transformWinogradWeights, WINOGRAD_G, winogradWeightsLength } from '../src/backends/wasm/kernels/winograd.js';
import { buildModel, exportOnnx, importOnnx, type Graph } from '../src/index.js';
import { mulberry32 } from '../src/graph/weight-init.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { seededInput } from './helpers/wasm.js';
import type { WasmCompileOptions } from '../src/backends/wasm/wasm-backend.js';

const wasm = getBackend('wasm');
const plainSimd: WasmCompileOptions = { relaxedSimd: false };
const out = async (exe: Awaited<ReturnType<typeof wasm.compile>>, g: Graph, x: Float32Array) => (await exe.run(x))[g.outputs[0]].data;

describe('the kernels module is compiled once per process', () => {
  afterEach(() => vi.restoreAllMocks());

  it('two executables share it, and dispose() of one leaves the other running', async () => {
    const g = importOnnx(exportOnnx(buildModel('resnet18', { height: 32, width: 32 })));
    const x = seededInput(g);
    const first = await wasm.compile(g, plainSimd);
    const expected = await out(first, g, x);
    const compile = vi.spyOn(WebAssembly, 'compile');
    const second = await wasm.compile(g, plainSimd);
    expect(compile).not.toHaveBeenCalled();
    expect(await kernelsModule('simd')).toBe(await kernelsModule('simd'));
    first.dispose();
    expect(await out(second, g, x)).toEqual(expected);
    const third = await wasm.compile(g, plainSimd);
    second.dispose();
    expect(await out(third, g, x)).toEqual(expected);
    third.dispose();
    expect(compile).not.toHaveBeenCalled();
  });

  it('20 compile / run / dispose cycles of an imported model: memory does not grow', async () => {
    // ~11 MB of weights (ResNet-18 at 64x64): a cycle that kept its wasm memory or the decoded
    // weights would add that much each time.
    const bytes = exportOnnx(buildModel('resnet18', { height: 64, width: 64 }));
    const x = seededInput(importOnnx(bytes));
    const cycle = async () => {
      const g = importOnnx(bytes);
      const exe = await wasm.compile(g, plainSimd);
      await exe.run(x);
      exe.dispose();
    };
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
      return process.memoryUsage().rss;
    };
    for (let i = 0; i < 5; i++) await cycle();
    const before = await settle();
    for (let i = 0; i < 20; i++) await cycle();
    const after = await settle();
    expect(after - before, `rss ${before} -> ${after}`).toBeLessThan(64 * 2 ** 20);
  }, 120_000);
});

describe('a compile after a dispose takes the disposed memory (its pages already resident)', () => {
  it('cleared and grown to the new plan: no new WebAssembly.Memory, the outputs of a fresh compile, the same size', async () => {
    const small = buildModel('lenet5');
    const large = buildModel('resnet18', { height: 32, width: 32 });
    const [xs, xl] = [seededInput(small), seededInput(large)];
    // Fresh compiles, held so that neither's memory is free: what each gives and measures.
    const freshSmall = await wasm.compile(small, plainSimd);
    const freshLarge = await wasm.compile(large, plainSimd);
    const want = { small: await out(freshSmall, small, xs), large: await out(freshLarge, large, xl) };
    const size = { small: freshSmall.memory().totalBytes, large: freshLarge.memory().totalBytes };
    expect(size.small).toBeLessThan(size.large);
    // Counts the memories made from here on (the instances stay WebAssembly.Memory).
    const Memory = WebAssembly.Memory;
    let made = 0;
    WebAssembly.Memory = class extends Memory {
      constructor(d: WebAssembly.MemoryDescriptor) {
        super(d);
        made++;
      }
    };
    try {
      // The small model's memory, full of its activations and weights, goes to the large one: grown.
      freshSmall.dispose();
      const grown = await wasm.compile(large, plainSimd);
      expect(made).toBe(0);
      expect(grown.memory().totalBytes).toBe(size.large);
      expect(await out(grown, large, xl)).toEqual(want.large);
      // A larger disposed memory is not given to a smaller plan (it cannot shrink): a new one.
      grown.dispose();
      const again = await wasm.compile(small, plainSimd);
      expect(made).toBe(1);
      expect(again.memory().totalBytes).toBe(size.small);
      expect(await out(again, small, xs)).toEqual(want.small);
      again.dispose();
      // The same plan again: the same memory, cleared.
      const third = await wasm.compile(small, plainSimd);
      expect(made).toBe(1);
      expect(await out(third, small, xs)).toEqual(want.small);
      third.dispose();
    } finally {
      WebAssembly.Memory = Memory;
      freshLarge.dispose();
    }
  });
});

describe('ONNX weights are decoded when first asked for', () => {
  it('import keeps them undecoded; a wasm compile packs them without the graph holding them; decoded, they are the file\'s values', async () => {
    // Batch norm folded before export, as PyTorch exports: a weight BN folding rewrites is
    // read (and kept) by the folded weight's derivation instead.
    const built = optimizeGraph(buildModel('resnet18', { height: 32, width: 32 })).graph;
    const g = importOnnx(exportOnnx(built));
    const convWeight = g.nodes.find((n) => n.op === 'conv2d')!.inputs[1];
    const init = g.initializers.get(convWeight)!;
    expect(init.data).toBeUndefined();
    const x = seededInput(g);
    // The wasm backend packs them from a staging buffer of its own: the graph never holds them.
    const exe = await wasm.compile(g, plainSimd);
    expect(init.data).toBeUndefined();
    expect(g.weight(convWeight)).toEqual(built.weight(convWeight));
    const reference = await (await getBackend('reference').compile(g)).run(x);
    const y = (await exe.run(x))[g.outputs[0]].data;
    const r = reference[g.outputs[0]].data;
    const scale = r.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (let i = 0; i < r.length; i++) expect(Math.abs(y[i] - r[i])).toBeLessThanOrEqual(1e-4 * scale);
    exe.dispose();
  });
  // A raw_data length that disagrees with the dims is still an error at import, before any
  // decoding: test/onnx-import.test.ts ("raw_data holds 12 bytes").
});

describe('Winograd weight transform', () => {
  it('equals G g G^T computed in float64 to one float32 rounding, with missing output channels zero', () => {
    for (const [M, C] of [[6, 5], [8, 3], [13, 17]]) {
      const next = mulberry32(M * 100 + C);
      const w = Float32Array.from({ length: M * C * 9 }, () => next() * 2 - 1);
      const u = transformWinogradWeights(w, C, M);
      expect(u.length).toBe(winogradWeightsLength(C, M));
      const MB = Math.ceil(M / 4);
      const plane = MB * C * 4;
      for (let m = 0; m < MB * 4; m++) {
        for (let c = 0; c < C; c++) {
          for (let i = 0; i < 6; i++) {
            for (let k = 0; k < 6; k++) {
              let exact = 0;
              if (m < M) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) exact += WINOGRAD_G[i][a] * w[((m * C + c) * 3 + a) * 3 + b] * WINOGRAD_G[k][b];
              const got = u[(6 * i + k) * plane + (Math.floor(m / 4) * C + c) * 4 + (m % 4)];
              if (m >= M) expect(got).toBe(0);
              else expect(Math.abs(got - exact)).toBeLessThanOrEqual(Math.abs(exact) * 2 ** -23 + 1e-12);
            }
          }
        }
      }
    }
  });
});
