/**
 * The fuzz suite (issue 11) at a fixed seed and a bounded number of cases: ONNX models,
 * .npy files and PNG/JPEG images, valid and mutated, fed to the built SDK (dist/) in worker
 * processes under a time and memory cap (test/fuzz/). Bad input must end in a typed error;
 * valid models must agree across backends. Also replays every reproducer saved in
 * test/fixtures/fuzz/ (regression fixtures).
 *
 * Longer runs: `npm run fuzz -- --cases 5000 --seed 7` (see scripts/fuzz.mjs).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listReproducers, replay, runFuzz, FAILURES } from './fuzz/runner.mjs';

/** Fixed: the same cases on every run. About 40-60 s on two shared cores (about 80 cases/s). */
const SEED = 20240611;
const CASES = 3000;

const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'fuzz');

describe('fuzz', () => {
  it(`${CASES} seeded cases (seed ${SEED}): no untyped error, crash, hang, out-of-memory or disagreement`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'webconv-fuzz-test-'));
    // 30 s a case (npm run fuzz uses 10): the suite runs beside another test file on two cores, and
    // a hang is one that never ends, not a slow case on a loaded machine.
    const summary = await runFuzz({ cases: CASES, seed: SEED, jobs: 2, out, reduce: true, reduceBudget: 12, gpuEvery: 40, timeoutMs: 30_000 });
    const lines = Object.entries(summary.counts).map(
      ([kind, c]) => `${kind.padEnd(6)} ${Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    );
    console.log(`fuzz seed ${SEED}: ${summary.cases} cases in ${summary.fuzzSeconds} s (${summary.casesPerSecond}/s)\n${lines.join('\n')}`);
    const failures = summary.failures;
    if (failures.length) console.log(`failing inputs in ${out}:\n${failures.map((f) => `  ${f.outcome} ${f.file}: ${f.message.slice(0, 200)}`).join('\n')}`);
    const totals = Object.fromEntries(
      FAILURES.map((oc) => [oc, Object.values(summary.counts).reduce((a, c) => a + (c[oc] ?? 0), 0)]),
    );
    expect(totals).toEqual({ untyped: 0, crash: 0, hang: 0, oom: 0, disagree: 0, 'fuzzer-bug': 0 });
    // the run did reach the backends: valid models were imported and run
    expect(summary.onnxModelsRun).toBeGreaterThan(50);
  }, 240_000);

  const fixtures = listReproducers(FIXTURES);
  it(`replays the ${fixtures.length} reproducers in test/fixtures/fuzz: each gives ok or a typed error`, async () => {
    if (!fixtures.length) return;
    const results = await replay(fixtures, { jobs: 2 });
    const report = results.map(({ file, meta, result }) => ({
      fixture: file.slice(FIXTURES.length + 1),
      was: meta.outcome,
      now: result.outcome === 'typed' ? `typed ${result.code}` : result.outcome,
      ...(result.outcome === 'ok' || result.outcome === 'typed' ? {} : { message: String(result.message ?? '').slice(0, 300) }),
    }));
    console.log(report.map((r) => `${r.fixture}: ${r.was} -> ${r.now}${r.message ? ` (${r.message})` : ''}`).join('\n'));
    expect(report.filter((r) => !(r.now === 'ok' || r.now.startsWith('typed')))).toEqual([]);
  }, 240_000);
});
