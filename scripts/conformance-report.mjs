#!/usr/bin/env node
// Regenerates test/fixtures/conformance-expected.json and docs/conformance.md from a run of
// ONNX's conformance data (Debian's libonnx-testdata) on every backend. The work is done
// by test/conformance.test.ts with UPDATE_CONFORMANCE=1, so the report and the test can
// never disagree about how a case is run. Review the diff before committing it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const r = spawnSync(process.execPath, [vitest, 'run', 'test/conformance.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, UPDATE_CONFORMANCE: '1' },
});
process.exit(r.status ?? 1);
