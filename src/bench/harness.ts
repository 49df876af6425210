import { Bench } from 'tinybench';
import type { CompileOptions, Executable } from '../backends/backend.js';
import { getBackend } from '../backends/registry.js';
import { supports, threadsPossible } from '../backends/wasm/wasm-module.js';
import { costTable } from '../cost/summary.js';
import { winogradExtraWeightBytesOf } from '../cost/winograd.js';
import type { Graph } from '../graph/graph.js';
import { sizeOf } from '../graph/graph.js';
import { mulberry32 } from '../graph/weight-init.js';
import { optimizeGraph } from '../plan/passes.js';
import { fuseBottlenecks } from '../plan/fuse-bottleneck.js';
import { fuseInt8Convs } from '../plan/fuse-int8.js';
import { qconvExecutedMacs } from '../backends/wasm/kernels/qconv2d.js';
import type { NodeOf } from '../ops/attrs.js';
import { modelRoof, type BenchReport, type Environment, type LayerReport, type LayerPair, type Latency, type ModelReport, type Peaks, type PeerReport } from './report.js';

export interface BenchOptions {
  /** Backend to measure. Default 'wasm'. */
  backend?: string;
  threads?: number;
  /** Time budget of the warm measurement, per model and runtime. Default 2000 ms. */
  timeMs?: number;
  /** Fewest warm samples, whatever the budget. Default 5. */
  minSamples?: number;
  /** Alternating rounds against each peer (one run of each per round, after warm-up). Default 10, at least 10. */
  rounds?: number;
  /** Peers to run side by side (see src/bench/peers.ts). */
  peers?: readonly PeerRunner[];
  /** Called as work advances (a progress bar on a terminal, a line on the page). */
  onProgress?: (p: { model: string; step: string; done: number; total: number }) => void;
  /**
   * Compile options of the backend's own beside `threads`: `{ relaxedSimd: false }` for
   * wasm's plain SIMD build, `{ gpu }` for webgpu on a device of the caller's.
   */
  compile?: CompileOptions & Record<string, unknown>;
  /** An answer to hold webconv's first output against (ModelReport.maxAbsDiff): another build's, say. */
  reference?: Float32Array;
  /** The version the report states. Default: package.json's (see {@link packageVersion}). */
  version?: string;
}

/** A runtime ready to run one graph: webconv's executable or a peer's session. */
export interface Runner {
  readonly info: string;
  run(x: Float32Array): Promise<Float32Array>;
  dispose(): void;
  /** webconv's own runs only (the float run of an int8 model): per-node times of the last run, for per-layer pairs. */
  profile?(): readonly { readonly node: string; readonly ms: number }[];
  /** The layers `profile` sums into: the cost table's rows of the graph as it ran. */
  readonly layers?: readonly { readonly name: string; readonly type: string; readonly nodes: readonly string[] }[];
}

/** Another runtime on the same graph (onnxruntime-web, tfjs-wasm; see src/bench/peers.ts). */
export interface PeerRunner {
  readonly name: string;
  /** `backend` and `compile` are the measured run's own (webconv's float run compiles with them). */
  prepare(graph: Graph, options: { threads: number; backend?: string; compile?: CompileOptions & Record<string, unknown> }): Promise<Runner>;
}

const now = () => performance.now();

/** Min, median and p90 of samples in ms (the nearest-rank quantiles: p90 is a sample). */
export function latency(samples: readonly number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { minMs: s[0], medianMs: q(0.5), p90Ms: q(0.9), samples: s.length };
}

let version: Promise<string> | undefined;

/**
 * webconv's version, from its package.json: read from disk in Node (the nearest
 * package.json named webconv above this module, in src/ or dist/); 'unknown' in a
 * browser, where no package.json lies beside the code (`webconv bench --browser` stamps
 * the report with the version it reads in Node).
 */
export function packageVersion(): Promise<string> {
  version ??= (async () => {
    if (!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node) return 'unknown';
    try {
      const spec = 'node:fs/promises';
      const { readFile } = (await import(/* @vite-ignore */ spec)) as typeof import('node:fs/promises');
      for (let up = '../'; up.length <= 4 * 3; up += '../') {
        const pkg = await readFile(new URL(`${up}package.json`, import.meta.url), 'utf8').then(JSON.parse, () => undefined);
        if (pkg?.name === 'webconv' && typeof pkg.version === 'string') return pkg.version as string;
      }
    } catch {
      // no file system here
    }
    return 'unknown';
  })();
  return version;
}

