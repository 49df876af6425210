/**
 * The fuzz run: generates cases (seeded), runs them in the worker pool, classifies the
 * outcomes, reduces and saves every failing input as a reproducer, and writes a summary.
 *
 * Outcomes: ok | typed (a WebconvError, counted by code) | untyped (anything else thrown: a
 * defect) | crash (the worker died) | hang (over the time limit) | oom (over the RSS cap) |
 * disagree (backends, or an oracle, disagree) | disagree-weights (backends disagree on a model
 * whose weight values were mutated: reported, not a failure, as float32 arithmetic may differ
 * at values like 3.4e38) | fuzzer-bug (the generator itself threw).
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { buildCase, caseSeed, KINDS } from './cases.mjs';
import { Pool } from './pool.mjs';
import { mixSeed } from './rng.mjs';

export const OUTCOMES = ['ok', 'typed', 'untyped', 'crash', 'hang', 'oom', 'disagree', 'disagree-weights', 'fuzzer-bug'];
export const FAILURES = ['untyped', 'crash', 'hang', 'oom', 'disagree', 'fuzzer-bug'];

const b64 = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('base64');
const unb64 = (s) => new Uint8Array(Buffer.from(s, 'base64'));

/** Expectations (typed arrays inside, at any depth) to JSON and back. */
function expectToJson(e) {
  if (e === undefined || e === null) return e;
  if (ArrayBuffer.isView(e)) return { $bytes: b64(new Uint8Array(e.buffer, e.byteOffset, e.byteLength)), type: e.constructor.name };
  if (Array.isArray(e)) return e.map(expectToJson);
  if (typeof e === 'object') return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, expectToJson(v)]));
  return e;
}
function expectFromJson(e) {
  if (e === undefined || e === null) return e;
  if (Array.isArray(e)) return e.map(expectFromJson);
  if (typeof e === 'object') {
    if ('$bytes' in e) {
      const u8 = unb64(e.$bytes);
      return e.type === 'Float32Array' ? new Float32Array(u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength)) : u8;
    }
    return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, expectFromJson(v)]));
  }
  return e;
}

/** What makes two failures "the same": used to deduplicate and by the reducer. */
export function signature(kind, r) {
  const msg = String(r.message ?? '')
    .replace(/'[^']*'/g, "'_'")
    .replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi, 'N')
    .replace(/\[[^\]]*\]/g, '[_]')
    .slice(0, 120);
  switch (r.outcome) {
    case 'untyped':
      return `${kind}|untyped|${r.name}|${r.frame ?? ''}|${msg.split(':')[0]}`;
    case 'disagree':
      return `${kind}|disagree|${msg.replace(/ output .*/, '').slice(0, 60)}${/\[NaN\]/.test(r.message) ? '|NaN' : ''}`;
    case 'crash':
      return `${kind}|crash|${msg.slice(0, 60)}`;
    default:
      return `${kind}|${r.outcome}`;
  }
}

const extFor = (kind, bytes) => {
  if (kind === 'onnx') return 'onnx';
  if (kind === 'npy') return 'npy';
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpg';
  return 'bin';
};

function emptyCounts() {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
}

/**
 * Runs a fuzz campaign.
 * @param {object} o
 * @param {number} o.cases total cases (spread over the kinds in turn)
 * @param {number} o.seed
 * @param {string[]} [o.kinds]
 * @param {number} [o.jobs]
 * @param {string} [o.out] directory for reproducers and summary.json (none when absent)
 * @param {number} [o.timeoutMs] per case
 * @param {number} [o.rssMiB] per worker
 * @param {number} [o.gpuEvery] check webgpu on every Nth valid ONNX model (0: never)
 * @param {boolean} [o.reduce] minimise failing inputs
 * @param {number} [o.reduceBudget] most re-runs spent reducing one failure
 * @param {number} [o.first] index of the first case (to resume or shard)
 * @param {(line: string) => void} [o.log]
 */
