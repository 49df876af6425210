/**
 * A benchmark report as one self-contained HTML page: inline CSS, charts drawn as inline SVG
 * by hand, no script, no external asset (it opens offline from a file). Every string taken
 * from the report is escaped. Chart elements carry ids and data attributes for automation:
 * `svg#roofline-<model>` holds one `circle[data-layer]` per layer with FLOPs,
 * `svg#layers-<model>` one `g[data-layer]` per such layer (an attainable and an achieved
 * bar), `svg#memory-<model>` `rect[data-bar]`s, `svg#peers-<model>` one bar per runtime.
 */
import { modelRoof, type BenchReport, type Environment, type ModelReport, type Peaks } from './report.js';

/** Escapes text for HTML content and quoted attribute values. */
export function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const ok = (x: number | undefined): x is number => typeof x === 'number' && Number.isFinite(x);
const DASH = '—';
/** Three significant digits, never in exponent notation. */
function num(x: number | undefined, digits = 3): string {
  if (!ok(x)) return DASH;
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 10 ** digits) return Math.round(x).toLocaleString('en-US');
  if (a < 1e-3) return x.toExponential(1);
  return String(Number(x.toPrecision(digits)));
}
/** 1.23 G, 45.6 M, 789 k: counts in powers of 1000. */
function si(x: number | undefined): string {
  if (!ok(x)) return DASH;
  const a = Math.abs(x);
  for (const [d, u] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (a >= d) return `${num(x / d)} ${u}`;
  return num(x);
}
/** Bytes in powers of 1024 (the lecture's MB is 1024^2 bytes). */
function bytes(x: number | undefined): string {
  if (!ok(x)) return DASH;
  for (const [d, u] of [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']] as const) if (Math.abs(x) >= d) return `${num(x / d)} ${u}`;
  return `${x} B`;
}
const ms = (x: number | undefined) => (ok(x) ? `${num(x)} ms` : DASH);
const pct = (x: number | undefined) => (ok(x) ? `${num(x, 3)}%` : DASH);
const r1 = (x: number) => Math.round(x * 10) / 10;

/** Model names as element ids: lower case, safe characters, unique within a report. */
function slugs(models: readonly ModelReport[]): string[] {
  const seen = new Map<string, number>();
  return models.map((m) => {
    const base = m.model.toLowerCase().replace(/[^a-z0-9_-]+/g, '-') || 'model';
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n ? `${base}-${n + 1}` : base;
  });
}

const TYPE_COLORS: Record<string, string> = {
  conv2d: '#3867d6', fc: '#8854d0', gemm: '#8854d0', maxpool: '#0fb9b1', avgpool: '#20bf6b', globalavgpool: '#26a65b',
  globalmaxpool: '#0a8f89', add: '#fa8231', mul: '#f7b731', concat: '#eb3b5a', lrn: '#a5b1c2', softmax: '#4b6584',
};
const EXTRA = ['#2d98da', '#fd9644', '#a55eea', '#45aaf2', '#fc5c65', '#778ca3'];
function colorOf(type: string, extra: Map<string, string>): string {
  if (TYPE_COLORS[type]) return TYPE_COLORS[type];
  if (!extra.has(type)) extra.set(type, EXTRA[extra.size % EXTRA.length]);
  return extra.get(type)!;
}

/** The roof the model's kernels are held against (report.ts modelRoof). */
function modelPeak(m: ModelReport, peaks: Peaks): { gflops: number; bandwidthGBs: number; label: string } {
  return modelRoof(m.backend, m.info, peaks);
}

/** A round step for about `count` linear ticks up to `max`. */
function niceStep(max: number, count = 5): number {
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
}

// ---------------------------------------------------------------------------------------
// Charts

/** Measured vs attainable GFLOP/s per layer: a pale bar for the roofline's bound, a solid one for what ran. */
function layerChart(id: string, m: ModelReport, peak: number, colors: Map<string, string>): string {
  const layers = m.layers.filter((l) => l.flops > 0);
  const W = 960, top = 24, left = 52, right = 12, plotH = 220;
  const n = Math.max(1, layers.length);
  const slot = (W - left - right) / n;
  const names = n <= 80;
  const font = Math.min(11, Math.max(7, slot * 0.8));
  const longest = Math.max(0, ...layers.map((l) => l.name.length));
  const bottom = names ? Math.min(150, 16 + longest * font * 0.62) : 24;
  const H = top + plotH + bottom;
  const maxV = Math.max(peak, ...layers.map((l) => (ok(l.achievedGflops) ? l.achievedGflops : 0)), ...layers.map((l) => l.attainableGflops || 0)) * 1.05 || 1;
  const step = niceStep(maxV);
  const yMax = Math.ceil(maxV / step) * step;
  const y = (v: number) => top + plotH - (Math.max(0, v) / yMax) * plotH;
  const out: string[] = [];
  for (let v = 0; v <= yMax + step / 2; v += step) {
    out.push(`<line class="grid" x1="${left}" x2="${W - right}" y1="${r1(y(v))}" y2="${r1(y(v))}"/><text class="tick" x="${left - 6}" y="${r1(y(v) + 4)}" text-anchor="end">${num(v)}</text>`);
  }
  layers.forEach((l, i) => {
    const x = left + i * slot;
    const bw = Math.max(1, slot * 0.78), aw = Math.max(1, slot * 0.46);
    const achieved = ok(l.achievedGflops) ? l.achievedGflops : 0;
    const title = `${l.name} (${l.type}): ${num(achieved)} GFLOP/s achieved, roofline bound ${num(l.attainableGflops)} GFLOP/s at ${num(l.intensity)} FLOP/byte; ${ms(l.ms)}, ${pct(l.percentOfPeak)} of peak${achieved > l.attainableGflops ? ' (above the bound: its data stayed in cache)' : ''}`;
    out.push(
      `<g data-layer="${esc(l.name)}" data-type="${esc(l.type)}"><title>${esc(title)}</title>` +
        `<rect class="bound" data-kind="attainable" x="${r1(x + (slot - bw) / 2)}" y="${r1(y(l.attainableGflops))}" width="${r1(bw)}" height="${r1(top + plotH - y(l.attainableGflops))}"/>` +
        `<rect class="achieved" data-kind="achieved" x="${r1(x + (slot - aw) / 2)}" y="${r1(y(achieved))}" width="${r1(aw)}" height="${r1(top + plotH - y(achieved))}" fill="${colorOf(l.type, colors)}"/>` +
        (names ? `<text class="label" transform="translate(${r1(x + slot / 2 + font / 3)},${top + plotH + 8}) rotate(-90)" text-anchor="end" style="font-size:${r1(font)}px">${esc(l.name)}</text>` : '') +
        `</g>`,
    );
  });
  out.push(`<line class="ceiling" x1="${left}" x2="${W - right}" y1="${r1(y(peak))}" y2="${r1(y(peak))}"/><text class="note" x="${W - right - 4}" y="${r1(y(peak) - 5)}" text-anchor="end">peak ${num(peak)} GFLOP/s</text>`);
  out.push(`<text class="axis" transform="translate(14,${top + plotH / 2}) rotate(-90)" text-anchor="middle">GFLOP/s</text>`);
  return `<svg id="${id}" class="chart" data-model="${esc(m.model)}" viewBox="0 0 ${W} ${r1(H)}" role="img" aria-label="${esc(`Per-layer GFLOP/s of ${m.model}, measured against the roofline bound`)}">${out.join('')}</svg>`;
}

/** Log-log roofline: the bandwidth slope up to the ridge, the compute ceiling after, every layer a dot. */
function roofline(id: string, m: ModelReport, peaks: Peaks, peak: { gflops: number; bandwidthGBs: number; label: string }, colors: Map<string, string>): string {
  const layers = m.layers.filter((l) => l.flops > 0);
  const bw = peak.bandwidthGBs;
  const ridge = peak.gflops / bw;
  const W = 960, H = 400, left = 60, right = 20, top = 20, bottom = 48;
  const xs = layers.map((l) => l.intensity).filter((v) => v > 0);
  const ys = layers.map((l) => l.achievedGflops).filter((v) => ok(v) && v > 0);
  const lo = (v: number) => 10 ** Math.floor(Math.log10(v));
  const hi = (v: number) => 10 ** Math.ceil(Math.log10(v));
  const x0 = lo(Math.min(ridge, ...xs) / 1.5), x1 = hi(Math.max(ridge, ...xs) * 1.5);
  const y0 = lo(Math.min(peak.gflops / 10, ...ys) / 1.5), y1 = hi(Math.max(peak.gflops, ...ys) * 1.2);
  const px = (v: number) => left + ((Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * (W - left - right);
  const py = (v: number) => top + (1 - (Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * (H - top - bottom);
  const out: string[] = [];
  const decade = (v: number) => (v >= 1 ? num(v) : String(Number(v.toPrecision(1))));
  for (let v = x0; v <= x1 * 1.001; v *= 10) out.push(`<line class="grid" x1="${r1(px(v))}" x2="${r1(px(v))}" y1="${top}" y2="${H - bottom}"/><text class="tick" x="${r1(px(v))}" y="${H - bottom + 16}" text-anchor="middle">${decade(v)}</text>`);
  for (let v = y0; v <= y1 * 1.001; v *= 10) out.push(`<line class="grid" x1="${left}" x2="${W - right}" y1="${r1(py(v))}" y2="${r1(py(v))}"/><text class="tick" x="${left - 6}" y="${r1(py(v) + 4)}" text-anchor="end">${decade(v)}</text>`);
  // The roof: I * bw below the ridge, the peak above it; started where the slope enters the plot.
  const xs0 = Math.max(x0, y0 / bw);
  out.push(`<polyline class="roof" data-ridge="${num(ridge)}" points="${r1(px(xs0))},${r1(py(xs0 * bw))} ${r1(px(ridge))},${r1(py(peak.gflops))} ${r1(px(x1))},${r1(py(peak.gflops))}"/>`);
  const plain = peaks.wasmSimdGflops * Math.max(1, m.info.threads);
  if (m.backend !== 'webgpu' && plain < peak.gflops * 0.98) out.push(`<line class="roof2" x1="${r1(px(plain / bw))}" x2="${r1(px(x1))}" y1="${r1(py(plain))}" y2="${r1(py(plain))}"/><text class="note" x="${W - right - 4}" y="${r1(py(plain) + 14)}" text-anchor="end">plain SIMD ${num(plain)} GFLOP/s</text>`);
  out.push(`<text class="note" x="${W - right - 4}" y="${r1(py(peak.gflops) - 6)}" text-anchor="end">${esc(peak.label)} ${num(peak.gflops)} GFLOP/s</text>`);
  const sx = xs0 * (ridge / xs0) ** 0.3;
  const angle = (Math.atan2(py(ridge * bw) - py(xs0 * bw), px(ridge) - px(xs0)) * 180) / Math.PI;
  out.push(`<text class="note" transform="translate(${r1(px(sx))},${r1(py(sx * bw) - 7)}) rotate(${r1(angle)})" text-anchor="middle">memory ${num(bw)} GB/s</text>`);
  for (const l of layers) {
    const clamped = !(ok(l.achievedGflops) && l.achievedGflops > 0) || !(l.intensity > 0);
    const cx = px(l.intensity > 0 ? l.intensity : x0), cy = py(clamped ? y0 : l.achievedGflops);
    const title = `${l.name} (${l.type}): ${num(l.intensity)} FLOP/byte, ${num(l.achievedGflops)} GFLOP/s (${pct(l.percentOfPeak)} of peak; bound ${num(l.attainableGflops)}), ${si(l.flops)}FLOP in ${ms(l.ms)}${clamped ? ' — not timed, drawn on the axis' : ''}`;
    out.push(`<circle data-layer="${esc(l.name)}" data-type="${esc(l.type)}"${clamped ? ' class="clamped"' : ''} cx="${r1(cx)}" cy="${r1(cy)}" r="5.5" fill="${colorOf(l.type, colors)}"><title>${esc(title)}</title></circle>`);
  }
  out.push(`<text class="axis" x="${(left + W - right) / 2}" y="${H - 8}" text-anchor="middle">arithmetic intensity (FLOP/byte)</text>`);
  out.push(`<text class="axis" transform="translate(16,${(top + H - bottom) / 2}) rotate(-90)" text-anchor="middle">GFLOP/s</text>`);
  return `<svg id="${id}" class="chart" data-model="${esc(m.model)}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(`Roofline of ${m.model}`)}">${out.join('')}</svg>`;
}

/** Horizontal bars (memory, latency): label, segments, value text; one scale. */
function hbars(id: string, model: string, rows: { key: string; label: string; value: string; segments: { key: string; v: number; cls: string; title: string }[] }[]): string {
  const W = 960, rowH = 30, labelW = 170, valueW = 230;
  const max = Math.max(...rows.map((r) => r.segments.reduce((a, s) => a + (ok(s.v) ? s.v : 0), 0)), 1e-12);
  const plot = W - labelW - valueW;
  const out = rows.map((r, i) => {
    const yy = 6 + i * rowH;
    let x = labelW;
    const segs = r.segments
      .filter((s) => ok(s.v) && s.v > 0)
      .map((s) => {
        const w = (s.v / max) * plot;
        const rect = `<rect data-bar="${esc(s.key)}" class="${s.cls}" x="${r1(x)}" y="${yy}" width="${r1(Math.max(w, 1))}" height="${rowH - 10}" rx="3"><title>${esc(s.title)}</title></rect>`;
        x += w;
        return rect;
      });
    return `<g data-row="${esc(r.key)}"><text class="label" x="${labelW - 8}" y="${yy + 15}" text-anchor="end">${esc(r.label)}</text>${segs.join('')}<text class="value" x="${r1(x + 8)}" y="${yy + 15}">${esc(r.value)}</text></g>`;
  });
  return `<svg id="${id}" class="chart bars" data-model="${esc(model)}" viewBox="0 0 ${W} ${rows.length * rowH + 6}" role="img">${out.join('')}</svg>`;
}

function memoryBars(id: string, m: ModelReport): string {
  const { predictedBytes: p, measuredBytes: t, weightBytes: w, arenaBytes: a } = m.memory;
  const other = Math.max(0, t - w - a);
  return hbars(id, m.model, [
    { key: 'predicted', label: 'predicted', value: bytes(p), segments: [{ key: 'predicted', v: p, cls: 'seg-pred', title: `predicted by the cost model: weights + planned arena peak = ${bytes(p)}` }] },
    {
      key: 'measured', label: 'measured', value: `${bytes(t)} (${num(t / p)}× predicted)`,
      segments: [
        { key: 'measured-weights', v: w, cls: 'seg-w', title: `weights ${bytes(w)}` },
        { key: 'measured-arena', v: a, cls: 'seg-a', title: `arena ${bytes(a)}` },
        { key: 'measured-other', v: other, cls: 'seg-o', title: `other (page rounding, kernels' scratch, stack) ${bytes(other)}` },
      ],
    },
  ]);
}

function peerBars(id: string, m: ModelReport): string {
  const rows = [{ runtime: 'webconv', median: m.warm.medianMs, speedup: 1 }, ...(m.compare ?? []).map((c) => ({ runtime: c.runtime, median: c.warm.medianMs, speedup: c.speedup }))];
  return hbars(id, m.model, rows.map((r, i) => ({
    key: r.runtime,
    label: r.runtime,
    value: ok(r.median) ? `${ms(r.median)}${i && ok(r.speedup) ? ` (webconv ${r.speedup >= 1 ? `${num(r.speedup)}× faster` : `${num(1 / r.speedup)}× slower`})` : ''}` : 'failed',
    segments: [{ key: r.runtime, v: r.median, cls: i ? 'seg-peer' : 'seg-self', title: `${r.runtime}: warm median ${ms(r.median)}` }],
  })));
}

// ---------------------------------------------------------------------------------------
// Sections

const kpi = (label: string, value: string, sub = '') => `<div class="kpi"><div class="kpi-label">${esc(label)}</div><div class="kpi-value">${value}</div>${sub ? `<div class="kpi-sub">${sub}</div>` : ''}</div>`;

function environmentSection(env: Environment, peaks: Peaks): string {
  const runtime = env.runtime === 'node' ? `Node ${esc(env.node ?? '')}${env.platform ? ` <span class="muted">(${esc(env.platform)})</span>` : ''}` : 'Browser';
  const gpu = 'adapter' in env.webgpu
    ? `<span class="chip on">adapter</span> ${esc(env.webgpu.adapter)}${env.webgpu.fallback ? ' <span class="muted">(software fallback adapter)</span>' : ''}`
    : `<span class="chip off">absent</span> ${esc(env.webgpu.absent)}`;
  const features = ['simd', 'relaxed-simd', 'threads'].map((f) => `<span class="chip ${env.wasmFeatures.includes(f) ? 'on' : 'off'}">${esc(f)}</span>`).join(' ');
  const rows: [string, string][] = [
    ['Runtime', runtime],
    ...(env.userAgent ? [['User agent', `<span class="small">${esc(env.userAgent)}</span>`] as [string, string]] : []),
    ['CPU', `${esc(env.cpu ?? 'not reported')} <span class="muted">· ${esc(env.cores)} logical cores</span>`],
    ['wasm', features],
    ['WebGPU', `<span id="webgpu-status">${gpu}</span>`],
  ];
  const ridge = (peaks.wasmRelaxedSimdGflops ?? peaks.wasmSimdGflops) / peaks.wasmBandwidthGBs;
  return `<section id="environment" class="card"><h2>Environment</h2><div class="env">
<dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
<div class="kpis peaks">${kpi('wasm SIMD peak', `${num(peaks.wasmSimdGflops)} <small>GFLOP/s</small>`, 'mul + add, one thread')}${kpi('relaxed SIMD peak', ok(peaks.wasmRelaxedSimdGflops) ? `${num(peaks.wasmRelaxedSimdGflops)} <small>GFLOP/s</small>` : DASH, ok(peaks.wasmRelaxedSimdGflops) ? 'fused madd, one thread' : 'not run by this engine')}${kpi('memory bandwidth', `${num(peaks.wasmBandwidthGBs)} <small>GB/s</small>`, 'streaming read of wasm memory')}${kpi('ridge point', `${num(ridge)} <small>FLOP/B</small>`, 'compute-bound above')}${ok(peaks.webgpuGflops) ? kpi('WebGPU peak', `${num(peaks.webgpuGflops)} <small>GFLOP/s</small>`, 'vec4 fma, the whole device') : ''}${ok(peaks.webgpuBandwidthGBs) ? kpi('WebGPU bandwidth', `${num(peaks.webgpuBandwidthGBs)} <small>GB/s</small>`, 'streaming read of a storage buffer') : ''}</div>
</div></section>`;
}

function latencyTable(m: ModelReport): string {
  const self = `<tr class="self"><td>webconv <span class="muted">${esc(m.backend)}</span></td><td class="small">${esc([...m.info.features, `${m.info.threads} thread(s)`].join(', '))}</td><td>${ms(m.cold.compileMs + m.cold.firstRunMs)}</td><td>${ms(m.warm.minMs)}</td><td><b>${ms(m.warm.medianMs)}</b></td><td>${ms(m.warm.p90Ms)}</td><td>${esc(m.warm.samples)}</td><td>${num(m.totals.achievedGflops)}</td><td>1×</td><td>${DASH}</td></tr>`;
  const peers = (m.compare ?? []).map((c) => `<tr data-peer="${esc(c.runtime)}"><td>${esc(c.runtime)}</td><td class="small">${esc(c.info)}</td><td>${ms(c.coldMs)}</td><td>${ms(c.warm.minMs)}</td><td><b>${ms(c.warm.medianMs)}</b></td><td>${ms(c.warm.p90Ms)}</td><td>${ok(c.warm.samples) ? esc(c.warm.samples) : DASH}</td><td>${num(c.achievedGflops)}</td><td class="${ok(c.speedupOfMin) ? (c.speedupOfMin >= 1 ? 'good' : 'bad') : ''}">${ok(c.speedup) ? `${num(c.speedupOfMin)}× / ${num(c.speedup)}×` : DASH}</td><td>${ok(c.maxAbsDiff) ? esc(c.maxAbsDiff.toExponential(1)) : DASH}</td></tr>`);
  return `<table class="latency"><thead><tr><th>runtime</th><th>build</th><th>cold</th><th>warm min</th><th>median</th><th>p90</th><th>samples</th><th>GFLOP/s</th><th title="their time over webconv's in the same alternating rounds, of the minimums and of the medians: above 1, webconv is faster">speedup (min / median)</th><th title="largest absolute difference of the outputs from webconv's">max |diff|</th></tr></thead><tbody>${self}${peers.join('')}</tbody></table>`;
}

/** Per peer that is webconv's own float run: each qconv2d layer beside the float layer of its name. */
function layerPairs(m: ModelReport): string {
  return (m.compare ?? []).filter((c) => c.layers?.length).map((c) => {
    const rows = c.layers!.map((l) => `<tr data-layer="${esc(l.layer)}"><td>${esc(l.layer)}</td><td>${ms(l.ms)}</td>${l.peerLayer === undefined ? `<td colspan="3" class="bad">no float layer of this name</td>` : `<td>${esc(l.peerLayer)}</td><td>${ms(l.peerMs)}</td><td class="${ok(l.speedup) ? (l.speedup >= 1 ? 'good' : 'bad') : ''}">${ok(l.speedup) ? `${num(l.speedup)}×` : DASH}</td>`}</tr>`);
    return `<table class="pairs" data-peer="${esc(c.runtime)}"><caption class="muted small">int8 layers against ${esc(c.runtime)}: medians over the alternating rounds</caption><thead><tr><th>qconv2d layer</th><th>int8</th><th>float layer</th><th>float</th><th title="the float layer's time over the int8 layer's: above 1, int8 is faster">float / int8</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }).join('');
}

function layerTable(m: ModelReport): string {
  const counted = m.layers.some((l) => l.countedMacs !== undefined);
  const rows = m.layers.map((l, i) => {
    const mismatch = l.countedMacs !== undefined && l.countedMacs !== l.executedMacs;
    const p = ok(l.percentOfPeak) ? Math.min(100, Math.max(0, l.percentOfPeak)) : 0;
    return `<tr data-layer="${esc(l.name)}"><td class="muted">${i + 1}</td><td title="${esc(l.nodes.join(', '))}">${esc(l.name)}</td><td>${esc(l.type)}</td><td>${si(l.flops)}</td><td>${si(l.macs)}</td>${counted ? `<td${mismatch ? ' class="bad"' : ''}>${l.countedMacs === undefined ? DASH : si(l.countedMacs)}</td>` : ''}<td>${bytes(l.bytes)}</td><td>${num(l.intensity)}</td><td>${num(l.ms)}</td><td>${num(l.achievedGflops)}</td><td>${num(l.executedGflops)}</td><td class="pct" style="--p:${r1(p)}%">${pct(l.percentOfPeak)}</td></tr>`;
  });
  return `<div class="scroll"><table class="layers"><thead><tr><th>#</th><th>layer</th><th>type</th><th>FLOPs</th><th>MACs</th>${counted ? '<th>counted MACs</th>' : ''}<th>bytes</th><th>FLOP/B</th><th>ms</th><th title="the lecture's FLOPs / time">effective GFLOP/s</th><th title="2 x the multiplications executed (Winograd convs: fewer than the lecture's) / time">executed GFLOP/s</th><th>% of peak</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function mismatches(m: ModelReport): string {
  if (!m.layers.some((l) => l.countedMacs !== undefined)) return `<p class="muted">The backend did not count its MACs.</p>`;
  if (m.macMismatches.length === 0) return `<p class="good">None: the MACs the kernels counted equal the cost model's in every layer.</p>`;
  const rows = m.macMismatches.map((x) => `<tr data-layer="${esc(x.layer)}"><td>${esc(x.layer)}</td><td>${esc(x.analytic.toLocaleString('en-US'))}</td><td>${esc(x.counted.toLocaleString('en-US'))}</td><td>${x.analytic ? `${x.counted > x.analytic ? '+' : ''}${num((100 * (x.counted - x.analytic)) / x.analytic)}%` : DASH}</td></tr>`);
  return `<p class="muted">${m.macMismatches.length} layer(s) where the kernels executed a different number of multiply-accumulates than the cost model counts (block padding in the kernels, or a bug).</p><table class="mismatch"><thead><tr><th>layer</th><th>analytic</th><th>counted</th><th>difference</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function modelSection(m: ModelReport, slug: string, peaks: Peaks): string {
  const peak = modelPeak(m, peaks);
  const colors = new Map<string, string>();
  const withFlops = m.layers.filter((l) => l.flops > 0);
  const types = [...new Set(withFlops.map((l) => l.type))];
  const charts = { layers: layerChart(`layers-${slug}`, m, peak.gflops, colors), roofline: roofline(`roofline-${slug}`, m, peaks, peak, colors) };
  const untimed = withFlops.filter((l) => !(l.achievedGflops > 0)).length;
  const legend = `<div class="legend">${types.map((t) => `<span><i style="background:${colorOf(t, colors)}"></i>${esc(t)}</span>`).join('')}</div>`;
  const cold = m.cold.compileMs + m.cold.firstRunMs;
  const memRatio = m.memory.measuredBytes / m.memory.predictedBytes;
  return `<section class="model card" id="model-${slug}" data-model="${esc(m.model)}">
<h2>${esc(m.model)} <span class="muted">${esc(m.backend)} · ${esc(m.info.features.join(', ') || 'no features')} · ${esc(m.info.threads)} thread(s)${m.info.adapter ? ` · ${esc(m.info.adapter)}` : ''} · batch ${esc(m.batch)}</span></h2>
<div class="kpis">
${kpi('cold', ms(cold), `compile ${ms(m.cold.compileMs)} + first run ${ms(m.cold.firstRunMs)}`)}
${kpi('warm median', ms(m.warm.medianMs), `min ${ms(m.warm.minMs)} · p90 ${ms(m.warm.p90Ms)} · ${esc(m.warm.samples)} samples`)}
${kpi('achieved', `${num(m.totals.achievedGflops)} <small>GFLOP/s</small>`, `<span class="meter"><span style="width:${r1(Math.min(100, Math.max(0, m.totals.percentOfPeak || 0)))}%"></span></span> ${pct(m.totals.percentOfPeak)} of ${esc(peak.label)} (${num(peak.gflops)})`)}
${kpi('work', `${si(m.totals.flops)}<small>FLOP</small>`, `${si(m.totals.macs)} MACs · ${si(m.totals.params)} params`)}
${kpi('memory', bytes(m.memory.measuredBytes), `predicted ${bytes(m.memory.predictedBytes)} · <span class="${Math.abs(memRatio - 1) <= 0.1 ? 'good' : 'bad'}">${num(memRatio)}×</span>`)}
</div>
<h3>Latency${m.compare?.length ? ' and peers' : ''}</h3>
${latencyTable(m)}
${m.compare?.length ? peerBars(`peers-${slug}`, m) : ''}
${layerPairs(m)}
<h3>Per layer: achieved vs attainable GFLOP/s</h3>
<p class="muted small">Pale bar: the roofline's bound at the layer's arithmetic intensity, min(peak, intensity × bandwidth). Solid bar: measured (median of the warm runs). ${m.layers.length - withFlops.length ? `${m.layers.length - withFlops.length} layer(s) without FLOPs not drawn.` : ''}</p>
${charts.layers}
${legend}
<h3>Roofline</h3>
<p class="muted small">Arithmetic intensity: FLOPs per byte of activations and weights moved. Below the ridge a layer is bound by memory bandwidth, above it by the SIMD peak.${untimed ? ` ${untimed} layer(s) too quick for this clock (0 ms) are drawn hollow on the axis.` : ''}</p>
${charts.roofline}
${legend}
<h3>Memory</h3>
${memoryBars(`memory-${slug}`, m)}
<div class="legend"><span><i class="seg-pred"></i>predicted (weights + planned arena peak)</span><span><i class="seg-w"></i>weights</span><span><i class="seg-a"></i>arena</span><span><i class="seg-o"></i>other</span></div>
<details class="table" open><summary>Per-layer table (${m.layers.length} layers)</summary>${layerTable(m)}</details>
<h3>MAC mismatches</h3>
${mismatches(m)}
</section>`;
}

/** The stylesheet; scoped to `.wc` so the browser page can embed a report. */
export const REPORT_CSS = `
.wc{--bg:#f6f7f9;--card:#fff;--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--grid:#eef0f3;--accent:#3867d6;--good:#1e8e3e;--bad:#c5221f;--bound:#d9e2f5;--pred:#98a2b3;--w:#3867d6;--a:#20bf6b;--o:#f7b731;--peer:#a5b1c2;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0}
@media (prefers-color-scheme:dark){.wc{--good:#57c27a;--bad:#f28b82;--bg:#12151b;--card:#1b2029;--fg:#e6e9ef;--muted:#98a2b3;--line:#2c3340;--grid:#252b36;--bound:#2b3a5a;--pred:#5d6675;--peer:#5d6675}}
.wc main{max-width:1040px;margin:0 auto;padding:24px 20px 48px}
.wc header h1{font-size:24px;margin:0 0 2px}.wc h2{font-size:18px;margin:0 0 14px}.wc h3{font-size:14px;margin:22px 0 8px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.wc h2 .muted{font-weight:400;font-size:13px}
.wc .card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 22px;margin:18px 0;box-shadow:0 1px 2px rgba(16,24,40,.04)}
.wc .muted{color:var(--muted)}.wc .small{font-size:12px}.wc .good{color:var(--good)}.wc .bad{color:var(--bad)}
.wc nav a{margin-right:12px;color:var(--accent);text-decoration:none}
.wc .env{display:grid;grid-template-columns:minmax(0,1.3fr) minmax(0,1fr);gap:20px}
@media (max-width:760px){.wc .env{grid-template-columns:1fr}}
.wc dl{display:grid;grid-template-columns:auto 1fr;gap:6px 14px;margin:0}.wc dt{color:var(--muted)}.wc dd{margin:0;overflow-wrap:anywhere}
.wc .chip{display:inline-block;padding:0 8px;border-radius:999px;font-size:12px;border:1px solid var(--line)}
.wc .chip.on{background:rgba(30,142,62,.12);color:var(--good);border-color:rgba(30,142,62,.35)}.wc .chip.off{background:var(--grid);color:var(--muted);text-decoration:line-through}
.wc #webgpu-status .chip.off{text-decoration:none;background:rgba(197,34,31,.1);color:var(--bad);border-color:rgba(197,34,31,.35)}
.wc .kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px}
.wc .peaks{grid-template-columns:1fr 1fr}
.wc .kpi{border:1px solid var(--line);border-radius:10px;padding:10px 12px}
.wc .kpi-label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.wc .kpi-value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}.wc .kpi-value small{font-size:12px;font-weight:400;color:var(--muted)}
.wc .kpi-sub{font-size:12px;color:var(--muted)}
.wc .meter{display:inline-block;width:48px;height:6px;border-radius:3px;background:var(--grid);vertical-align:middle;overflow:hidden}.wc .meter span{display:block;height:100%;background:var(--accent)}
.wc table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:13px}
.wc th{white-space:nowrap;text-align:right;font-weight:600;color:var(--muted);font-size:12px;border-bottom:1px solid var(--line);padding:6px 8px;position:sticky;top:0;background:var(--card)}
.wc td{text-align:right;padding:4px 8px;border-bottom:1px solid var(--grid);white-space:nowrap}
.wc .latency :is(th,td):nth-child(-n+2),.wc .layers :is(th,td):nth-child(-n+3),.wc .mismatch :is(th,td):first-child{text-align:left}
.wc table.mismatch{width:auto;min-width:60%}
.wc tr.self td{background:rgba(56,103,214,.06)}
.wc .latency td:nth-child(2){white-space:normal;max-width:260px}
.wc td.pct{background:linear-gradient(90deg,rgba(56,103,214,.16) var(--p),transparent var(--p))}
.wc .scroll{max-height:560px;overflow:auto;border:1px solid var(--line);border-radius:8px;margin-top:8px}
.wc details.table{margin-top:22px}.wc summary{cursor:pointer;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;font-size:14px}
.wc svg.chart{width:100%;height:auto;display:block;margin:4px 0;font-family:inherit}
.wc svg .grid{stroke:var(--grid);stroke-width:1}.wc svg .tick,.wc svg .label,.wc svg .value{fill:var(--muted);font-size:11px}.wc svg .value{fill:var(--fg);font-size:12px}.wc svg .label{font-size:12px}
.wc svg .axis{fill:var(--muted);font-size:12px}.wc svg .note{fill:var(--fg);font-size:11px;font-weight:600}
.wc svg .bound{fill:var(--bound)}.wc svg .ceiling{stroke:var(--bad);stroke-dasharray:5 4;stroke-width:1.2}
.wc svg .roof{fill:none;stroke:var(--fg);stroke-width:2}.wc svg .roof2{stroke:var(--muted);stroke-dasharray:5 4}
.wc svg circle{fill-opacity:.78;stroke:var(--card);stroke-width:1}.wc svg circle.clamped{fill-opacity:0;stroke:var(--muted);stroke-dasharray:2 2}
.wc svg circle:hover,.wc svg g[data-layer]:hover .achieved{stroke:var(--fg);stroke-width:2}
.wc .seg-pred{fill:var(--pred);background:var(--pred)}.wc .seg-w{fill:var(--w);background:var(--w)}.wc .seg-a{fill:var(--a);background:var(--a)}.wc .seg-o{fill:var(--o);background:var(--o)}.wc .seg-self{fill:var(--accent)}.wc .seg-peer{fill:var(--peer)}
.wc .legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:12px;color:var(--muted)}.wc .legend i{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:5px;vertical-align:-1px}
.wc footer{color:var(--muted);font-size:12px;margin-top:24px}
`;

/** The report's content (environment, then one section per model), for embedding in a page styled with {@link REPORT_CSS}. */
export function renderReportBody(report: BenchReport): string {
  const ids = slugs(report.models);
  const nav = report.models.length > 1 ? `<nav>${report.models.map((m, i) => `<a href="#model-${ids[i]}">${esc(m.model)}</a>`).join('')}</nav>` : '';
  return `<div class="wc-report">${nav}${environmentSection(report.environment, report.peaks)}${report.models.map((m, i) => modelSection(m, ids[i], report.peaks)).join('\n')}
<footer>${esc(report.tool)} ${esc(report.version)} · ${esc(report.date)} · Times are from one run on one machine: compare the ratios within a run, not figures across machines. Hover a chart element for its figures.</footer></div>`;
}

/** The whole report as one self-contained, offline HTML page. */
export function renderHtmlReport(report: BenchReport): string {
  const title = `webconv benchmark: ${report.models.map((m) => m.model).join(', ') || 'no models'}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><link rel="icon" href="data:,"><style>${REPORT_CSS}</style></head>
<body class="wc"><main><header><h1>webconv benchmark report</h1><div class="muted">${esc(report.environment.runtime)} · ${esc(report.date)} · ${report.models.length} model(s)</div></header>
${renderReportBody(report)}
</main></body></html>
`;
}