/** A seeded input in [-1, 1): every runtime sees the same values. */
export function benchInput(graph: Graph): Float32Array {
  const next = mulberry32(3);
  return Float32Array.from({ length: sizeOf(graph.inputs[0].shape) }, () => next() * 2 - 1);
}

/** Warm samples of `run` with tinybench: at least `minSamples`, within `timeMs`; the sync is inside the timed call. */
export async function warmSamples(run: () => Promise<unknown>, timeMs: number, minSamples: number): Promise<number[]> {
  for (let i = 0; i < 2; i++) await run(); // V8 tiers wasm up on later calls: never time the first ones
  const bench = new Bench({ time: timeMs, iterations: minSamples, warmup: false, retainSamples: true });
  bench.add('run', async () => {
    await run();
  });
  await bench.run();
  const lat = (bench.tasks[0].result as { latency?: { samples?: number[]; p50: number } } | undefined)?.latency;
  return lat?.samples?.length ? [...lat.samples] : [lat?.p50 ?? NaN];
}

/**
 * The device's peaks, measured here by the backends themselves (Backend.peaks()): wasm SIMD
 * multiply-add throughput (plain and relaxed where the engine runs relaxed SIMD) and
 * streaming read bandwidth of wasm memory; with `webgpu`, the WebGPU device's too.
 */
export async function measurePeaks(options: { webgpu?: boolean } = {}): Promise<Peaks> {
  const wasm = await getBackend('wasm').peaks?.();
  if (!wasm) throw new Error("the wasm backend measures no peaks");
  const gpu = options.webgpu ? await getBackend('webgpu').peaks?.() : undefined;
  const relaxed = wasm.gflopsWith?.['relaxed-simd'];
  return {
    wasmSimdGflops: wasm.gflops,
    ...(relaxed !== undefined ? { wasmRelaxedSimdGflops: relaxed } : {}),
    wasmBandwidthGBs: wasm.bandwidthGBs,
    ...(wasm.int8Gops !== undefined ? { wasmInt8Gops: wasm.int8Gops } : {}),
    ...(gpu ? { webgpuGflops: gpu.gflops, webgpuBandwidthGBs: gpu.bandwidthGBs, ...(gpu.int8Gops !== undefined ? { webgpuInt8Gops: gpu.int8Gops } : {}) } : {}),
  };
}

/**
 * Cold start of one runtime: `prepare` (compile, session creation) + the first run, timed
 * together (`coldMs`), and `prepare` alone (`createMs`). The runner stays open. Whatever the
 * runtime does once per process (compiling its own wasm) lands in the first call's figure:
 * compare runtimes in the same state (bench/cold-start.bench.mjs times fresh processes).
 */
export async function coldStart(prepare: () => Promise<Runner>, x: Float32Array): Promise<{ runner: Runner; output: Float32Array; coldMs: number; createMs: number }> {
  const c0 = now();
  const runner = await prepare();
  const createMs = now() - c0;
  try {
    const output = await runner.run(x);
    return { runner, output, coldMs: now() - c0, createMs };
  } catch (e) {
    runner.dispose();
    throw e;
  }
}

/**
 * Cold and warm latency of one runtime: {@link coldStart}, then {@link warmSamples}.
 * Disposes the runner; returns its first output.
 */
export async function measureRunner(
  prepare: () => Promise<Runner>,
  x: Float32Array,
  options: { timeMs?: number; minSamples?: number } = {},
): Promise<{ info: string; coldMs: number; warm: Latency; output: Float32Array }> {
  const { runner, output, coldMs } = await coldStart(prepare, x);
  try {
    const warm = latency(await warmSamples(() => runner.run(x), options.timeMs ?? 2000, options.minSamples ?? 5));
    return { info: runner.info, coldMs, warm, output };
  } finally {
    runner.dispose();
  }
}

