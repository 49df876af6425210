import { closeSync, openSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { OptionError } from '../graph/errors.js';
import type { PeerRunner } from '../bench/harness.js';
import type { BenchReport, ModelReport } from '../bench/report.js';
import type { Graph } from '../graph/graph.js';
import { joinNegativeValues, positiveInt } from './summary-command.js';
import { loadModel } from './load-model.js';

export const BENCH_USAGE = `usage: webconv bench <model | model.onnx>... [--backend wasm|webgpu|reference] [--batch N] [--threads N]
                     [--time MS] [--json out.json] [--html report.html]
                     [--compare ort-web,tfjs-wasm,float[=model.onnx]] [--browser]

Measures what this device achieves on each model against the cost model: cold (compile +
first run) and warm latency, per-layer times, GFLOP/s and % of the device's measured peak,
arithmetic intensity and the roofline bound, memory measured against predicted, and the
multiply-accumulates the kernels counted against the cost model's.

  --backend NAME    wasm (default), webgpu or reference
  --batch N         minibatch (default 1)
  --threads N       threads for the wasm backend (default 1)
  --time MS         warm measurement budget per model and runtime (default 2000)
  --json FILE       write the report as JSON ('-' for standard output)
  --html FILE       write a self-contained HTML report (charts, roofline; opens offline)
  --compare LIST    run peers on the same model and weights: ort-web, tfjs-wasm; each peer
                    alternates with webconv in this process (10 rounds after warm-up).
                    For a quantized model, 'float' runs the same file with the int8
                    kernels off (float32 between its Q/DQ pairs) and 'float=<model.onnx>' runs
                    another file (the float original); both alternate with the int8 run
                    and pair its qconv2d layers with the float run's layers of the same name
  --browser         run in headless Chromium (the browser benchmark page) instead of Node`;

/** Fails now, before minutes of measuring, if `path` cannot be written. */
function checkWritable(path: string, what: string): void {
  const existed = existsSync(path);
  try {
    closeSync(openSync(path, 'a'));
    if (!existed) unlinkSync(path);
  } catch (e) {
    throw new OptionError(`cannot write ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const fmt = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');

function renderText(r: BenchReport): string {
  const out: string[] = [];
  const p = r.peaks;
  out.push(
    `${r.environment.cpu ?? r.environment.userAgent ?? ''} · ${r.environment.cores} cores · ${r.environment.node ?? r.environment.runtime}` +
      ` · wasm ${r.environment.wasmFeatures.join(', ')}`,
  );
  out.push(
    `peaks (measured): wasm SIMD ${fmt(p.wasmSimdGflops)} GFLOP/s` +
      (p.wasmRelaxedSimdGflops ? `, relaxed SIMD ${fmt(p.wasmRelaxedSimdGflops)} GFLOP/s` : '') +
      (p.wasmInt8Gops ? `, int8 ${fmt(p.wasmInt8Gops)} GOP/s (the roof of int8 layers)` : '') +
      `, memory bandwidth ${fmt(p.wasmBandwidthGBs)} GB/s` +
      (p.webgpuGflops ? `; WebGPU ${fmt(p.webgpuGflops)} GFLOP/s${p.webgpuInt8Gops ? `, int8 ${fmt(p.webgpuInt8Gops)} GOP/s` : ''}, ${fmt(p.webgpuBandwidthGBs ?? NaN)} GB/s` : ''),
  );
  for (const m of r.models) out.push('', ...renderModel(m));
  return out.join('\n');
}

function renderModel(m: ModelReport): string[] {
  const lines = [
    `${m.model} on ${m.backend} (${m.info.features.join(', ') || 'plain JS'}, ${m.info.threads} thread${m.info.threads > 1 ? 's' : ''}), batch ${m.batch}`,
    `  cold: compile ${fmt(m.cold.compileMs)} ms + first run ${fmt(m.cold.firstRunMs)} ms; warm: min ${fmt(m.warm.minMs, 2)} / median ${fmt(m.warm.medianMs, 2)} / p90 ${fmt(m.warm.p90Ms, 2)} ms (${m.warm.samples} runs)`,
    `  ${fmt(m.totals.flops / 1e9, 3)} GFLOP -> ${fmt(m.totals.achievedGflops)} GFLOP/s, ${fmt(m.totals.percentOfPeak, 0)}% of peak;` +
      ` memory ${fmt(m.memory.measuredBytes / 2 ** 20)} MiB measured, ${fmt(m.memory.predictedBytes / 2 ** 20)} MiB predicted`,
  ];
  // Effective (the lecture's FLOPs / time) apart from executed (the multiplications the
  // algorithm does / time): they differ where a conv runs by Winograd.
  const head = ['layer', 'type', 'MFLOP', 'ms', 'eff GFLOP/s', 'exec GFLOP/s', '% peak', 'FLOP/B', 'bound'];
  const rows = m.layers.map((l) => [l.name, l.type, fmt(l.flops / 1e6), fmt(l.ms, 3), fmt(l.achievedGflops), fmt(l.executedGflops), fmt(l.percentOfPeak, 0), fmt(l.intensity, 1), fmt(l.attainableGflops)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '  ' + r.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  lines.push(line(head), ...rows.map(line));
  if (m.macMismatches.length) {
    lines.push(`  counted MACs differ from the cost model in ${m.macMismatches.length} layer(s) (block padding):`);
    for (const x of m.macMismatches.slice(0, 8)) lines.push(`    ${x.layer}: analytic ${x.analytic}, counted ${x.counted} (+${fmt((100 * (x.counted - x.analytic)) / x.analytic)}%)`);
  } else if (m.layers.some((l) => l.countedMacs !== undefined)) {
    lines.push('  counted MACs equal the cost model in every layer');
  }
  for (const c of m.compare ?? []) {
    if (c.rounds === 0) {
      lines.push(`  vs ${c.runtime}: failed: ${c.error ?? 'no timed run'}`);
      continue;
    }
    // Against webconv's own float run (--compare float), webconv's run is the int8 one.
    const self = c.runtime.startsWith('webconv float') ? 'int8' : 'webconv';
    lines.push(
      `  vs ${c.runtime} (${c.rounds} alternating rounds): min ${fmt(c.warm.minMs, 2)} / median ${fmt(c.warm.medianMs, 2)} ms against ${self}'s ${fmt(c.webconvWarm.minMs, 2)} / ${fmt(c.webconvWarm.medianMs, 2)} ms;` +
        ` ${self} ${fmt(c.speedupOfMin, 2)}x (min) / ${fmt(c.speedup, 2)}x (median) faster, max |diff| ${c.maxAbsDiff.toExponential(1)} — ${c.info}${c.error ? ` (stopped: ${c.error})` : ''}`,
    );
    if (c.layers?.length) {
      lines.push('    qconv2d layers (median ms over the rounds): int8 | float | float/int8');
      const w = Math.max(...c.layers.map((l) => l.layer.length));
      for (const l of c.layers) {
        lines.push(
          `    ${l.layer.padEnd(w)}  ${fmt(l.ms, 3).padStart(7)}` +
            (l.peerLayer === undefined ? '  no float layer of this name' : ` | ${fmt(l.peerMs!, 3).padStart(7)} | ${fmt(l.speedup!, 2)}x${l.peerLayer !== l.layer ? `  (float: ${l.peerLayer})` : ''}`),
        );
      }
    }
  }
  return lines;
}

/**
 * `--compare float` (the same file with the int8 pass off) or `float=<file>` (another
 * file, the float model the int8 one came from), refused where nothing would differ.
 */
async function floatPeer(file: string, specs: string[], graphs: Graph[], backend: string, batch: number): Promise<PeerRunner> {
  const { webconvFloat, int8ConvCount } = await import('../bench/peers.js');
  if (!file && backend === 'reference') throw new OptionError("--compare float turns off the int8 kernels of the wasm and webgpu backends: the reference backend runs the file's float path only");
  graphs.forEach((g, i) => {
    if (!int8ConvCount(g)) throw new OptionError(`--compare float: '${specs[i]}' has no quantized convs (QuantizeLinear/DequantizeLinear around int8 weights): int8 and float would run the same kernels`);
  });
  if (!file) return webconvFloat();
  const other = await loadModel(file, { batch });
  graphs.forEach((g, i) => {
    const [a, b] = [g.inputs[0].shape, other.inputs[0].shape];
    if (a.join('x') !== b.join('x')) throw new OptionError(`--compare float=${file}: its input is ${b.join('x')}, '${specs[i]}' takes ${a.join('x')}`);
  });
  return webconvFloat({ graph: other, label: basename(file) });
}

export async function benchCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(argv, ['--batch', '--threads', '--time']),
    allowPositionals: true,
    strict: true,
    options: {
      backend: { type: 'string' },
      batch: { type: 'string' },
      threads: { type: 'string' },
      time: { type: 'string' },
      json: { type: 'string' },
      html: { type: 'string' },
      compare: { type: 'string' },
      browser: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return out(BENCH_USAGE);
  if (positionals.length === 0) throw new OptionError('bench needs at least one model (see webconv summary --list)');
  const batch = values.batch === undefined ? 1 : positiveInt(values.batch, '--batch');
  const threads = values.threads === undefined ? 1 : positiveInt(values.threads, '--threads');
  const timeMs = values.time === undefined ? 2000 : positiveInt(values.time, '--time');
  const backend = values.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'webgpu' && backend !== 'reference') throw new OptionError(`--backend must be wasm, webgpu or reference, found '${backend}'`);
  if (values.json && values.json !== '-') checkWritable(values.json, '--json');
  if (values.html) checkWritable(values.html, '--html');
  // Check every model loads before measuring any.
  const graphs = [];
  for (const spec of positionals) graphs.push(await loadModel(spec, { batch }));

  const { PEERS } = await import('../bench/peers.js');
  const peers = [];
  for (const name of (values.compare ?? '').split(',').filter(Boolean)) {
    if (name === 'float' || name.startsWith('float=')) {
      if (name === 'float=') throw new OptionError('--compare float=<model.onnx>: no file given');
      peers.push(await floatPeer(name.slice('float='.length), positionals, graphs, backend, batch));
      continue;
    }
    const p = PEERS[name];
    if (!p) throw new OptionError(`--compare: unknown peer '${name}'; known: ${Object.keys(PEERS).join(', ')}, float, float=<model.onnx>`);
    peers.push(p);
  }

  let report: BenchReport;
  if (values.browser) {
    if (peers.length) throw new OptionError('--compare runs in Node; leave it out with --browser');
    const { runInBrowser } = await import('../bench/browser-runner.js');
    if (backend === 'reference') throw new OptionError('--browser benchmarks the wasm or webgpu backend');
    report = await runInBrowser({ models: positionals, timeMs, threads, backend });
  } else {
    await import('../backends/register-all.js');
    const { runBenchmark } = await import('../bench/harness.js');
    const { releaseSharedGpu } = await import('../backends/webgpu/webgpu-backend.js');
    const tty = process.stderr.isTTY;
    report = await runBenchmark(graphs, {
      backend,
      threads,
      timeMs,
      peers,
      onProgress: ({ model, step, done, total }) => {
        if (!tty) return;
        const width = 24;
        const filled = Math.round((width * done) / total);
        process.stderr.write(`\r[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${model}: ${step}`.padEnd(72) + (done === total ? '\n' : ''));
      },
    }).finally(releaseSharedGpu); // Dawn's device would keep the process alive
  }
  if (values.json === '-') out(JSON.stringify(report, null, 2));
  else out(renderText(report));
  if (values.json && values.json !== '-') writeFileSync(values.json, JSON.stringify(report, null, 2));
  if (values.html) {
    const { renderHtmlReport } = await import('../bench/html-report.js');
    writeFileSync(values.html, renderHtmlReport(report));
  }
}
