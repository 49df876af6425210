// The browser benchmark page: reads ?models=lenet5,resnet18&time=500&threads=1&batch=1&backend=wasm,
// runs webconv's harness on this device's wasm or WebGPU, says what it finds about WebGPU, shows progress,
// then renders the report. For automation (webconv bench --browser): window.__webconvReport
// once done, window.__webconvError on failure, and window.__webconvProgress(p) is called when
// the host provides it. Bundled by rollup (from tsc's output in dist/) into dist/bench-page/.
import '../../dist/backends/register-all.js';
import { ZOO, buildModel } from '../../dist/models/zoo.js';
import { runBenchmark } from '../../dist/bench/harness.js';
import { REPORT_CSS, renderHtmlReport, renderReportBody } from '../../dist/bench/html-report.js';

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const params = new URLSearchParams(location.search);
const int = (name, fallback, min, max) => {
  const v = Number(params.get(name) ?? fallback);
  return Number.isInteger(v) ? Math.min(max, Math.max(min, v)) : fallback;
};
const models = (params.get('models') ?? 'lenet5').split(',').map((s) => s.trim()).filter(Boolean);
const timeMs = int('time', 500, 10, 600_000);
const threads = int('threads', 1, 1, 64);
const batch = int('batch', 1, 1, 64);
const backend = params.get('backend') === 'webgpu' ? 'webgpu' : 'wasm';

function note(text, kind = '') {
  const li = document.createElement('li');
  li.textContent = text;
  if (kind) li.className = kind;
  $('notes').append(li);
  return li;
}

/** Why WebGPU is or is not here, in plain words. */
async function webgpuNote() {
  const li = $('webgpu-note');
  const say = (text, kind) => {
    li.textContent = text;
    li.className = kind;
    li.dataset.webgpu = kind === 'warn' ? 'absent' : 'present';
  };
  const gpu = /** @type {any} */ (navigator).gpu;
  if (!gpu) {
    say(
      window.isSecureContext
        ? 'WebGPU is absent: this browser has no navigator.gpu (WebGPU not supported or switched off). The benchmark runs on WebAssembly.'
        : 'WebGPU is absent: this page is not a secure context (open it from https:// or http://127.0.0.1), so the browser hides navigator.gpu. The benchmark runs on WebAssembly.',
      'warn',
    );
    return false;
  }
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) {
    say('WebGPU is absent: navigator.gpu exists but requestAdapter() returned no adapter (no usable GPU, or the browser blocks this one). The benchmark runs on WebAssembly.', 'warn');
    return false;
  }
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
  const software = adapter.isFallbackAdapter || adapter.info?.isFallbackAdapter || /swiftshader/i.test(name);
  say(
    `WebGPU is present: adapter ${name}${software ? ' (a software adapter: correct, not fast)' : ''}. ` +
      (backend === 'webgpu' ? 'The benchmark runs on WebGPU.' : 'The benchmark runs on WebAssembly; add &backend=webgpu to the address to run it on WebGPU.'),
    '',
  );
  return true;
}

async function main() {
  const styles = document.createElement('style');
  styles.textContent = REPORT_CSS;
  document.head.append(styles);
  const form = /** @type {HTMLFormElement} */ ($('form'));
  /** @type {HTMLInputElement} */ (form.elements.namedItem('models')).value = models.join(',');
  /** @type {HTMLInputElement} */ (form.elements.namedItem('time')).value = String(timeMs);
  /** @type {HTMLInputElement} */ (form.elements.namedItem('threads')).value = String(threads);
  /** @type {HTMLInputElement} */ (form.elements.namedItem('batch')).value = String(batch);
  $('zoo').append(...ZOO.map((m) => Object.assign(document.createElement('option'), { value: m.name, label: m.description })));

  const gpu = await webgpuNote();
  if (backend === 'webgpu' && !gpu) throw new Error('backend=webgpu was asked for, but this browser has no WebGPU adapter (see the note above)');
  if (!window.crossOriginIsolated) {
    note(
      'This page is not cross-origin isolated (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, as webconv bench --browser does): ' +
        "the browser's clock ticks in about 0.1 ms steps here, so the quickest layers read 0 ms" +
        (threads > 1 ? `, and there is no shared memory: the ${threads} threads asked for run as one.` : ', and wasm threads are off.'),
      'warn',
    ).id = 'isolation-note';
  }

  const bar = /** @type {HTMLProgressElement} */ ($('bar'));
  const status = $('status');
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  status.textContent = 'building models…';
  await new Promise((r) => setTimeout(r, 30)); // let the notes paint before the work starts
  const graphs = models.map((m) => buildModel(m, { batch }));
  status.textContent = `measuring this device: environment, wasm SIMD peak, memory bandwidth${backend === 'webgpu' ? ', WebGPU peak and bandwidth' : ''}…`;
  bar.value = 0.02;
  await new Promise((r) => setTimeout(r, 30));

  let index = -1;
  const report = await runBenchmark(graphs, {
    backend,
    timeMs,
    threads,
    onProgress: (p) => {
      if (p.done === 0) index++;
      bar.value = 0.05 + (0.95 * (index + p.done / p.total)) / graphs.length;
      status.textContent = `model ${index + 1} of ${graphs.length}: ${p.model}, ${p.step} (${elapsed()})`;
      /** @type {any} */ (window).__webconvProgress?.(p);
    },
  });
  $('report').innerHTML = renderReportBody(report);
  bar.value = 1;
  status.textContent = `done: ${graphs.length} model(s) in ${elapsed()}`;
  const links = $('downloads');
  const link = (text, body, type, file) =>
    Object.assign(document.createElement('a'), { textContent: text, download: file, href: URL.createObjectURL(new Blob([body], { type })) });
  links.append(
    link('Download the report (JSON)', JSON.stringify(report, null, 2), 'application/json', 'webconv-bench.json'),
    link('Download the report (HTML)', renderHtmlReport(report), 'text/html', 'webconv-bench.html'),
  );
  links.classList.remove('hidden');
  /** @type {any} */ (window).__webconvReport = report;
}

main().catch((e) => {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  console.error(e);
  $('status').textContent = '';
  note(`The benchmark failed: ${message}`, 'fail').id = 'error';
  /** @type {any} */ (window).__webconvError = message;
});