/**
 * Runtimes timed in one process, alternating: `warmup` untimed runs of each, then `rounds`
 * rounds of one timed run each, the order reversed every other round (A B, B A, ...), so
 * neither always runs first. The sync is inside the timed call. Stops at the first failure
 * and returns what was timed up to it, with the runtime that failed and why.
 */
export async function interleave(
  runners: readonly { readonly name: string; run(): Promise<unknown> }[],
  options: { rounds?: number; warmup?: number; onRound?: (round: number) => void } = {},
): Promise<{ latency: Record<string, Latency>; failed?: { name: string; error: unknown } }> {
  const times = new Map<string, number[]>(runners.map((r) => [r.name, []]));
  let failed: { name: string; error: unknown } | undefined;
  let current = '';
  try {
    for (let i = 0; i < (options.warmup ?? 1); i++) {
      for (const r of runners) {
        current = r.name;
        await r.run();
      }
    }
    const rounds = options.rounds ?? 10;
    for (let i = 0; i < rounds; i++) {
      options.onRound?.(i);
      for (const r of i % 2 ? [...runners].reverse() : runners) {
        current = r.name;
        const t = now();
        await r.run();
        times.get(r.name)!.push(now() - t);
      }
    }
  } catch (error) {
    failed = { name: current, error };
  }
  const out: Record<string, Latency> = {};
  for (const [name, samples] of times) if (samples.length) out[name] = latency(samples);
  return { latency: out, ...(failed ? { failed } : {}) };
}

/** Where this runs: Node or a browser, the CPU, wasm features, and whether WebGPU is there. */
export async function environment(): Promise<Environment> {
  const g = globalThis as {
    process?: { versions?: { node?: string }; platform?: string; arch?: string };
    navigator?: { userAgent?: string; hardwareConcurrency?: number; gpu?: { requestAdapter(): Promise<unknown> } };
  };
  const node = g.process?.versions?.node;
  const wasmFeatures = [...(supports('simd') ? ['simd'] : []), ...(supports('relaxed-simd') ? ['relaxed-simd'] : []), ...(threadsPossible() ? ['threads'] : [])];
  let cpu: string | undefined;
  let cores = g.navigator?.hardwareConcurrency ?? 1;
  if (node) {
    const spec = 'node:os';
    const os = (await import(/* @vite-ignore */ spec)) as typeof import('node:os');
    cpu = os.cpus()[0]?.model;
    cores = os.cpus().length;
  }
  let webgpu: Environment['webgpu'] = { absent: 'navigator.gpu is not defined' };
  if (g.navigator?.gpu) {
    const adapter = (await g.navigator.gpu.requestAdapter().catch(() => null)) as
      | { info?: { vendor?: string; architecture?: string; description?: string }; isFallbackAdapter?: boolean }
      | null;
    webgpu = adapter
      ? { adapter: [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.description].filter(Boolean).join(' ') || 'unknown', fallback: adapter.isFallbackAdapter === true }
      : { absent: 'navigator.gpu.requestAdapter() returned no adapter' };
  }
  return {
    runtime: node ? 'node' : 'browser',
    ...(node ? { node: `v${node}`, platform: `${g.process?.platform} ${g.process?.arch}` } : { userAgent: g.navigator?.userAgent }),
    ...(cpu ? { cpu } : {}),
    cores,
    wasmFeatures,
    webgpu,
  };
}

/** Bytes a layer moves: activations read (not weights) and written, plus weights read, f32. */
function layerBytes(graph: Graph, nodes: readonly string[]): number {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  let bytes = 0;
  for (const name of nodes) {
    const n = byName.get(name)!;
    for (const t of n.inputs) bytes += sizeOf(graph.shape(t)) * 4;
    for (const t of n.outputs) bytes += sizeOf(graph.shape(t)) * 4;
  }
  return bytes;
}

/**
 * The graph a backend runs: the planner's passes, then on wasm and WebGPU a quantized file's
 * convs on integers, and on wasm inverted residuals fused into one op, unless the compile
 * options say not to.
 */
export function graphAsRun(graph: Graph, backend: string, compile: Record<string, unknown> = {}): Graph {
  const optimizedOnce = optimizeGraph(graph).graph;
  const passed = backend !== 'reference' && compile.int8 !== false ? fuseInt8Convs(optimizedOnce).graph : optimizedOnce;
  return backend === 'wasm' && compile.fuseBottlenecks !== false ? fuseBottlenecks(passed).graph : passed;
}

