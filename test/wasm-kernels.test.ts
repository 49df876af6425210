/**
 * Every wasm kernel but conv2d/fc against the reference kernels, on the shared op cases
 * (test/helpers/op-cases.ts): small seeded-random graphs with the edge shapes that break
 * SIMD code: channels and widths not divisible by 4, ceil mode, asymmetric pads, both
 * count_include_pad rules, broadcasting of rank 0..6, softmax on every axis, batch > 1,
 * in-place chains and 1x1 inputs, and every op over NaN and infinities (also fused into a
 * conv/fc epilogue). Each graph runs with no graph passes (and, for fused cases, with them)
 * and no fallback, so the op itself runs in wasm, in both builds (plain and relaxed SIMD).
 * Max pooling over NaN and infinities must match exactly; NaN and infinities in position;
 * the rest to 1e-4 of max |reference|.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import type { Graph, Shape } from '../src/graph/graph.js';
import { wasmBinary } from '../src/backends/wasm/wasm-module.js';
import { RELAXED_WASM_PATCH, SIMD_WASM } from '../src/backends/wasm/binary.generated.js';
import { withSharedMemory } from '../src/backends/wasm/shared-memory.js';
import type { WasmCompileOptions } from '../src/backends/wasm/wasm-backend.js';
import { type AgreeOptions, defineOpCaseSuites, expectOutputsAgree, seededFeeds, tolerance } from './helpers/op-cases.js';
import { WINOGRAD_CASES, winogradGraph } from './helpers/op-cases.js';
import { winogradBlock, winogradPays, winogradShape, winogradTiles } from '../src/backends/wasm/kernels/winograd.js';
import type { NodeOf } from '../src/ops/attrs.js';
import { costTable } from '../src/cost/summary.js';

/**
 * Runs the graph on the reference backend and (twice: a kernel must not depend on state a
 * previous run left, in-place chains, scratch) on wasm with no fallback, in both builds
 * (plain SIMD and relaxed SIMD: their min/max and multiply-add differ), with seeded inputs
 * in [low, high), and compares every output; with `fused`, also compiled with the graph
 * passes, each run held to the plain reference.
 */
async function agree(g: Graph, options: AgreeOptions = {}): Promise<void> {
  const feeds = seededFeeds(g, options);
  const ref = await getBackend('reference').compile(g, { optimize: false });
  const want = await ref.run(feeds);
  ref.dispose();
  for (const optimize of options.fused ? [false, true] : [false]) {
    for (const relaxedSimd of [false, true]) {
      const exe = await getBackend('wasm').compile(g, { optimize, relaxedSimd, ...options.compile } as WasmCompileOptions);
      expect(exe.info().fallbackNodes).toEqual([]);
      expect(exe.info().features.includes('relaxed-simd'), 'the build asked for').toBe(relaxedSimd);
      await exe.run(feeds);
      const got = await exe.run(feeds);
      exe.dispose();
      expectOutputsAgree(g.outputs, got, want, tolerance(g, feeds, 'wasm'), options.exact, options.special);
    }
  }
}

/** Ids of the sections of a wasm binary. */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  for (let i = 8; i < bytes.length; ) {
    ids.push(bytes[i++]);
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[i++];
      len |= (b & 127) << shift;
      if (!(b & 128)) break;
    }
    i += len;
  }
  return ids;
}

