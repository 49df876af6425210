/**
 * Every wasm kernel but conv2d/fc against the reference kernels, on the shared op cases
 * (test/helpers/op-cases.ts): small seeded-random graphs with the edge shapes that break
 * SIMD code: channels and widths not divisible by 4, ceil mode, asymmetric pads, both
 * count_include_pad rules, broadcasting of rank 0..6, softmax on every axis, batch > 1,
 * in-place chains and 1x1 inputs. Each graph runs with no graph passes and no fallback, so
 * the op itself runs in wasm. Max pooling over NaN and infinities must match exactly; the
 * rest to 1e-4 of max |reference|.
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import type { Graph } from '../src/graph/graph.js';
import { RELAXED_WASM_BASE64, SIMD_WASM_BASE64 } from '../src/backends/wasm/binary.generated.js';
import { type AgreeOptions, defineOpCaseSuites, expectOutputsAgree, seededFeeds } from './helpers/op-cases.js';

/**
 * Runs the graph on the reference backend and (twice: a kernel must not depend on state a
 * previous run left, in-place chains, scratch) on wasm with no fallback, with seeded inputs
 * in [low, high), and compares every output.
 */
async function agree(g: Graph, options: AgreeOptions = {}): Promise<void> {
  const feeds = seededFeeds(g, options);
  const ref = await getBackend('reference').compile(g, { optimize: false });
  const exe = await getBackend('wasm').compile(g, { optimize: false });
  expect(exe.info().fallbackNodes).toEqual([]);
  const want = await ref.run(feeds);
  await exe.run(feeds);
  const got = await exe.run(feeds);
  ref.dispose();
  exe.dispose();
  expectOutputsAgree(g.outputs, got, want, (maxRef) => 1e-4 * maxRef, options.exact);
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
    for (const b64 of [SIMD_WASM_BASE64, RELAXED_WASM_BASE64]) expect(sectionIds(Buffer.from(b64, 'base64'))).not.toContain(11);
  });
});

defineOpCaseSuites({
  backend: 'wasm',
  test: it,
  agree,
  compile: (g) => getBackend('wasm').compile(g, { optimize: false }),
  exactMaxAndCopies: false,
});
