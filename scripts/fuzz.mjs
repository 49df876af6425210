#!/usr/bin/env node
/**
 * The fuzzer (issue 11). Feeds seeded, structure-aware mutations of ONNX models, .npy files
 * and PNG/JPEG images to the built SDK (dist/) in worker processes under a time and memory
 * cap, and reports the outcome of every case: ok, a typed error (by code), or a defect
 * (untyped error, crash, hang, out of memory, backends disagreeing).
 *
 *   npm run fuzz -- --cases 1000 --seed 7 [--kind onnx|npy|image|all] [--jobs 2] [--out dir]
 *   npm run fuzz -- --replay dir-or-file.json     replay reproducers (e.g. test/fixtures/fuzz)
 *   npm run fuzz -- --seed 7 --case 41 --kind onnx [--write file]   show (and write) one case
 *
 * Other options: --timeout ms (10000 per case; 4x for a webgpu check), --rss-mb MiB (1536
 * per worker), --gpu-every N (check webgpu on every Nth valid ONNX model, 25; 0 = never),
 * --no-reduce, --first i (index of the first case), --reduce-budget n (40 re-runs).
 * Exits 1 when a defect was found.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeCase, listReproducers, replay, runFuzz, OUTCOMES, FAILURES } from '../test/fuzz/runner.mjs';
import { KINDS } from '../test/fuzz/cases.mjs';

function parseArgs(argv) {
  const args = { cases: 300, seed: 1, kind: 'all', jobs: 2, timeout: 10_000, rssMb: 1536, gpuEvery: 25, reduce: true, first: 0, reduceBudget: 40 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    switch (a) {
      case '--cases': args.cases = int(); break;
      case '--seed': args.seed = int(); break;
      case '--kind': args.kind = value(); break;
      case '--jobs': args.jobs = Math.max(1, int()); break;
      case '--out': args.out = value(); break;
      case '--timeout': args.timeout = int(); break;
      case '--rss-mb': args.rssMb = int(); break;
      case '--gpu-every': args.gpuEvery = int(); break;
      case '--no-reduce': args.reduce = false; break;
      case '--reduce-budget': args.reduceBudget = int(); break;
      case '--first': args.first = int(); break;
      case '--replay': args.replay = value(); break;
      case '--case': args.case = int(); break;
      case '--write': args.write = value(); break;
      case '-h': case '--help':
        console.log('usage: npm run fuzz -- --cases N --seed S [--kind onnx|npy|image|all] [--jobs J] [--out dir] [--timeout ms] [--rss-mb MiB] [--gpu-every N] [--no-reduce]\n       npm run fuzz -- --replay <dir|file.json>\n       npm run fuzz -- --seed S --kind K --case I [--write file]');
        process.exit(0);
      default:
        throw new Error(`unknown option ${a} (try --help)`);
    }
  }
  if (args.kind !== 'all' && !KINDS.includes(args.kind)) throw new Error(`--kind must be ${KINDS.join(', ')} or all`);
  return args;
}

function table(summary) {
  const cols = OUTCOMES;
  const rows = summary.kinds.map((k) => [k, ...cols.map((c) => summary.counts[k][c] ?? 0)]);
  const total = ['total', ...cols.map((_, j) => rows.reduce((a, r) => a + r[j + 1], 0))];
  const all = [['kind', ...cols], ...rows, total];
  const widths = all[0].map((_, j) => Math.max(...all.map((r) => String(r[j]).length)));
  const line = (r) => r.map((v, j) => (j === 0 ? String(v).padEnd(widths[j]) : String(v).padStart(widths[j]))).join('  ');
  return [line(all[0]), ...rows.map(line), line(total)].join('\n');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));

  if (args.replay) {
    const files = listReproducers(args.replay);
    if (!files.length) throw new Error(`no reproducers (.json) in ${args.replay}`);
    const results = await replay(files, { jobs: args.jobs, timeoutMs: args.timeout, rssMiB: args.rssMb });
    let bad = 0;
    for (const { file, meta, result } of results) {
      const fine = result.outcome === 'ok' || result.outcome === 'typed';
      if (!fine) bad++;
      console.log(`${fine ? 'fixed ' : 'FAILS '} ${file}: ${result.outcome}${result.code ? ` ${result.code}` : ''} (was ${meta.outcome}) ${String(result.message ?? '').slice(0, 200)}`);
    }
    console.log(`${results.length - bad} of ${results.length} reproducers give ok or a typed error`);
    process.exit(bad ? 1 : 0);
  }

  if (args.case !== undefined) {
    const kind = args.kind === 'all' ? 'onnx' : args.kind;
    const c = describeCase(args.seed, kind, args.case);
    console.log(JSON.stringify({ kind, seed: args.seed, case: args.case, caseSeed: c.caseSeed, plan: c.plan, mutations: c.chain, bytes: c.bytes.length }, null, 2));
    if (args.write) writeFileSync(args.write, c.bytes);
    process.exit(0);
  }

  const kinds = args.kind === 'all' ? KINDS : [args.kind];
  const out = resolve(args.out ?? join(tmpdir(), 'webconv-fuzz', `seed-${args.seed}`));
  console.log(`fuzz: ${args.cases} cases, seed ${args.seed}, kinds ${kinds.join(', ')}, ${args.jobs} workers, ${args.timeout} ms / ${args.rssMb} MiB per case, out ${out}`);
  const summary = await runFuzz({
    cases: args.cases,
    seed: args.seed,
    kinds,
    jobs: args.jobs,
    out,
    timeoutMs: args.timeout,
    rssMiB: args.rssMb,
    gpuEvery: args.gpuEvery,
    reduce: args.reduce,
    reduceBudget: args.reduceBudget,
    first: args.first,
    log: (l) => console.log(l),
  });
  console.log('');
  console.log(table(summary));
  for (const k of summary.kinds) {
    const codes = Object.entries(summary.typedCodes[k]).map(([c, n]) => `${c} ${n}`).join(', ');
    if (codes) console.log(`typed errors (${k}): ${codes}`);
  }
  console.log(`${summary.cases} cases in ${summary.fuzzSeconds} s (${summary.casesPerSecond} cases/s, ${summary.jobs} workers); ` +
    `${summary.onnxModelsRun} ONNX models run on reference and wasm, ${summary.onnxModelsCheckedOnWebgpu} also on webgpu`);
  const failures = summary.failures;
  if (failures.length) {
    console.log(`\n${failures.length} failing inputs (${Object.keys(summary.signatures).length} distinct) saved in ${out}:`);
    const seen = new Set();
    for (const f of failures) {
      if (seen.has(f.signature)) continue;
      seen.add(f.signature);
      const n = summary.signatures[f.signature];
      console.log(`  ${f.outcome.padEnd(8)} x${n}  ${f.file}  ${f.message.slice(0, 160)}`);
    }
  }
  console.log(`summary: ${join(out, 'summary.json')}`);
  const defects = FAILURES.reduce((a, oc) => a + summary.kinds.reduce((b, k) => b + summary.counts[k][oc], 0), 0);
  process.exit(defects ? 1 : 0);
}

main().catch((e) => {
  console.error(`fuzz: ${e?.stack ?? e}`);
  process.exit(2);
});
