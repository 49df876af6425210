/**
 * The fuzz worker: a child process (child_process.fork) that loads the built SDK once and
 * runs one case at a time, answering with how it ended. The parent (pool.mjs) watches its
 * RSS and its time, and kills and respawns it on a hang or too much memory; a crash is the
 * parent seeing it die.
 *
 * Message in:  { id, kind, bytes, expect?, gpu?, inputSeed }
 * Message out: { id, outcome: 'ok' | 'typed' | 'untyped' | 'disagree', code?, name?, message?, frame?, notes, ms }
 */
import { distUrl } from './paths.mjs';
import { mulberry32 } from './rng.mjs';

const sdk = await import(distUrl('node.js'));
const { WebconvError, importOnnx, parseNpy, encodeNpy, decodeImage, getBackend, costTable, exportOnnx, longestReduction } = sdk;

/** Models bigger than this are imported and compiled, not run (a run would only be slow, not wrong). */
const RUN_LIMITS = { activationBytes: 64 * 2 ** 20, flops: 3e8, weightBytes: 64 * 2 ** 20 };

class Disagreement extends Error {}

const sizeOf = (shape) => shape.reduce((a, d) => a * d, 1);

/** The first frame of a stack inside the SDK or its dependencies (the place a defect is). */
function frameOf(e) {
  const lines = String(e?.stack ?? '').split('\n').slice(1);
  const line = lines.find((l) => /\/(dist|node_modules|src)\//.test(l)) ?? lines[0] ?? '';
  return line.trim().replace(/^at /, '').replace(/:\d+\)?$/, '').replace(/\(?file:\/\/\S*?\/(dist|node_modules|src)\//, '$1/');
}

function classify(e, where) {
  if (e instanceof Disagreement) return { outcome: 'disagree', message: e.message };
  if (e instanceof WebconvError) return { outcome: 'typed', code: e.code, name: e.name, message: `${where}: ${e.message}` };
  const name = e?.constructor?.name ?? typeof e;
  return { outcome: 'untyped', name, message: `${where}: ${e instanceof Error ? e.message : String(e)}`, frame: frameOf(e), stack: String(e?.stack ?? '').split('\n').slice(0, 8).join('\n') };
}

/** Runs `fn`, tagging what it throws with the step it was in. */
async function step(where, fn) {
  try {
    return await fn();
  } catch (e) {
    e.__where ??= where;
    throw e;
  }
}

// ---- numeric agreement ----------------------------------------------------------------------

/**
 * Compares every output with the reference's: tolerance 1e-4 * max(1, max |ref|), widened in
 * proportion for reductions longer than 4096 terms; NaN where NaN.
 */
function compareOutputs(ref, got, label, reduction = 1) {
  for (const [name, want] of Object.entries(ref)) {
    const have = got[name];
    if (!have) throw new Disagreement(`${label}: output '${name}' missing`);
    if (want.shape.join() !== have.shape.join()) throw new Disagreement(`${label}: output '${name}' shape [${have.shape}] vs reference [${want.shape}]`);
    const a = want.data;
    const b = have.data;
    if (a.length !== b.length) throw new Disagreement(`${label}: output '${name}' has ${b.length} values vs reference ${a.length}`);
    let maxRef = 0;
    for (const v of a) if (Number.isFinite(v)) maxRef = Math.max(maxRef, Math.abs(v));
    const tol = 1e-4 * Math.max(1, maxRef) * Math.max(1, reduction / 4096);
    let bad = -1;
    let maxErr = 0;
    let count = 0;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const y = b[i];
      let wrong;
      if (Number.isNaN(x) || Number.isNaN(y)) wrong = Number.isNaN(x) !== Number.isNaN(y);
      else if (!Number.isFinite(x) || !Number.isFinite(y)) wrong = x !== y;
      else {
        const err = Math.abs(x - y);
        maxErr = Math.max(maxErr, err);
        wrong = err > tol;
      }
      if (wrong) {
        count++;
        if (bad < 0) bad = i;
      }
    }
    if (bad >= 0) {
      const nan = Number.isNaN(a[bad]) || Number.isNaN(b[bad]);
      throw new Disagreement(
        `${label}: output '${name}' differs at ${count} of ${a.length} values (first [${bad}]: ${b[bad]} vs reference ${a[bad]}; ` +
          `max |err| ${maxErr.toPrecision(3)}, tolerance ${tol.toPrecision(3)})${nan ? ' [NaN]' : ''}`,
      );
    }
  }
}

async function runOn(backendName, graph, feeds, options) {
  const exe = await step(`${backendName} compile`, () => getBackend(backendName).compile(graph, options));
  try {
    const out = await step(`${backendName} run`, () => exe.run(feeds));
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { shape: [...v.shape], data: v.data }]));
  } finally {
    exe.dispose();
  }
}

