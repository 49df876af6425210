import { Bench } from 'tinybench';
import type { Executable } from '../backends/backend.js';
import { getBackend } from '../backends/registry.js';
import { kernelsModule, supports, threadsPossible } from '../backends/wasm/wasm-module.js';
import { measureGpuPeaks } from '../backends/webgpu/peaks.js';
import { sharedGpu } from '../backends/webgpu/webgpu-backend.js';
import { costTable } from '../cost/summary.js';
import type { Graph } from '../graph/graph.js';
import { sizeOf } from '../graph/graph.js';
import { mulberry32 } from '../graph/weight-init.js';
import { optimizeGraph } from '../plan/passes.js';
import { modelRoof, type BenchReport, type Environment, type LayerReport, type Latency, type ModelReport, type Peaks, type PeerReport } from './report.js';

export interface BenchOptions {
  /** Backend to measure. Default 'wasm'. */
  backend?: string;
  threads?: number;
  /** Time budget of the warm measurement, per model and runtime. Default 2000 ms. */
  timeMs?: number;
  /** Fewest warm samples, whatever the budget. Default 5. */
  minSamples?: number;
  /** Peers to run side by side (see src/bench/peers.ts). */
  peers?: readonly PeerRunner[];
  /** Called as work advances (a progress bar on a terminal, a line on the page). */
  onProgress?: (p: { model: string; step: string; done: number; total: number }) => void;
}

/** Another runtime on the same graph (onnxruntime-web, tfjs-wasm). */
export interface PeerRunner {
  readonly name: string;
  prepare(graph: Graph, options: { threads: number }): Promise<{ info: string; run(x: Float32Array): Promise<Float32Array>; dispose(): void }>;
}

const now = () => performance.now();

function latency(samples: readonly number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { minMs: s[0], medianMs: q(0.5), p90Ms: q(0.9), samples: s.length };
}

/** A seeded input in [-1, 1): every runtime sees the same values. */
export function benchInput(graph: Graph): Float32Array {
  const next = mulberry32(3);
  return Float32Array.from({ length: sizeOf(graph.inputs[0].shape) }, () => next() * 2 - 1);
}

/** Warm samples of `run` with tinybench: at least `minSamples`, within `timeMs`; the sync is inside the timed call. */
async function warmSamples(run: () => Promise<unknown>, timeMs: number, minSamples: number): Promise<number[]> {
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
 * The device's peaks, measured here: wasm SIMD multiply-add throughput (plain and relaxed
 * where the engine runs relaxed SIMD) and streaming read bandwidth of wasm memory; with
 * `webgpu`, the WebGPU device's too (src/backends/webgpu/peaks.ts).
 */