/**
 * Benchmarks one model on one backend: cold (compile + first run) and warm latency, per
 * layer times joined to the cost model's rows (of the optimised graph, the one that runs:
 * its FLOPs equal the original's, batch norm and fused activations counting none), the
 * roofline bound of each layer, memory measured against predicted, counted MACs against
 * analytic ones, and the peers side by side.
 */
export async function benchmarkModel(graph: Graph, peaks: Peaks, options: BenchOptions = {}): Promise<ModelReport> {
  const backendName = options.backend ?? 'wasm';
  const threads = options.threads ?? 1;
  const timeMs = options.timeMs ?? 2000;
  const minSamples = options.minSamples ?? 5;
  const progress = (step: string, done: number, total: number) => options.onProgress?.({ model: graph.name, step, done, total });
  const steps = 3 + (options.peers?.length ?? 0);
  const x = benchInput(graph);

  progress('compile', 0, steps);
  const t0 = now();
  const exe: Executable = await getBackend(backendName).compile(graph, { ...options.compile, threads });
  const compileMs = now() - t0;
  const t1 = now();
  const first = (await exe.run(x))[graph.outputs[0]].data;
  const firstRunMs = now() - t1;

  progress('warm runs', 1, steps);
  const perNode = new Map<string, number[]>();
  const samples = await warmSamples(async () => {
    await exe.run(x);
    for (const p of exe.profile()) (perNode.get(p.node) ?? perNode.set(p.node, []).get(p.node)!).push(p.ms);
  }, timeMs, minSamples);
  const warm = latency(samples);
  const info = exe.info();
  const mem = exe.memory();
  const optimized = graphAsRun(graph, backendName, options.compile);
  const table = costTable(optimized, { expand: true, memory: 'inference' });
  // The peers, one after another, each alternating with webconv in this process (a peer is
  // prepared only when its turn comes: a runtime that slows others once initialised, as
  // tfjs-wasm did onnxruntime-web here, then touches only the peers after it).
  const compare: PeerReport[] = [];
  let counted: Map<string, number> | undefined;
  try {
    for (const [i, peer] of (options.peers ?? []).entries()) {
      progress(peer.name, 2 + i, steps);
      compare.push(await comparePeer(peer, graph, exe, x, first, { threads, backend: backendName, compile: options.compile }, { timeMs, minSamples }, Math.max(10, options.rounds ?? 10), table.layers.slice(1)));
    }
    progress('MAC count', steps - 1, steps);
    // The executable's graph is the optimised one: its node names are the cost table's.
    counted = await exe.counters?.(x);
  } finally {
    exe.dispose();
  }
  const roof = modelRoof(backendName, info, peaks);
  // The wasm backend runs 3x3 stride-1 convs by Winograd unless told not to (src/cost/winograd.ts).
  const winograd = backendName === 'wasm' && options.compile?.winograd !== false;
  const median = (v: number[] = []) => latency(v.length ? v : [0]).medianMs;
  // int8 layers (qconv2d) are held against the int8 kernels' own peak (on wasm times the threads).
  const int8Roof = backendName === 'wasm' && peaks.wasmInt8Gops
    ? { ...roof, gflops: peaks.wasmInt8Gops * Math.max(1, info.threads) }
    : backendName === 'webgpu' && peaks.webgpuInt8Gops ? { ...roof, gflops: peaks.webgpuInt8Gops } : roof;
  const nodeNamed = new Map(optimized.nodes.map((n) => [n.name, n]));
  const layers: LayerReport[] = table.layers.slice(1).map((row) => {
    const layerRoof = row.type === 'qconv2d' ? int8Roof : roof;
    const ms = row.nodes.reduce((a, n) => a + median(perNode.get(n)), 0);
    const bytes = layerBytes(optimized, row.nodes);
    const intensity = row.flops / bytes;
    const achieved = ms > 0 ? row.flops / (ms * 1e6) : 0;
    const countedMacs = counted ? row.nodes.reduce((a, n) => a + (counted.get(n) ?? 0), 0) : undefined;
    // int8 convs on wasm: what their kernels execute, padded blocks and Winograd included.
    const executedMacs = backendName === 'wasm' && row.type === 'qconv2d'
      ? row.nodes.reduce((a, n) => {
        const node = nodeNamed.get(n);
        return a + (node?.op === 'qconv2d' ? qconvExecutedMacs(node as NodeOf<'qconv2d'>, optimized, info.threads, (options.compile?.winograd as boolean | 'all' | undefined) ?? true) : 0);
      }, 0)
      : winograd && row.winogradMacs !== undefined ? row.winogradMacs : row.macs;
    return {
      name: row.name,
      type: row.type,
      nodes: row.nodes,
      flops: row.flops,
      macs: row.macs,
      bytes,
      intensity,
      ms,
      achievedGflops: achieved,
      executedMacs,
      executedGflops: ms > 0 ? (2 * executedMacs) / (ms * 1e6) : 0,
      percentOfPeak: (100 * achieved) / layerRoof.gflops,
      attainableGflops: Math.min(layerRoof.gflops, intensity * layerRoof.bandwidthGBs),
      ...(countedMacs !== undefined ? { countedMacs } : {}),
    };
  });
  const macMismatches = layers
    .filter((l) => l.countedMacs !== undefined && l.countedMacs !== l.executedMacs)
    .map((l) => ({ layer: l.name, analytic: l.executedMacs, counted: l.countedMacs! }));

  progress('done', steps, steps);

  const achievedGflops = table.totals.flops / (warm.medianMs * 1e6);
  return {
    model: graph.name,
    backend: backendName,
    info: { features: info.features, threads: info.threads, ...(info.adapter ? { adapter: info.adapter } : {}) },
    batch: graph.inputs[0].shape[0],
    cold: { compileMs, firstRunMs },
    warm,
    totals: { flops: table.totals.flops, macs: table.totals.macs, params: table.totals.params, achievedGflops, percentOfPeak: (100 * achievedGflops) / roof.gflops },
    memory: {
      // Convs run by Winograd store 36 transformed weights per 3x3 kernel (src/cost/winograd.ts).
      predictedBytes: table.inference.weightBytes + (winograd ? winogradExtraWeightBytesOf(optimized) : 0) + table.inference.arenaPeakBytes,
      measuredBytes: mem.totalBytes,
      weightBytes: mem.weightBytes,
      arenaBytes: mem.arenaBytes,
    },
    layers,
    macMismatches,
    ...(options.reference ? { maxAbsDiff: maxAbsDiff(options.reference, first) } : {}),
    ...(compare.length ? { compare } : {}),
  };
}