let gpuAvailable;

async function onnxCase(task, notes) {
  const graph = await step('import', () => importOnnx(task.bytes));
  const summary = await step('costTable', () => costTable(graph));
  let activation = 0;
  for (const s of graph.shapes.values()) activation += 4 * sizeOf(s);
  for (const i of graph.inputs) activation += 4 * sizeOf(i.shape);
  let weights = 0;
  for (const i of graph.initializers.values()) weights += 4 * sizeOf(i.shape);
  const relaxedSimd = (task.inputSeed & 1) === 1;
  if (activation > RUN_LIMITS.activationBytes || summary.totals.flops > RUN_LIMITS.flops || weights > RUN_LIMITS.weightBytes) {
    notes.push(`not run: ${(activation / 2 ** 20).toFixed(0)} MiB of activations, ${summary.totals.flops.toExponential(2)} FLOPs`);
    // compile only: planning and arena allocation must still fail cleanly or succeed
    const exe = await step('wasm compile (big model)', () => getBackend('wasm').compile(graph, { fallback: true, relaxedSimd }));
    exe.dispose();
    return;
  }
  const next = mulberry32(task.inputSeed);
  const feeds = {};
  // one run in eight also feeds special values: NaN, infinities, -0, subnormals
  const special = (task.inputSeed >>> 3) % 8 === 0;
  // (no values near the float32 maximum: the reference accumulates in float64 and overflows later)
  const SPECIAL = [NaN, Infinity, -Infinity, -0, 1e-40, -1e-40];
  for (const i of graph.inputs) {
    const data = Float32Array.from({ length: sizeOf(i.shape) }, () => next() * 2 - 1);
    if (special) for (let k = 0; k < Math.min(3, data.length); k++) data[Math.floor(next() * data.length)] = SPECIAL[Math.floor(next() * SPECIAL.length)];
    feeds[i.name] = { shape: i.shape, data };
  }
  if (special) notes.push('special inputs');
  const ref = await runOn('reference', graph, feeds);
  notes.push('ran');
  // oracles that need no backend: an output that is a graph input or an initializer is that tensor
  for (const [name, values] of Object.entries(task.expect?.constOutputs ?? {})) {
    if (ref[name] && !sameValues(ref[name].data, values)) throw new Disagreement(`reference: graph output '${name}' is an initializer, but the values differ from the initializer's ${describeDiff(ref[name].data, values)}`);
  }
  for (const [name, feed] of Object.entries(feeds)) {
    if (ref[name] && !sameValues(ref[name].data, feed.data)) throw new Disagreement(`reference: graph output '${name}' is a graph input, but the values differ from the input fed ${describeDiff(ref[name].data, feed.data)}`);
  }
  const asDisagreement = (label) => (e) => {
    // the reference ran this graph: another backend's error is a disagreement, whatever its type
    if (e instanceof Disagreement) throw e;
    if (e instanceof WebconvError) throw new Disagreement(`${label} threw ${e.code} where the reference ran: ${e.__where ?? ''}: ${e.message}`);
    throw e;
  };
  const wasm = await runOn('wasm', graph, feeds, { fallback: true, relaxedSimd }).catch(asDisagreement(`wasm${relaxedSimd ? ' (relaxed SIMD)' : ''}`));
  compareOutputs(ref, wasm, `wasm${relaxedSimd ? ' (relaxed SIMD)' : ''} vs reference`, longestReduction(graph));
  if (task.gpu) {
    gpuAvailable ??= await getBackend('webgpu').isAvailable().catch(() => false);
    if (gpuAvailable) {
      const gpu = await runOn('webgpu', graph, feeds, { fallback: true }).catch(asDisagreement('webgpu'));
      compareOutputs(ref, gpu, 'webgpu vs reference', longestReduction(graph));
      notes.push('webgpu');
    } else notes.push('webgpu unavailable');
  }
  // export and re-import: the same graph must give the same outputs
  let again;
  try {
    again = importOnnx(exportOnnx(graph));
  } catch (e) {
    if (e instanceof WebconvError) {
      notes.push(`export: ${e.code}`);
      return;
    }
    e.__where = 'export round trip';
    throw e;
  }
  const round = await runOn('reference', again, feeds).catch(asDisagreement('re-imported export'));
  compareOutputs(ref, round, 'exported and re-imported vs original');
}