describe('the kernels module', () => {
  it('has no static data: the host lays out all of memory (Mathf.exp/pow tables would sit under the arena)', () => {
    for (const flavor of ['simd', 'relaxed-simd'] as const) expect(sectionIds(wasmBinary(flavor))).not.toContain(11);
  });

  it("decodes the embedded builds (plain as char codes, relaxed as a patch on it): byte for byte asc's own (build/)", () => {
    for (const [flavor, name] of [['simd', 'simd'], ['relaxed-simd', 'relaxed']] as const) {
      const asc = readFileSync(new URL(`../build/webconv-${name}.wasm`, import.meta.url));
      expect(Buffer.compare(Buffer.from(wasmBinary(flavor)), asc), name).toBe(0);
    }
  });

  it('embeds the relaxed build as the function bodies that differ from the plain one (a fraction of a whole build)', () => {
    expect(RELAXED_WASM_PATCH.charCodeAt(0), 'patch kind: 1 = function bodies, 0 = the whole binary').toBe(1);
    expect(RELAXED_WASM_PATCH.length).toBeLessThan(SIMD_WASM.length / 2);
  });

  it("derives the shared-memory builds from the embedded ones: byte for byte asc's own (build/)", () => {
    for (const [flavor, name] of [['simd', 'simd'], ['relaxed-simd', 'relaxed']] as const) {
      const asc = readFileSync(new URL(`../build/webconv-${name}-shared.wasm`, import.meta.url));
      const plain = Buffer.from(wasmBinary(flavor));
      expect(Buffer.compare(Buffer.from(withSharedMemory(plain)), asc), name).toBe(0);
      expect(Buffer.compare(plain, asc), name).not.toBe(0);
    }
    expect(() => withSharedMemory(withSharedMemory(wasmBinary('simd')))).toThrow(/already shared/);
  });
});

defineOpCaseSuites({
  backend: 'wasm',
  test: it,
  agree,
  compile: (g, options) => getBackend('wasm').compile(g, { ...options, optimize: false }),
  exactMaxAndCopies: false,
});

describe('wasm Winograd F(4x4, 3x3): which path ran, by the multiply-accumulates the kernels count', () => {
  const roundUp = (n: number, k: number) => Math.ceil(n / k) * k;
  /** Winograd's: per block of tiles, 36 GEMMs of (M rounded up to 4) x C x (the block's tiles rounded up to 8). */
  const winogradMacs = (g: Graph) => {
    const node = g.nodes.find((n) => n.op === 'conv2d') as NodeOf<'conv2d'>;
    const s = winogradShape(node, g);
    const { tiles } = winogradTiles(s);
    const nb = winogradBlock(s);
    let cols = 0;
    for (let q = 0; q < tiles; q += nb) cols += roundUp(Math.min(nb, tiles - q), 8);
    return g.inputs[0].shape[0] * 36 * roundUp(s.M, 4) * s.C * cols;
  };
  /** The direct path's: (M rounded up to 4) x 9C x pixels, in tiles of 64 pixels each rounded up to 8. */
  const directMacs = (g: Graph) => {
    const [n, m, oh, ow] = g.shape(g.outputs[0]);
    let cols = 0;
    for (let p = 0; p < oh * ow; p += 64) cols += roundUp(Math.min(64, oh * ow - p), 8);
    return n * roundUp(m, 4) * 9 * g.inputs[0].shape[1] * cols;
  };
  const counted = async (g: Graph, winograd: boolean | 'all') => {
    const exe = await getBackend('wasm').compile(g, { optimize: false, winograd } as WasmCompileOptions);
    const n = (await exe.counters!(seededFeeds(g))).get('y');
    exe.dispose();
    return n;
  };

  it("'all' runs every case by Winograd, false by the direct path, the default by the shape rule", async () => {
    const rule: [string, Shape, number, number[]] = ['20x20, 16 -> 16 channels: 25 tiles, which the rule gives Winograd', [1, 16, 20, 20], 16, [1, 1, 1, 1]];
    for (const c of [...WINOGRAD_CASES, rule]) {
      const g = winogradGraph(c);
      const node = g.nodes[0] as NodeOf<'conv2d'>;
      expect(await counted(g, 'all'), c[0]).toBe(winogradMacs(g));
      expect(await counted(g, false), c[0]).toBe(directMacs(g));
      const pays = winogradPays(winogradShape(node, g));
      if (c === rule) expect(pays).toBe(true);
      expect(await counted(g, true), c[0]).toBe(pays ? winogradMacs(g) : directMacs(g));
      // The cost model: the lecture's MACs, and beside them Winograd's, without block padding.
      const row = costTable(g).layers[1];
      expect(row.macs).toBe(g.shape('y').reduce((a, b) => a * b, 1) * 9 * c[1][1]);
      expect(row.winogradMacs).toBe(pays ? c[1][0] * 36 * c[1][1] * c[2] * winogradTiles(winogradShape(node, g)).tiles : undefined);
    }
  });
});