export async function measurePeaks(options: { webgpu?: boolean } = {}): Promise<Peaks> {
  const flops = async (flavor: 'simd' | 'relaxed-simd') => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { exports } = await WebAssembly.instantiate(await kernelsModule(flavor), { env: { memory } });
    const peak = exports.f32_peak_madd16x4 as (n: number) => number;
    for (let i = 0; i < 10; i++) peak(1e6);
    let best = 0;
    for (let r = 0; r < 5; r++) {
      const n = 1e7;
      const t = now();
      peak(n);
      best = Math.max(best, (n * 16 * 4 * 2) / ((now() - t) * 1e6));
    }
    return best;
  };
  const bandwidth = async () => {
    const bytes = 64 << 20;
    const memory = new WebAssembly.Memory({ initial: bytes / 65536 + 2 });
    const { exports } = await WebAssembly.instantiate(await kernelsModule('simd'), { env: { memory } });
    // Touch every page first: untouched pages read as shared zero pages, faster than memory.
    new Float32Array(memory.buffer, 65536, bytes / 4).fill(1);
    const sum = exports.f32_stream_sum as (ptr: number, count: number) => number;
    for (let i = 0; i < 2; i++) sum(65536, bytes / 4);
    let best = 0;
    for (let r = 0; r < 5; r++) {
      const t = now();
      sum(65536, bytes / 4);
      best = Math.max(best, bytes / ((now() - t) * 1e6));
    }
    return best;
  };
  const gpu = options.webgpu ? await measureGpuPeaks(await sharedGpu()) : undefined;
  return {
    wasmSimdGflops: await flops('simd'),
    ...(supports('relaxed-simd') ? { wasmRelaxedSimdGflops: await flops('relaxed-simd') } : {}),
    wasmBandwidthGBs: await bandwidth(),
    ...(gpu ? { webgpuGflops: gpu.gflops, webgpuBandwidthGBs: gpu.bandwidthGBs } : {}),
  };
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
  const steps = 4 + (options.peers?.length ?? 0);
  const x = benchInput(graph);

  progress('compile', 0, steps);
  const t0 = now();
  const exe: Executable = await getBackend(backendName).compile(graph, { threads });
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
  exe.dispose();

  progress('MAC count', 2, steps);
  const optimized = optimizeGraph(graph).graph;
  const counted = backendName === 'wasm' ? await countMacs(optimized, x) : undefined;

  const table = costTable(optimized, { expand: true, memory: 'inference' });
  const roof = modelRoof(backendName, info, peaks);
  const median = (v: number[] = []) => latency(v.length ? v : [0]).medianMs;
  const layers: LayerReport[] = table.layers.slice(1).map((row) => {
    const ms = row.nodes.reduce((a, n) => a + median(perNode.get(n)), 0);
    const bytes = layerBytes(optimized, row.nodes);
    const intensity = row.flops / bytes;
    const achieved = ms > 0 ? row.flops / (ms * 1e6) : 0;
    const countedMacs = counted ? row.nodes.reduce((a, n) => a + (counted.get(n) ?? 0), 0) : undefined;
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
      percentOfPeak: (100 * achieved) / roof.gflops,
      attainableGflops: Math.min(roof.gflops, intensity * roof.bandwidthGBs),
      ...(countedMacs !== undefined ? { countedMacs } : {}),
    };
  });
  const macMismatches = layers
    .filter((l) => l.countedMacs !== undefined && l.countedMacs !== l.macs)
    .map((l) => ({ layer: l.name, analytic: l.macs, counted: l.countedMacs! }));

  const compare: PeerReport[] = [];
  for (const [i, peer] of (options.peers ?? []).entries()) {
    progress(peer.name, 3 + i, steps);
    try {
      const c0 = now();
      const runner = await peer.prepare(graph, { threads });
      const theirs = await runner.run(x);
      const coldMs = now() - c0;
      const w = latency(await warmSamples(() => runner.run(x), timeMs, minSamples));
      let maxAbsDiff = 0;
      for (let k = 0; k < first.length; k++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(first[k] - theirs[k]));
      compare.push({ runtime: peer.name, info: runner.info, coldMs, warm: w, achievedGflops: table.totals.flops / (w.medianMs * 1e6), speedup: w.medianMs / warm.medianMs, maxAbsDiff });
      runner.dispose();
    } catch (e) {
      compare.push({ runtime: peer.name, info: `failed: ${(e as Error).message.split('\n')[0]}`, coldMs: NaN, warm: latency([NaN]), achievedGflops: NaN, speedup: NaN, maxAbsDiff: NaN });
    }
  }
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
      predictedBytes: table.inference.weightBytes + table.inference.arenaPeakBytes,
      measuredBytes: mem.totalBytes,
      weightBytes: mem.weightBytes,
      arenaBytes: mem.arenaBytes,
    },
    layers,
    macMismatches,
    ...(compare.length ? { compare } : {}),
  };
}

/** Per node, the multiply-accumulates the wasm kernels count executing (one thread, plain SIMD). */
async function countMacs(graph: Graph, x: Float32Array): Promise<Map<string, number>> {
  const exe = (await getBackend('wasm').compile(graph, { optimize: false, threads: 1 })) as Executable & {
    countMacs?(x: Float32Array): Promise<Map<string, number>>;
  };
  try {
    return (await exe.countMacs?.(x)) ?? new Map();
  } finally {
    exe.dispose();
  }
}

/** Benchmarks every graph; the whole report. */
export async function runBenchmark(graphs: readonly Graph[], options: BenchOptions = {}): Promise<BenchReport> {
  const env = await environment();
  const peaks = await measurePeaks({ webgpu: options.backend === 'webgpu' });
  const models: ModelReport[] = [];
  for (const g of graphs) models.push(await benchmarkModel(g, peaks, options));
  return { tool: 'webconv', version: '0.1.0', date: new Date().toISOString(), environment: env, peaks, models };
}