/** Equal values, NaN equal to NaN. */
function sameValues(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) return false;
  return true;
}

function describeDiff(got, want) {
  if (got.length !== want.length) return `(${got.length} values, expected ${want.length})`;
  const i = got.findIndex((v, k) => !(v === want[k] || (Number.isNaN(v) && Number.isNaN(want[k]))));
  return `(first at [${i}]: ${got[i]}, expected ${want[i]})`;
}

function sameBytes(a, b) {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

async function npyCase(task) {
  const arr = await step('parseNpy', () => parseNpy(task.bytes, 'fuzz.npy'));
  if (task.expect) {
    if (arr.shape.join() !== task.expect.shape.join()) throw new Disagreement(`parseNpy: shape [${arr.shape}] but the file holds [${task.expect.shape}]`);
    if (!sameBytes(arr.data, task.expect.data)) throw new Disagreement(`parseNpy: values differ from the ones written`);
  }
  const bytes = await step('encodeNpy', () => encodeNpy(arr.shape, arr.data));
  const again = await step('parseNpy (round trip)', () => parseNpy(bytes));
  if (again.shape.join() !== arr.shape.join() || !sameBytes(again.data, arr.data)) throw new Disagreement('encodeNpy -> parseNpy changed the array');
}

async function imageCase(task) {
  const img = await step('decodeImage', () => decodeImage(task.bytes, 'fuzz-image'));
  const e = task.expect;
  if (e) {
    if (img.width !== e.width || img.height !== e.height) throw new Disagreement(`decodeImage: ${img.width} x ${img.height}, but the file is ${e.width} x ${e.height}`);
    if (e.pixels && !sameBytes(img.data, e.pixels)) throw new Disagreement('decodeImage: RGBA pixels differ from the ones written');
  }
}

const RUNNERS = { onnx: onnxCase, npy: npyCase, image: imageCase };

async function runCase(task) {
  const notes = [];
  const t0 = performance.now();
  try {
    await RUNNERS[task.kind](task, notes);
    return { outcome: 'ok', notes, ms: performance.now() - t0 };
  } catch (e) {
    return { ...classify(e, e?.__where ?? task.kind), notes, ms: performance.now() - t0 };
  }
}

// ---- the protocol -------------------------------------------------------------------------

let current;
// Errors that escape a case (a rejected promise nobody awaited, a throw in a callback):
// the process is in an unknown state, so the case is reported as a crash and the child ends.
const escape = (e) => {
  const message = `uncaught ${e?.constructor?.name ?? typeof e}: ${e instanceof Error ? e.message : String(e)}`;
  process.send?.({ id: current?.id, outcome: 'crash', message, frame: frameOf(e), notes: ['escaped the case'] }, () => process.exit(70));
};
process.on('uncaughtException', escape);
process.on('unhandledRejection', escape);

process.on('message', async (task) => {
  if (task?.type === 'exit') process.exit(0);
  current = task;
  const bytes = task.bytes instanceof Uint8Array ? task.bytes : new Uint8Array(task.bytes);
  const result = await runCase({ ...task, bytes });
  current = undefined;
  process.send({ id: task.id, ...result });
});

process.send({ type: 'ready', pid: process.pid });
