/**
 * What `webconv bench` measures, as JSON: the environment, the device's measured peaks,
 * and per model the cold and warm latency, totals and one row per layer, each measured row
 * joined to its cost-model row. The HTML report and the browser page render this.
 */
export interface BenchReport {
  readonly tool: 'webconv';
  readonly version: string;
  readonly date: string;
  readonly environment: Environment;
  readonly peaks: Peaks;
  readonly models: ModelReport[];
}

export interface Environment {
  readonly runtime: 'node' | 'browser';
  readonly node?: string;
  readonly userAgent?: string;
  readonly cpu?: string;
  readonly cores: number;
  readonly platform?: string;
  /** wasm features the engine has: simd, relaxed-simd, threads. */
  readonly wasmFeatures: readonly string[];
  /** The WebGPU adapter, or null where there is none (and why). */
  readonly webgpu: { readonly adapter: string; readonly fallback: boolean } | { readonly absent: string };
}

/** Measured, never assumed. GFLOP/s and GB/s. */
export interface Peaks {
  readonly wasmSimdGflops: number;
  readonly wasmRelaxedSimdGflops?: number;
  /** Streaming read bandwidth from wasm memory (a sum over 64 MiB). */
  readonly wasmBandwidthGBs: number;
  /** The int8 kernels' multiply-add throughput (i32x4.dot_i16x8_s + add chains, one thread), GOP/s: the roof of qconv2d layers. */
  readonly wasmInt8Gops?: number;
  /** WebGPU multiply-add throughput (kernels/peak.wgsl), when a model ran on webgpu. */
  readonly webgpuGflops?: number;
  /** WebGPU streaming read bandwidth from a storage buffer (64 MiB). */
  readonly webgpuBandwidthGBs?: number;
  /** WebGPU 8-bit multiply-add throughput (dot4I8Packed + add chains), GOP/s: the roof of its qconv2d layers. */
  readonly webgpuInt8Gops?: number;
}

/**
 * The roof a model's kernels are held against: the GPU's measured peak for webgpu; for wasm
 * the peak of the build that ran (relaxed SIMD or plain), times its threads.
 */
export function modelRoof(backend: string, info: { readonly features: readonly string[]; readonly threads: number }, peaks: Peaks): { gflops: number; bandwidthGBs: number; label: string } {
  if (backend === 'webgpu' && peaks.webgpuGflops && peaks.webgpuBandwidthGBs) {
    return { gflops: peaks.webgpuGflops, bandwidthGBs: peaks.webgpuBandwidthGBs, label: 'WebGPU peak' };
  }
  const relaxed = info.features.includes('relaxed-simd') && Number.isFinite(peaks.wasmRelaxedSimdGflops) && peaks.wasmRelaxedSimdGflops! > 0;
  const per = relaxed ? peaks.wasmRelaxedSimdGflops! : peaks.wasmSimdGflops;
  const t = Math.max(1, info.threads);
  return { gflops: per * t, bandwidthGBs: peaks.wasmBandwidthGBs, label: `${relaxed ? 'relaxed SIMD' : 'SIMD'} peak${t > 1 ? ` × ${t} threads` : ''}` };
}

export interface Latency {
  readonly minMs: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly samples: number;
}

export interface LayerReport {
  readonly name: string;
  readonly type: string;
  readonly nodes: readonly string[];
  /** Analytic, from the cost model (for the whole batch). */
  readonly flops: number;
  readonly macs: number;
  /** Activations read and written plus weights read, f32. */
  readonly bytes: number;
  /** FLOPs per byte moved. */
  readonly intensity: number;
  /** Median over the warm runs of the summed node times. */
  readonly ms: number;
  /**
   * Effective GFLOP/s: the lecture's FLOPs / time. Where a conv runs by Winograd (fewer
   * multiplications than the lecture counts) it can pass the SIMD peak: see executedGflops.
   */
  readonly achievedGflops: number;
  /**
   * The multiply-accumulates the layer's algorithm executes (cost model): `macs`, or its
   * Winograd convs' multiplications (CostRow.winogradMacs) where the backend runs them so
   * (wasm, unless compiled with winograd: false).
   */
  readonly executedMacs: number;
  /** Executed GFLOP/s: 2 x executedMacs / time, what the hardware did (the roofline's measure). */
  readonly executedGflops: number;
  /** Of the peak of the build that ran. */
  readonly percentOfPeak: number;
  /** The roofline's bound at this intensity: min(peak, intensity x bandwidth). */
  readonly attainableGflops: number;
  /** Multiply-accumulates the kernels counted executing (padding included), when counted. */
  readonly countedMacs?: number;
}

export interface ModelReport {
  readonly model: string;
  readonly backend: string;
  readonly info: { readonly features: readonly string[]; readonly threads: number; readonly adapter?: string };
  readonly batch: number;
  readonly cold: { readonly compileMs: number; readonly firstRunMs: number };
  readonly warm: Latency;
  readonly totals: {
    readonly flops: number;
    readonly macs: number;
    readonly params: number;
    readonly achievedGflops: number;
    readonly percentOfPeak: number;
  };
  readonly memory: { readonly predictedBytes: number; readonly measuredBytes: number; readonly weightBytes: number; readonly arenaBytes: number };
  readonly layers: LayerReport[];
  /** Layers whose counted MACs differ from the cost model's executed MACs (padding, or a bug). */
  readonly macMismatches: readonly { readonly layer: string; readonly analytic: number; readonly counted: number }[];
  /** Largest |difference| of the first output from BenchOptions.reference, when one was given. */
  readonly maxAbsDiff?: number;
  readonly compare?: PeerReport[];
}

/**
 * A peer timed beside webconv in one process: after warm-up, `rounds` rounds of one run of
 * each, alternating (the order flipped every round), so both see the same machine.
 */
export interface PeerReport {
  readonly runtime: string;
  readonly info: string;
  readonly coldMs: number;
  /** The peer's timed runs. */
  readonly warm: Latency;
  /** webconv's runs of the same rounds, alternating with the peer's. */
  readonly webconvWarm: Latency;
  readonly rounds: number;
  readonly achievedGflops: number;
  /** Their median over webconv's (both from the alternating rounds): above 1, webconv is faster. */
  readonly speedup: number;
  /** Their minimum over webconv's, the same rounds: the ratio least touched by a noisy machine. */
  readonly speedupOfMin: number;
  readonly maxAbsDiff: number;
  /** webconv's float run of an int8 model only: each qconv2d layer beside the float run's layer of its name. */
  readonly layers?: LayerPair[];
  /** Why the peer stopped, when it failed part way: what was timed up to then is kept. */
  readonly error?: string;
}

/**
 * A qconv2d layer of the int8 run beside the float run's layer of the same name (see
 * pairLayers in harness.ts): medians of the per-node times over the alternating rounds.
 */
export interface LayerPair {
  readonly layer: string;
  readonly ms: number;
  /** The float run's layer; absent, with peerMs and speedup, when no layer of the name ran. */
  readonly peerLayer?: string;
  readonly peerMs?: number;
  /** peerMs / ms: above 1, the int8 layer is faster. */
  readonly speedup?: number;
}
