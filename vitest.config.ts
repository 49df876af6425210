import { defineConfig } from 'vitest/config';

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
    hookTimeout: 300_000,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