type LayerRow = { readonly name: string; readonly type: string; readonly nodes: readonly string[] };

/**
 * One peer beside webconv's executable: the peer's cold start, its warm runs (untimed, the
 * budget webconv's had), then {@link interleave}'s alternating rounds of the two (two warm-up
 * runs each first). A failure is reported in the row, not thrown: the rest of the report
 * stands. A peer that profiles (webconv's float run of an int8 model) also gets its layers
 * paired with `layers`, webconv's, from the same rounds.
 */
async function comparePeer(
  peer: PeerRunner, graph: Graph, exe: Executable, x: Float32Array, first: Float32Array,
  settings: Parameters<PeerRunner['prepare']>[1], warm: { timeMs: number; minSamples: number }, rounds: number, layers: readonly LayerRow[],
): Promise<PeerReport> {
  const flops = costTable(graph).totals.flops;
  const failed = (error: unknown, coldMs = NaN, info = ''): PeerReport => ({
    runtime: peer.name, info, coldMs, warm: latency([NaN]), webconvWarm: latency([NaN]), rounds: 0, achievedGflops: NaN, speedup: NaN, speedupOfMin: NaN, maxAbsDiff: NaN,
    error: String((error as Error)?.message ?? error).split('\n')[0],
  });
  let cold: Awaited<ReturnType<typeof coldStart>>;
  try {
    cold = await coldStart(() => peer.prepare(graph, settings), x);
  } catch (e) {
    return failed(e);
  }
  try {
    const runner = cold.runner;
    // As warm as webconv's executable before the rounds: V8 tiers wasm up per function, late.
    // With only the 2 warm-up runs, LeNet-5 int8's float run (--compare float) read 1.8-2.8x
    // the int8 run's time here; warmed like this, 0.93-1.13x.
    try {
      await warmSamples(() => runner.run(x), warm.timeMs, warm.minSamples);
    } catch (e) {
      return failed(e, cold.coldMs, runner.info);
    }
    // Per-node times of both, read between rounds: the copies stay out of the timed calls.
    const ourNodes = new Map<string, number[]>();
    const theirNodes = new Map<string, number[]>();
    const record = () => {
      if (!runner.profile) return;
      for (const [into, profile] of [[ourNodes, exe.profile()], [theirNodes, runner.profile()]] as const) {
        for (const p of profile) (into.get(p.node) ?? into.set(p.node, []).get(p.node)!).push(p.ms);
      }
    };
    const timed = await interleave(
      [{ name: 'webconv', run: () => exe.run(x) }, { name: peer.name, run: () => runner.run(x) }],
      { warmup: 2, rounds, onRound: (i) => void (i > 0 && record()) },
    );
    if (!timed.failed) record();
    const ours = timed.latency.webconv;
    const theirs = timed.latency[peer.name];
    if (!ours || !theirs) return failed(timed.failed?.error ?? 'no timed run', cold.coldMs, runner.info);
    return {
      runtime: peer.name,
      info: runner.info,
      coldMs: cold.coldMs,
      warm: theirs,
      webconvWarm: ours,
      rounds: Math.min(ours.samples, theirs.samples),
      achievedGflops: flops / (theirs.medianMs * 1e6),
      speedup: theirs.medianMs / ours.medianMs,
      speedupOfMin: theirs.minMs / ours.minMs,
      maxAbsDiff: maxAbsDiff(first, cold.output),
      ...(runner.layers && ourNodes.size ? { layers: pairLayers(layers, ourNodes, runner.layers, theirNodes) } : {}),
      ...(timed.failed ? { error: String((timed.failed.error as Error)?.message ?? timed.failed.error).split('\n')[0] } : {}),
    };
  } finally {
    cold.runner.dispose();
  }
}

