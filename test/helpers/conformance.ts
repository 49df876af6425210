/**
 * Runs ONNX's backend conformance data (Debian's libonnx-testdata) through the importer and
 * every registered backend, and renders the results as docs/conformance.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import '../../src/backends/register-all.js';
import { backendNames, getBackend } from '../../src/backends/registry.js';
import { OnnxError, UnsupportedOpError } from '../../src/graph/errors.js';
import type { Graph } from '../../src/graph/graph.js';
import { importOnnx } from '../../src/onnx/import.js';
import { decodeTensorProto } from '../../src/onnx/tensor-proto.js';

/** The suites of the conformance data webconv runs (node/ and pytorch-converted/). */
export const SUITES = ['node', 'pytorch-converted'] as const;

/** Tolerance: |actual - expected| <= ATOL + RTOL * |expected|. */
export const RTOL = 1e-4;
export const ATOL = 1e-5;

/** Where the data is: $ONNX_TESTDATA, Debian's path, or wherever dpkg put it. */
export function findConformanceData(): string | undefined {
  const hasSuites = (dir: string) => SUITES.every((s) => existsSync(join(dir, s)));
  for (const dir of [process.env.ONNX_TESTDATA, '/usr/share/libonnx-testdata/data']) {
    if (dir && hasSuites(dir)) return dir;
  }
  const files = spawnSync('dpkg', ['-L', 'libonnx-testdata'], { encoding: 'utf8' }).stdout ?? '';
  const node = files.split('\n').find((l) => /\/data\/node$/.test(l));
  return node && hasSuites(join(node, '..')) ? join(node, '..') : undefined;
}

/** Every case, as "suite/test_name", sorted. */
export function listCases(root: string): string[] {
  return SUITES.flatMap((suite) =>
    readdirSync(join(root, suite))
      .filter((c) => c.startsWith('test_') && existsSync(join(root, suite, c, 'model.onnx')))
      .sort()
      .map((c) => `${suite}/${c}`),
  );
}

/** What one backend did with one case. */
export interface BackendResult {
  /** 'pass', or 'n/a: <why>' (no kernel), or 'fail: <why>' */
  readonly status: string;
  /** Largest |actual - expected| over every output of every data set. */
  readonly maxAbs?: number;
  /** Largest |actual - expected| / (ATOL + RTOL |expected|): <= 1 passes. */
  readonly worst?: number;
}

export interface CaseResult {
  readonly name: string;
  /** 'n/a: <importer message>' when the importer refuses the model as unsupported. */
  readonly imported: 'ok' | string;
  readonly backends: Record<string, BackendResult>;
}

/** A case's status on one backend, as recorded in the expectations file. */
export function statusOn(r: CaseResult, backend: string): string {
  return r.imported === 'ok' ? (r.backends[backend]?.status ?? 'fail: not run') : r.imported;
}

