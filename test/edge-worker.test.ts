/**
 * The Cloudflare Worker example (examples/edge-worker) bundled with its rollup config and
 * run in real workerd through miniflare: the bundle (webconv's `workerd` entry, protobufjs,
 * the Worker) has no dynamic import, miniflare loads it from disk (its module scan refuses a
 * dynamic specifier: ERR_MODULE_DYNAMIC_SPEC), the kernels arrive as CompiledWasm modules,
 * and the labels it answers for an image equal the Node API's for the same pixels. Bad
 * requests get a 4xx JSON error. workerd also forbids generating code from strings, which
 * protobufjs's reflection makes its decoders with: webconv's ONNX codec is protobufjs's
 * static code (src/onnx/onnx-pb.generated.ts), which must give the same objects as the
 * reflection decoder protobufjs/light builds from the same descriptor.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, parse } from 'es-module-lexer';
import { Miniflare } from 'miniflare';
import protobuf from 'protobufjs/light.js';
import { rollup } from 'rollup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeWorkerConfig } from '../examples/edge-worker/rollup.config.mjs';
import '../src/backends/register-all.js';
import type { RgbaImage } from '../src/io/image.js';
import { Classifier, type Classification } from '../src/models/classifier.js';
import { buildModel } from '../src/models/zoo.js';
import { exportOnnx } from '../src/onnx/export.js';
import { importOnnx } from '../src/onnx/import.js';
import { decodeModelProto } from '../src/onnx/schema.js';
import { fashionMnistFile, haveFashionMnist } from './helpers/fashion-mnist.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'webconv-edge-'));
const out = join(work, 'dist');
let mf: Miniflare | undefined;
let node: Classifier | undefined;
let bundle = '';

/** Deterministic test images: Fashion-MNIST test images where the machine has them, and a synthetic one. */
function images(): RgbaImage[] {
  const list: RgbaImage[] = [];
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24);
  const synthetic = new Uint8Array(28 * 28 * 4);
  for (let p = 0; p < 28 * 28; p++) synthetic.set([rand(), rand(), rand(), 255], p * 4);
  list.push({ width: 28, height: 28, data: synthetic });
  if (haveFashionMnist) {
    const gray = fashionMnistFile('t10k-images-idx3-ubyte.gz').data as Uint8Array;
    for (const i of [0, 1, 2, 3]) {
      const data = new Uint8Array(28 * 28 * 4);
      for (let p = 0; p < 784; p++) data.set([gray[i * 784 + p], gray[i * 784 + p], gray[i * 784 + p], 255], p * 4);
      list.push({ width: 28, height: 28, data });
    }
  }
  // Another size: the classifier resizes.
  const big = new Uint8Array(40 * 30 * 4);
  for (let p = 0; p < 40 * 30; p++) big.set([(p * 7) & 255, (p * 3) & 255, (p * 11) & 255, 255], p * 4);
  list.push({ width: 40, height: 30, data: big });
  return list;
}

beforeAll(async () => {
  const build = await rollup(edgeWorkerConfig(join(ROOT, 'examples/edge-worker/worker.js'), out));
  await build.write(edgeWorkerConfig(join(ROOT, 'examples/edge-worker/worker.js'), out).output as object);
  await build.close();
  bundle = readFileSync(join(out, 'worker.js'), 'utf8');
  mf = new Miniflare({
    modules: true,
    scriptPath: join(out, 'worker.js'),
    modulesRoot: out,
    modulesRules: [
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
      { type: 'Data', include: ['**/*.onnx'] },
    ],
    compatibilityDate: '2025-06-01',
  });
  await mf.ready;
  const graph = importOnnx(new Uint8Array(readFileSync(join(ROOT, 'models/lenet5-fashion-mnist.onnx'))), { batch: 1 });
  node = await Classifier.create(graph, JSON.parse(readFileSync(join(ROOT, 'models/lenet5-fashion-mnist.json'), 'utf8')), { backend: 'wasm' });
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  node?.dispose();
  rmSync(work, { recursive: true, force: true });
});

async function post(path: string, body: string | Uint8Array | undefined, type?: string, method = 'POST') {
  const res = await mf!.dispatchFetch(`http://localhost${path}`, { method, body: body as never, headers: type ? { 'content-type': type } : {} });
  return { status: res.status, body: (await res.json()) as { labels?: Classification[]; backend?: { backend: string; features: string[] }; error?: string; code?: string } };
}