/**
 * Each qconv2d layer of `ours` beside the layer of `theirs` of the same name, or of that name
 * less its last segment (either way round): webconv's ONNX export names a node
 * `<name>/<OpType>`, so a file quantized by `webconv quantize` holds `/conv1/Conv/Conv` where
 * the float file it came from holds `/conv1/Conv`. Times: the medians of each node's samples, summed.
 */
export function pairLayers(
  ours: readonly LayerRow[], ourNodes: ReadonlyMap<string, number[]>,
  theirs: readonly LayerRow[], theirNodes: ReadonlyMap<string, number[]>,
): LayerPair[] {
  const ms = (row: LayerRow, times: ReadonlyMap<string, number[]>) => row.nodes.reduce((a, n) => a + (times.get(n)?.length ? latency(times.get(n)!).medianMs : 0), 0);
  const stem = (name: string) => (name.lastIndexOf('/') > 0 ? name.slice(0, name.lastIndexOf('/')) : undefined);
  return ours.filter((l) => l.type === 'qconv2d').map((l) => {
    const t = theirs.find((f) => f.name === l.name) ?? theirs.find((f) => f.name === stem(l.name) || stem(f.name) === l.name);
    const a = ms(l, ourNodes);
    if (!t) return { layer: l.name, ms: a };
    const b = ms(t, theirNodes);
    return { layer: l.name, ms: a, peerLayer: t.name, peerMs: b, speedup: b / a };
  });
}

/** The largest |a[i] - b[i]|; NaN where the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return NaN;
  let d = 0;
  for (let k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k] - b[k]));
  return d;
}

/** Benchmarks every graph; the whole report. */
export async function runBenchmark(graphs: readonly Graph[], options: BenchOptions = {}): Promise<BenchReport> {
  const env = await environment();
  const peaks = await measurePeaks({ webgpu: options.backend === 'webgpu' });
  const models: ModelReport[] = [];
  for (const g of graphs) models.push(await benchmarkModel(g, peaks, options));
  return { tool: 'webconv', version: options.version ?? (await packageVersion()), date: new Date().toISOString(), environment: env, peaks, models };
}