export async function runFuzz(o) {
  const opts = {
    kinds: KINDS,
    jobs: 2,
    timeoutMs: 10_000,
    rssMiB: 1536,
    gpuEvery: 25,
    reduce: true,
    reduceBudget: 40,
    first: 0,
    log: () => {},
    ...o,
  };
  const { seed, kinds, log } = opts;
  const t0 = Date.now();
  const pool = new Pool({ jobs: opts.jobs, timeoutMs: opts.timeoutMs, rssMiB: opts.rssMiB });
  await pool.start();
  const counts = Object.fromEntries(kinds.map((k) => [k, emptyCounts()]));
  const typedCodes = Object.fromEntries(kinds.map((k) => [k, {}]));
  const failures = [];
  const stats = { ran: 0, webgpu: 0, notRun: 0, exportSkipped: 0 };
  let validOnnx = 0;
  const slow = [];
  /** Disagreements on mutated weight values: not failures, but listed (case, mutations, message). */
  const weightDisagreements = [];
  let peakRss = 0;
  let done = 0;
  let lastLog = 0;

  const progress = (force = false) => {
    const now = Date.now();
    if (!force && now - lastLog < 2000) return;
    lastLog = now;
    const total = emptyCounts();
    for (const k of kinds) for (const oc of OUTCOMES) total[oc] += counts[k][oc];
    const secs = (now - t0) / 1000;
    log(`[${String(done).padStart(String(opts.cases).length)}/${opts.cases}] ${(done / secs).toFixed(1)} cases/s  ` + OUTCOMES.map((oc) => `${oc} ${total[oc]}`).join('  '));
  };

  const makeTask = (kind, index) => {
    const cs = caseSeed(seed, kind, index);
    let c;
    try {
      c = buildCase(kind, cs);
    } catch (e) {
      return { error: e, cs };
    }
    const valid = !c.plan.structural.length && !c.plan.bytes.length;
    const gpu = kind === 'onnx' && valid && opts.gpuEvery > 0 && validOnnx++ % opts.gpuEvery === 0;
    const task = { kind, bytes: c.bytes, expect: c.expect, gpu, inputSeed: mixSeed('input', cs) };
    return { c, cs, task };
  };

  const runOne = async (i) => {
    const kind = kinds[i % kinds.length];
    const made = makeTask(kind, i);
    let r;
    if (made.error) {
      r = { outcome: 'fuzzer-bug', message: `case generator threw: ${made.error.stack ?? made.error}`, notes: [] };
    } else {
      r = await pool.run(made.task, { timeoutMs: made.task.gpu ? opts.timeoutMs * 4 : opts.timeoutMs });
      if (r.outcome === 'disagree' && made.c.weightsMutated) r = { ...r, outcome: 'disagree-weights' };
    }
    counts[kind][r.outcome] = (counts[kind][r.outcome] ?? 0) + 1;
    if (r.outcome === 'typed') typedCodes[kind][r.code] = (typedCodes[kind][r.code] ?? 0) + 1;
    if (r.notes?.includes('ran')) stats.ran++;
    if (r.notes?.includes('webgpu')) stats.webgpu++;
    if (r.notes?.some((n) => n.startsWith('not run'))) stats.notRun++;
    slow.push({ kind, case: i, outcome: r.outcome, wallMs: r.wallMs ?? 0, rssMiB: r.rssMiB ?? 0, notes: r.notes ?? [] });
    slow.sort((a, b) => b.wallMs - a.wallMs);
    if (slow.length > 8) slow.pop();
    peakRss = Math.max(peakRss, r.rssMiB ?? 0);
    if (r.outcome === 'disagree-weights' && weightDisagreements.length < 50) {
      weightDisagreements.push({ kind, case: i, mutations: made.c.chain, message: String(r.message ?? '').slice(0, 300) });
    }
    if (FAILURES.includes(r.outcome)) failures.push({ kind, index: i, caseSeed: made.cs, c: made.c, task: made.task, result: r, signature: signature(kind, r) });
    done++;
    progress();
  };

  // keep a few more cases in flight than there are workers
  let next = opts.first;
  const end = opts.first + opts.cases;
  const lanes = Array.from({ length: opts.jobs * 2 }, async () => {
    while (next < end) await runOne(next++);
  });
  await Promise.all(lanes);
  if (lastLog < Date.now() - 100) progress(true);
  const fuzzSeconds = (Date.now() - t0) / 1000;

  // reduce (the first few of each signature) and save every failure
  const perSignature = new Map();
  const saved = [];
  for (const f of failures) {
    const n = (perSignature.get(f.signature) ?? 0) + 1;
    perSignature.set(f.signature, n);
    if (opts.reduce && f.c && n <= 2) {
      try {
        await reduceFailure(pool, f, opts);
      } catch (e) {
        f.reduceError = String(e?.stack ?? e);
      }
    }
    if (opts.out) saved.push(saveReproducer(opts.out, seed, f));
  }
  await pool.close();

  const seconds = (Date.now() - t0) / 1000;
  const summary = {
    seed,
    cases: opts.cases,
    first: opts.first,
    kinds,
    jobs: opts.jobs,
    seconds: Number(seconds.toFixed(1)),
    fuzzSeconds: Number(fuzzSeconds.toFixed(1)),
    casesPerSecond: Number((opts.cases / fuzzSeconds).toFixed(2)),
    timeoutMs: opts.timeoutMs,
    rssMiB: opts.rssMiB,
    counts,
    typedCodes,
    onnxModelsRun: stats.ran,
    onnxModelsCheckedOnWebgpu: stats.webgpu,
    onnxModelsTooBigToRun: stats.notRun,
    workersSpawned: pool.spawned,
    peakWorkerRssMiB: peakRss,
    slowestCases: slow,
    weightDisagreements,
    signatures: Object.fromEntries(perSignature),
    failures: failures.map((f, k) => ({
      kind: f.kind,
      case: f.index,
      outcome: f.result.outcome,
      signature: f.signature,
      message: String(f.result.message ?? '').slice(0, 400),
      file: saved[k],
    })),
    node: process.version,
    date: new Date().toISOString(),
  };
  if (opts.out) {
    mkdirSync(opts.out, { recursive: true });
    writeFileSync(join(opts.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  }
  return summary;
}

/** Re-runs a failure with parts of its plan removed while it still fails the same way. */
async function reduceFailure(pool, f, opts) {
  const original = { chain: f.c.chain, bytes: f.c.bytes.length };
  let plan = structuredClone(f.c.plan);
  let best = { c: f.c, task: f.task, result: f.result };
  let budget = f.result.outcome === 'hang' || f.result.outcome === 'oom' ? 6 : opts.reduceBudget;
  const attempt = async (candidate) => {
    if (budget-- <= 0) return false;
    let c;
    try {
      c = buildCase(f.kind, f.caseSeed, candidate);
    } catch {
      return false;
    }
    const task = { ...f.task, bytes: c.bytes, expect: c.expect };
    const r = await pool.run(task, { timeoutMs: task.gpu ? opts.timeoutMs * 4 : opts.timeoutMs });
    if (r.outcome !== f.result.outcome || signature(f.kind, r) !== f.signature) return false;
    best = { c, task, result: r };
    plan = candidate;
    return true;
  };
  // 1. drop mutations, last first
  for (const list of ['bytes', 'structural']) {
    for (let k = plan[list].length - 1; k >= 0 && budget > 0; k--) {
      const candidate = structuredClone(plan);
      candidate[list].splice(k, 1);
      await attempt(candidate);
    }
  }
  // 2. generated models: drop nodes while the failure persists
  if (f.kind === 'onnx' && best.c.nodes > 1) {
    for (let k = best.c.nodes - 1; k >= 0 && budget > 0; k--) {
      const candidate = structuredClone(plan);
      candidate.drop = [...(candidate.drop ?? []), k];
      await attempt(candidate);
    }
  }
  if (best.c !== f.c) {
    f.reducedFrom = original;
    f.c = best.c;
    f.task = best.task;
    f.result = best.result;
  }
}

function saveReproducer(out, seed, f) {
  mkdirSync(out, { recursive: true });
  const bytes = f.task?.bytes ?? new Uint8Array(0);
  const stem = `${f.kind}-${f.result.outcome}-s${seed}-c${f.index}`;
  const file = `${stem}.${extFor(f.kind, bytes)}`;
  writeFileSync(join(out, file), bytes);
  const meta = {
    kind: f.kind,
    file,
    seed,
    case: f.index,
    caseSeed: f.caseSeed,
    outcome: f.result.outcome,
    code: f.result.code,
    errorName: f.result.name,
    message: f.result.message,
    frame: f.result.frame,
    stack: f.result.stack,
    signature: f.signature,
    plan: f.c?.plan,
    mutations: f.c?.chain,
    reducedFrom: f.reducedFrom,
    reduceError: f.reduceError,
    run: { gpu: f.task?.gpu ?? false, inputSeed: f.task?.inputSeed ?? 0, expect: expectToJson(f.task?.expect) },
    rssMiB: f.result.rssMiB,
    wallMs: f.result.wallMs,
    replay: `npm run fuzz -- --replay ${join(resolve(out), `${stem}.json`)}`,
  };
  writeFileSync(join(out, `${stem}.json`), JSON.stringify(meta, null, 2) + '\n');
  return file;
}

/** The reproducers (.json beside their input) in a directory or a single .json file. */
export function listReproducers(path) {
  const p = resolve(path);
  if (p.endsWith('.json')) return [p];
  if (!existsSync(p)) return [];
  return readdirSync(p)
    .filter((f) => f.endsWith('.json') && f !== 'summary.json')
    .sort()
    .map((f) => join(p, f));
}

/** Replays reproducers in a pool: [{ file, meta, result }]. */
export async function replay(paths, { jobs = 2, timeoutMs = 10_000, rssMiB = 1536 } = {}) {
  const pool = new Pool({ jobs, timeoutMs, rssMiB });
  await pool.start();
  try {
    return await Promise.all(
      paths.map(async (jsonPath) => {
        const meta = JSON.parse(readFileSync(jsonPath, 'utf8'));
        const bytes = new Uint8Array(readFileSync(join(resolve(jsonPath, '..'), meta.file ?? basename(jsonPath).replace(/\.json$/, '.bin'))));
        const task = { kind: meta.kind, bytes, gpu: meta.run?.gpu ?? false, inputSeed: meta.run?.inputSeed ?? 0, expect: expectFromJson(meta.run?.expect) };
        const result = await pool.run(task, { timeoutMs: task.gpu ? timeoutMs * 4 : timeoutMs });
        return { file: jsonPath, meta, result };
      }),
    );
  } finally {
    await pool.close();
  }
}

/** Builds one case (for --case): its plan, mutation chain and bytes. */
export function describeCase(seed, kind, index) {
  const cs = caseSeed(seed, kind, index);
  const c = buildCase(kind, cs);
  return { caseSeed: cs, ...c };
}