/** Byte views as base64, so Buffer and Uint8Array views of the same bytes compare equal (and fast). */
const plain = (v: unknown): unknown =>
  ArrayBuffer.isView(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;

describe('ONNX decoding without code generation', () => {
  it('the static codec gives what protobufjs\'s reflection decoder gives, on the shipped models, exported zoo models and fuzz findings', () => {
    const files = [
      join(ROOT, 'models/lenet5-fashion-mnist.onnx'),
      join(ROOT, 'models/lenet5-fashion-mnist-classes-0-1-2-3-4.onnx'),
      ...readdirSync(join(ROOT, 'test/fixtures/fuzz')).filter((f) => f.endsWith('.onnx')).map((f) => join(ROOT, 'test/fixtures/fuzz', f)),
    ];
    const models = [...files.map((f) => new Uint8Array(readFileSync(f))), ...['googlenet', 'mobilenetv2', 'efficientnet-b0'].map((m) => exportOnnx(buildModel(m, { batch: 1 })))];
    expect(models.length).toBeGreaterThan(5);
    const reflected = protobuf.Root.fromJSON(JSON.parse(readFileSync(join(ROOT, 'src/onnx/onnx-subset.json'), 'utf8'))).lookupType('onnx.ModelProto');
    const options = { longs: Number, enums: Number, defaults: true, arrays: true };
    for (const bytes of models) expect(plain(decodeModelProto(bytes))).toEqual(plain(reflected.toObject(reflected.decode(bytes), options)));
    // Truncated: both refuse.
    const cut = models[0].subarray(0, 1000);
    expect(() => decodeModelProto(cut)).toThrow(RangeError);
    expect(() => reflected.decode(cut)).toThrow(RangeError);
  });
});

describe('the Cloudflare Worker example in workerd', () => {
  it('bundles with no dynamic import, the kernels and the model beside it as modules', async () => {
    await init;
    const [imports] = parse(bundle);
    expect(imports.filter((i) => i.d > -1).map((i) => bundle.slice(i.ss, i.se))).toEqual([]);
    expect(imports.filter((i) => i.d === -1).map((i) => i.n).sort()).toEqual(['./lenet5-fashion-mnist.onnx', './webconv-relaxed.wasm', './webconv-simd.wasm']);
    expect(readdirSync(out).sort()).toEqual(['lenet5-fashion-mnist.onnx', 'webconv-relaxed.wasm', 'webconv-simd.wasm', 'worker.js']);
    // The edge entry: webconv's benchmark harness and page-side worker API are not in it.
    expect(bundle).not.toMatch(/runBenchmark|compileInWorker/);
  });

  it('answers the Node API\'s top-k labels for the same pixels (raw RGBA and JSON)', async () => {
    const list = images();
    for (const [k, image] of list.entries()) {
      const expected = await node!.classify(image, { topK: 5 });
      const raw = await post(`/classify?width=${image.width}&height=${image.height}&top=5`, image.data as Uint8Array, 'application/octet-stream');
      expect(raw.status, raw.body.error).toBe(200);
      expect(raw.body.backend?.backend).toBe('wasm');
      expect(raw.body.backend?.features).toContain('relaxed-simd');
      expect(raw.body.labels!.map((c) => [c.index, c.label]), `image ${k}`).toEqual(expected.map((c) => [c.index, c.label]));
      raw.body.labels!.forEach((c, i) => expect(c.probability).toBeCloseTo(expected[i].probability, 5));
      if (k === 0) {
        const viaJson = await post('/classify', JSON.stringify({ width: image.width, height: image.height, data: [...image.data] }), 'application/json');
        expect(viaJson.status).toBe(200);
        expect(viaJson.body.labels!.map((c) => c.index)).toEqual(expected.slice(0, 3).map((c) => c.index));
      }
    }
  }, 60_000);

  it('answers bad requests with a 4xx JSON error', async () => {
    const wrongSize = await post('/classify?width=28&height=28', new Uint8Array(28 * 28 * 3), 'application/octet-stream');
    expect(wrongSize.status).toBe(400);
    expect(wrongSize.body).toMatchObject({ code: 'E_IMAGE' });
    expect(wrongSize.body.error).toMatch(/expected 3136 RGBA bytes for 28 x 28, found 2352/);
    const noSize = await post('/classify', new Uint8Array(16), 'application/octet-stream');
    expect(noSize.status).toBe(400);
    expect(noSize.body.error).toMatch(/width=W&height=H/);
    const zero = await post('/classify?width=0&height=5', new Uint8Array(0), 'application/octet-stream');
    expect(zero.status).toBe(400);
    const notJson = await post('/classify', '{nope', 'application/json');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/not JSON/);
    const badData = await post('/classify', JSON.stringify({ width: 1, height: 1, data: [1, 2, 3, 999] }), 'application/json');
    expect(badData.status).toBe(400);
    const png = await post('/classify', new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'image/png');
    expect(png.status).toBe(415);
    expect(png.body.code).toBe('unsupported_media_type');
    const get = await post('/classify', undefined, undefined, 'GET');
    expect(get.status).toBe(405);
    const elsewhere = await post('/nowhere', undefined, undefined, 'GET');
    expect(elsewhere.status).toBe(404);
  }, 30_000);
});
