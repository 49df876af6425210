import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The files that take longest (in a clean-clone CI run, 2026-12-02), started first so
 * that two workers finish together: vitest orders files it has no timings for by size, and
 * these are small files driving long WebGPU (SwiftShader) and PyTorch runs, which otherwise
 * start last and run alone. The rest keep vitest's order (timings of an earlier run, else size).
 */
const SLOWEST_FIRST = [
  'zoo-webgpu', 'zoo', 'torchvision-lightweight', 'webgpu-kernels', 'zoo-browser', 'webgpu-bottleneck',
  'pytorch-models', 'fashion-mnist', 'webgpu-winograd',
].map((name) => `test/${name}.test.ts`);

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOWEST_FIRST.findIndex((name) => f.moduleId.endsWith(name));
      return i < 0 ? SLOWEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Node 20 runs relaxed-SIMD wasm only behind this flag (browsers ship it): with it the
    // wasm tests exercise both builds, plain SIMD and relaxed SIMD.
    execArgv: ['--experimental-wasm-relaxed-simd'],
    testTimeout: 120_000,
    // Two files at a time (vitest's default is one fewer than the cores: one, here). The
    // heavy files wait on other processes much of the time (SwiftShader's threads, Chromium,
    // Python), and test/helpers/reference-cache.ts lets two files share reference outputs.
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirst },
    hookTimeout: 300_000,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
