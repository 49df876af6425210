// The example page: a picture in, the top-3 labels out, on wasm and on WebGPU where the
// browser has it, with the time each took. The models run in Web Workers (WorkerClassifier,
// the worker script webconv.worker.js beside the page), so the page never freezes; where
// there are no workers, in the page. Loads the model and its metadata from beside the
// page (works offline from any static server). Bundled by rollup into dist/example/.
// The model switches between float32 and int8 (the same LeNet-5 quantized by `webconv
// quantize`: a quarter of the download), each file's size shown.
// For automation: body[data-ready] (the model's kind) once a model is loaded, and after each classification
// the result rows carry data-backend and data-label; data-error on failure.
import '../../dist/backends/register-all.js';
import { getBackend } from '../../dist/backends/registry.js';
import { EngineError, ExecutableError } from '../../dist/graph/errors.js';
import { Classifier } from '../../dist/models/classifier.js';
import { importOnnx } from '../../dist/onnx/import.js';
import { WorkerClassifier } from '../../dist/worker/worker-classifier.js';

const $ = (id) => document.getElementById(id);
const canvas = /** @type {HTMLCanvasElement} */ ($('canvas'));
const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
const status = (text, error = false) => {
  $('status').textContent = text;
  $('status').className = error ? 'error' : 'muted';
  if (error) document.body.dataset.error = text;
};

function clear() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  $('hint').hidden = false;
}

/** Draws an image file onto the canvas, scaled to fit. */
async function drawFile(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`${file.name}: not an image this browser can decode`);
  }
  clear();
  const s = Math.min(canvas.width / bitmap.width, canvas.height / bitmap.height);
  const w = bitmap.width * s;
  const h = bitmap.height * s;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
  $('hint').hidden = true;
}

/** The two files of the model: float32 as trained, and int8 as `webconv quantize` wrote it. */
const MODELS = {
  float32: { onnx: 'lenet5-fashion-mnist.onnx', json: 'lenet5-fashion-mnist.json' },
  int8: { onnx: 'lenet5-fashion-mnist.int8.onnx', json: 'lenet5-fashion-mnist.int8.json' },
};

const get = (file, as) => fetch(file).then((r) => (r.ok ? r[as]() : Promise.reject(new Error(`${file}: HTTP ${r.status}`))));

async function main() {
  const files = {};
  for (const [kind, m] of Object.entries(MODELS)) {
    const [bytes, metadata] = await Promise.all([get(m.onnx, 'arrayBuffer'), get(m.json, 'json')]);
    files[kind] = { bytes, metadata };
  }
  const kib = (b) => `${(b.byteLength / 1024).toFixed(0)} KiB`;
  $('model').replaceChildren(
    ...Object.keys(MODELS).map((kind) => Object.assign(document.createElement('option'), { value: kind, textContent: `${kind} (${kib(files[kind].bytes)} download)` })),
  );
  // In a worker where the browser has them (the ONNX file is imported there too), else here.
  let where = 'in a worker';
  const create = async (kind, backend) => {
    const { bytes, metadata } = files[kind];
    if (where === 'in a worker') {
      try {
        return await WorkerClassifier.create(bytes, metadata, { backend, workerUrl: new URL('webconv.worker.js', location.href) });
      } catch (e) {
        // No workers here (EngineError), or the worker could not start (ExecutableError): run in
        // the page. A bad model or metadata (OnnxError, MetadataError) would fail there too.
        if (!(e instanceof EngineError || e instanceof ExecutableError)) throw e;
        where = `in the page (no worker: ${e.message})`;
      }
    }
    return Classifier.create(importOnnx(new Uint8Array(bytes), { batch: 1 }), metadata, { backend });
  };
  const gpu = await getBackend('webgpu').isAvailable();
  let classifiers = [];
  /** Makes the classifiers of one model (and ends the previous ones: their workers stop). */
  async function load(kind) {
    delete document.body.dataset.ready;
    for (const { classifier } of classifiers) classifier.dispose();
    classifiers = [];
    const wasm = await create(kind, 'wasm');
    classifiers.push({ name: `wasm (${where === 'in a worker' ? where : 'in the page'})`, classifier: wasm });
    if (gpu) {
      const c = await create(kind, 'webgpu');
      classifiers.push({ name: `webgpu (${c.info().adapter}, ${where === 'in a worker' ? where : 'in the page'})`, classifier: c });
    }
    status(`ready: the ${kind} model (${kib(files[kind].bytes)}), ${where}.${gpu ? '' : ' WebGPU is not available in this browser: wasm only.'}`);
    document.body.dataset.ready = kind;
  }
  await load('float32');
  clear();

  async function classify() {
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const rows = [];
    for (const { name, classifier } of classifiers) {
      const t = performance.now();
      const top = await classifier.classify(image, { topK: 3 });
      rows.push({ name, top, ms: performance.now() - t });
    }
    const body = $('results').querySelector('tbody');
    body.replaceChildren(
      ...rows.map(({ name, top, ms }) => {
        const tr = document.createElement('tr');
        tr.dataset.backend = name.split(' ')[0];
        tr.dataset.label = top[0].label;
        const cells = [name, top.map((c) => `${c.label} ${(100 * c.probability).toFixed(1)}%`).join(', '), `${ms.toFixed(1)} ms`];
        cells.forEach((text, i) => {
          const td = document.createElement('td');
          td.textContent = text;
          if (i === 2) td.className = 'ms';
          tr.append(td);
        });
        return tr;
      }),
    );
    $('results').hidden = false;
    status(`classified: ${rows[0].top[0].label}`);
  }
  const run = (f) => f().catch((e) => status(String(e.message ?? e), true));

  $('classify').addEventListener('click', () => run(classify));
  $('clear').addEventListener('click', clear);
  $('model').addEventListener('change', (e) => run(async () => {
    await load(/** @type {HTMLSelectElement} */ (e.target).value);
    $('results').hidden = true;
  }));
  $('file').addEventListener('change', (e) => {
    const file = /** @type {HTMLInputElement} */ (e.target).files?.[0];
    if (file) run(async () => { await drawFile(file); await classify(); });
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files?.[0];
    if (file) run(async () => { await drawFile(file); await classify(); });
  });
  // Drawing: a thick white brush, as Fashion-MNIST's pictures are light on black.
  let drawing = false;
  const point = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    $('hint').hidden = true;
    ctx.beginPath();
    ctx.moveTo(...point(e));
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    ctx.lineTo(...point(e));
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 22;
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.stroke();
  });
  addEventListener('pointerup', () => { drawing = false; });
}

main().catch((e) => status(`The page failed: ${e.message ?? e}`, true));
