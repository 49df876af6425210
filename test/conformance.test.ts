/**
 * ONNX's own backend conformance data, run through the importer and every backend.
 * test/fixtures/conformance-expected.json records each case's status ('pass' or
 * 'n/a: <why>'); the run must match it exactly, and every case must be listed. To
 * regenerate it and docs/conformance.md: `node scripts/conformance-report.mjs`
 * (which runs this file with UPDATE_CONFORMANCE=1).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames, getBackend } from '../src/backends/registry.js';
import { releaseSharedGpu } from '../src/backends/webgpu/webgpu-backend.js';
import {
  expectationsOf, expectedOn, findConformanceData, listCases, renderReport, runCase, statusOn,
  type CaseResult, type Expectations,
} from './helpers/conformance.js';
import { requireOracle } from './helpers/python.js';

const EXPECTED = new URL('./fixtures/conformance-expected.json', import.meta.url);
const REPORT = new URL('../docs/conformance.md', import.meta.url);
const root = findConformanceData();
const available = requireOracle(root !== undefined, "ONNX's conformance data (Debian package libonnx-testdata)", 'apt-get install libonnx-testdata');
const update = process.env.UPDATE_CONFORMANCE === '1';

describe.skipIf(!available)('ONNX conformance (libonnx-testdata)', () => {
  let cases: string[];
  let results: CaseResult[];
  let expected: Expectations;
  /** The backends that can run here: webgpu needs an adapter (test/webgpu-device.test.ts fails under CI without one). */
  let backends: string[];

  beforeAll(async () => {
    backends = [];
    for (const b of backendNames()) {
      if (await getBackend(b).isAvailable()) backends.push(b);
      else console.warn(`conformance: backend ${b} is not available here; its cases are not checked`);
    }
    if (update && backends.length !== backendNames().length) throw new Error('regenerating the expectations needs every backend available');
    cases = listCases(root!);
    results = [];
    for (const c of cases) results.push(await runCase(root!, c, backends));
    if (update) {
      writeFileSync(EXPECTED, `${JSON.stringify(expectationsOf(results), null, 2)}\n`);
      writeFileSync(REPORT, renderReport(results));
    }
    expected = JSON.parse(readFileSync(EXPECTED, 'utf8')) as Expectations;
    const pass = results.filter((r) => backends.every((b) => statusOn(r, b) === 'pass')).length;
    console.log(`conformance on ${backends.join(', ')}: ${cases.length} cases, ${pass} pass on every backend, ${results.filter((r) => r.imported !== 'ok').length} n/a or not imported`);
  });

  afterAll(() => releaseSharedGpu());

  it('lists every case of the data in the expectations file, and nothing else', () => {
    expect(cases.length).toBeGreaterThan(900);
    expect(cases.filter((c) => !(c in expected))).toEqual([]);
    expect(Object.keys(expected).filter((c) => !cases.includes(c))).toEqual([]);
  });

  it('records every case as pass or n/a (none failing)', () => {
    const failing = Object.entries(expected).filter(([, v]) =>
      (typeof v === 'string' ? [v] : Object.values(v)).some((s) => s !== 'pass' && !s.startsWith('n/a: ')),
    );
    expect(failing).toEqual([]);
  });

  it('gives each case, on each backend, the recorded result', () => {
    const mismatches: string[] = [];
    for (const r of results) {
      for (const b of backends) {
        const want = expectedOn(expected, r.name, b);
        const got = statusOn(r, b);
        if (want !== got) mismatches.push(`${r.name} on ${b}: expected '${want}', got '${got}'`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('passes the cases whose ops webconv imports (CNN building blocks in 2-D)', () => {
    // A guard against the expectations file quietly turning passes into n/a.
    const must = [
      'node/test_basic_conv_with_padding', 'node/test_conv_with_autopad_same', 'node/test_maxpool_2d_same_upper',
      'node/test_averagepool_2d_pads_count_include_pad', 'node/test_batchnorm_example', 'node/test_gemm_all_attributes',
      'node/test_lrn', 'node/test_softmax_axis_1', 'node/test_concat_3d_axis_negative_1', 'node/test_flatten_negative_axis1',
      'pytorch-converted/test_Conv2d_groups', 'pytorch-converted/test_Linear', 'pytorch-converted/test_AvgPool1d',
    ];
    expect(must.filter((c) => statusOn(results.find((r) => r.name === c)!, 'reference') !== 'pass')).toEqual([]);
  });

  it('documents every case in docs/conformance.md', () => {
    expect(existsSync(REPORT)).toBe(true);
    const doc = readFileSync(REPORT, 'utf8');
    expect(Object.keys(expected).filter((c) => !doc.includes(`| ${c} |`))).toEqual([]);
  });
});
