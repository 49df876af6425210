/**
 * webconv/bench: the benchmark harness (what a device achieves per layer against the cost
 * model, side by side with other runtimes) and its HTML report. Its own entry, so an app that
 * ships a classifier does not download it (the browser bundle's size budget, README "Size").
 */
import './backends/register-all.js';

export { runBenchmark, benchmarkModel, measurePeaks, environment } from './bench/harness.js';
export type { BenchOptions, PeerRunner } from './bench/harness.js';
export type { BenchReport, ModelReport, LayerReport, Peaks, Environment, PeerReport, LayerPair, Latency } from './bench/report.js';
export { renderHtmlReport } from './bench/html-report.js';