/** A case's data sets: input_i.pb and output_i.pb of each test_data_set_*, in order. */
export function dataSets(dir: string): { inputs: ReturnType<typeof decodeTensorProto>[]; outputs: ReturnType<typeof decodeTensorProto>[] }[] {
  const pbs = (d: string, prefix: string) =>
    readdirSync(d)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
      .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)))
      .map((f) => decodeTensorProto(readFileSync(join(d, f))));
  return readdirSync(dir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort()
    .map((d) => ({ inputs: pbs(join(dir, d), 'input_'), outputs: pbs(join(dir, d), 'output_') }));
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

async function runOn(backend: string, graph: Graph, sets: ReturnType<typeof dataSets>): Promise<BackendResult> {
  let exe;
  try {
    exe = await getBackend(backend).compile(graph);
  } catch (e) {
    if (e instanceof UnsupportedOpError) return { status: `n/a: ${e.message}` };
    return { status: `fail: compile: ${e instanceof Error ? e.message : String(e)}` };
  }
  const outputs: Record<string, { shape: readonly number[]; data: Float32Array }>[] = [];
  try {
    for (const [k, set] of sets.entries()) {
      if (set.inputs.length !== graph.inputs.length) return { status: `fail: data set ${k} has ${set.inputs.length} inputs, the graph ${graph.inputs.length}` };
      // input_i.pb feeds the i-th graph input that is not an initializer, as ONNX's runner does.
      const feeds = Object.fromEntries(graph.inputs.map((inp, i) => [inp.name, { shape: set.inputs[i].shape, data: set.inputs[i].data }]));
      outputs.push(await exe.run(feeds));
    }
  } catch (e) {
    return { status: `fail: run: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    exe.dispose();
  }
  return scoreOutputs(graph.outputs, outputs, sets);
}

/**
 * Holds a run's outputs (one record per data set, by output name) to the case's expected
 * outputs: 'pass' when every value is within ATOL + RTOL |expected| (NaN matching NaN).
 */
export function scoreOutputs(
  names: readonly string[],
  outputs: readonly Record<string, { shape: readonly number[]; data: Float32Array }>[],
  sets: ReturnType<typeof dataSets>,
): BackendResult {
  let maxAbs = 0;
  let worst = 0;
  for (const [k, set] of sets.entries()) {
    const out = outputs[k];
    if (!out) return { status: `fail: no outputs for data set ${k}` };
    for (const [i, expected] of set.outputs.entries()) {
      const name = names[i];
      const got = out[name];
      if (!got) return { status: `fail: no output '${name}'` };
      if (!sameShape(got.shape, expected.shape)) {
        return { status: `fail: output '${name}' has shape [${got.shape.join(', ')}], expected [${expected.shape.join(', ')}]` };
      }
      for (let j = 0; j < expected.data.length; j++) {
        const a = got.data[j];
        const b = expected.data[j];
        if (Number.isNaN(a) && Number.isNaN(b)) continue;
        if (a === b) continue; // infinities
        const err = Math.abs(a - b);
        const ratio = err / (ATOL + RTOL * Math.abs(b));
        if (!(ratio <= worst)) worst = Number.isNaN(ratio) ? Infinity : ratio;
        maxAbs = Math.max(maxAbs, Number.isNaN(err) ? Infinity : err);
      }
    }
  }
  if (worst > 1) return { status: `fail: max |error| ${maxAbs.toPrecision(3)} is ${worst.toPrecision(3)}x the tolerance`, maxAbs, worst };
  return { status: 'pass', maxAbs, worst };
}

/** Imports one case and runs it on the given backends (default: every registered one). */
export async function runCase(root: string, name: string, backends: readonly string[] = backendNames()): Promise<CaseResult> {
  const dir = join(root, name);
  let graph: Graph;
  try {
    graph = importOnnx(readFileSync(join(dir, 'model.onnx')), { name });
  } catch (e) {
    if (e instanceof OnnxError && e.kind === 'unsupported') return { name, imported: `n/a: ${e.message}`, backends: {} };
    return { name, imported: `fail: import: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, backends: {} };
  }
  const sets = dataSets(dir);
  const results: Record<string, BackendResult> = {};
  for (const b of backends) results[b] = await runOn(b, graph, sets);
  return { name, imported: 'ok', backends: results };
}

/** The expectations file: one status for every backend, or one per backend when they differ. */
export type Expectations = Record<string, string | Record<string, string>>;

export function expectationsOf(results: readonly CaseResult[]): Expectations {
  const out: Expectations = {};
  for (const r of results) {
    const per = Object.fromEntries(backendNames().map((b) => [b, statusOn(r, b)]));
    const values = new Set(Object.values(per));
    out[r.name] = values.size === 1 ? [...values][0] : per;
  }
  return out;
}

/** The expected status of a case on a backend, or undefined when the file does not say. */
export function expectedOn(e: Expectations, name: string, backend: string): string | undefined {
  const v = e[name];
  return typeof v === 'string' ? v : v?.[backend];
}

const fmt = (x: number | undefined) => (x === undefined ? '' : x === 0 ? '0' : x.toExponential(1));
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** docs/conformance.md: every case, its result per backend, and why the others do not apply. */
export function renderReport(results: readonly CaseResult[]): string {
  const names = backendNames();
  const run = results.filter((r) => r.imported === 'ok' || r.imported.startsWith('fail'));
  const na = results.filter((r) => r.imported.startsWith('n/a'));
  const passing = (b: string) => results.filter((r) => statusOn(r, b) === 'pass').length;
  let worst: { r: CaseResult; b: string; v: BackendResult } | undefined;
  for (const r of run) {
    for (const b of names) {
      const v = r.backends[b];
      if (v?.worst !== undefined && (!worst || v.worst > worst.v.worst!)) worst = { r, b, v };
    }
  }
  const lines = [
    '# ONNX conformance',
    '',
    "Generated by `node scripts/conformance-report.mjs` from ONNX's backend test data (Debian package",
    '`libonnx-testdata` 1.12: `data/node/` and `data/pytorch-converted/`). Each case is imported with',
    '`importOnnx`, run on every backend, and each output compared with ONNX\'s expected output:',
    `a value passes when |actual - expected| <= ${ATOL} + ${RTOL} |expected|. "worst" is the largest`,
    'error as a fraction of that tolerance (<= 1 passes); "max abs" the largest absolute error.',
    'A case is n/a when the importer refuses the model as unsupported (an op, a data type or a',
    'dimensionality webconv does not have); the reason is its error message.',
    '',
    `Cases: ${results.length}; imported and run: ${run.length}; n/a: ${na.length}.`,
    ...names.map((b) => `Passing on ${b}: ${passing(b)}.`),
    worst ? `Worst case: ${worst.r.name} on ${worst.b}, max abs error ${fmt(worst.v.maxAbs)}, ${fmt(worst.v.worst)} of the tolerance.` : '',
    '',
    '## Cases run',
    '',
    `| case | ${names.map((b) => `${b} | max abs | worst`).join(' | ')} |`,
    `|---|${names.map(() => '---|---:|---:').join('|')}|`,
    ...run.map((r) => `| ${r.name} | ${names.map((b) => {
      const v = r.backends[b];
      return `${cell(statusOn(r, b))} | ${fmt(v?.maxAbs)} | ${fmt(v?.worst)}`;
    }).join(' | ')} |`),
    '',
    '## Cases that do not apply',
    '',
    '| case | reason |',
    '|---|---|',
    ...na.map((r) => `| ${r.name} | ${cell(r.imported.slice('n/a: '.length))} |`),
    '',
  ];
  return lines.join('\n');
}
