// The library is compiled by `tsc` (JavaScript + .d.ts in dist/); rollup then bundles the
// emitted ESM into one browser file. Node-only modules (the CLI, file access) are not
// reachable from src/index.ts, so the browser bundle never pulls them in. protobufjs ships
// CommonJS only, hence the commonjs plugin.
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';

export default [
  {
    input: 'dist/index.js',
    output: { file: 'dist/webconv.browser.js', format: 'es', sourcemap: true },
    plugins: [nodeResolve({ browser: true }), commonjs()],
  },
];
