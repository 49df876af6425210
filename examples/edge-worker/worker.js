// A Cloudflare Worker (module syntax) that classifies images with webconv: POST RGBA pixels,
// get the top-k labels as JSON. The Fashion-MNIST LeNet-5 shipped in models/ is bundled in:
// the .onnx as a Data module (an ArrayBuffer), its metadata as JSON, and webconv's kernels as
// CompiledWasm modules (each a WebAssembly.Module): workerd compiles no WebAssembly from bytes
// at run time. Bundle with `npx rollup -c` (rollup.config.mjs) or deploy with `npx wrangler deploy`
// (wrangler.toml); both resolve 'webconv' through its `workerd` export condition.
//
// Requests:
//   POST /classify?width=W&height=H[&top=K]  Content-Type: application/octet-stream
//        body: W x H x 4 bytes of RGBA, row by row
//   POST /classify[?top=K]                   Content-Type: application/json
//        body: { "width": W, "height": H, "data": [r, g, b, a, ...] }
// Answer: { labels: [{ label, index, probability }, ...], backend } or, for bad input, a 4xx
// with { error, code }.
import { Classifier, ImageError, importOnnx, InputError, LimitError, setWasmModules, WebconvError } from 'webconv';
import simd from 'webconv/wasm/webconv-simd.wasm';
import relaxed from 'webconv/wasm/webconv-relaxed.wasm';
import model from '../../models/lenet5-fashion-mnist.onnx';
import metadata from '../../models/lenet5-fashion-mnist.json';

setWasmModules({ simd, relaxed });

/** Largest request body accepted: a 512 x 512 RGBA image as JSON numbers is ~4 MB. */
const MAX_BODY = 8 << 20;

let classifier;
/** The classifier, compiled on the first request and kept while the isolate lives. */
function getClassifier() {
  classifier ??= Classifier.create(importOnnx(new Uint8Array(model), { batch: 1 }), metadata, { backend: 'wasm' }).catch((e) => {
    classifier = undefined;
    throw e;
  });
  return classifier;
}

const json = (body, status = 200) => Response.json(body, { status, headers: { 'cache-control': 'no-store' } });
const fail = (status, error, code = 'bad_request') => json({ error, code }, status);

/** A positive integer query parameter, or undefined when absent; throws a 400 answer when malformed. */
function intParam(url, name) {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  if (!/^[1-9]\d{0,5}$/.test(v)) throw fail(400, `query parameter '${name}' must be a positive integer, found '${v}'`);
  return Number(v);
}

/** The request's image as { width, height, data }, or throws a 4xx Response. */
async function readImage(request, url) {
  const length = Number(request.headers.get('content-length') ?? 0);
  if (length > MAX_BODY) throw fail(413, `request body of ${length} bytes is over the limit of ${MAX_BODY}`, 'too_large');
  const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/octet-stream') {
    const width = intParam(url, 'width');
    const height = intParam(url, 'height');
    if (width === undefined || height === undefined) throw fail(400, 'raw RGBA needs ?width=W&height=H');
    const data = new Uint8Array(await request.arrayBuffer());
    if (data.length > MAX_BODY) throw fail(413, `request body of ${data.length} bytes is over the limit of ${MAX_BODY}`, 'too_large');
    return { width, height, data };
  }
  if (type === 'application/json') {
    let body;
    try {
      body = JSON.parse(await request.text());
    } catch (e) {
      throw fail(400, `body is not JSON: ${e.message}`);
    }
    const { width, height, data } = body ?? {};
    if (!Array.isArray(data) || !data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) throw fail(400, "'data' must be an array of integers 0-255 (RGBA, row by row)");
    return { width, height, data: Uint8Array.from(data) };
  }
  throw fail(415, `Content-Type must be application/octet-stream (raw RGBA) or application/json, found '${type || 'none'}'`, 'unsupported_media_type');
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname !== '/classify') return fail(404, `no route ${url.pathname}; POST /classify`, 'not_found');
    if (request.method !== 'POST') return new Response(JSON.stringify({ error: 'POST an image to /classify', code: 'method_not_allowed' }), { status: 405, headers: { allow: 'POST', 'content-type': 'application/json' } });
    try {
      const top = intParam(url, 'top') ?? 3;
      const image = await readImage(request, url);
      const c = await getClassifier();
      const labels = await c.classify(image, { topK: top });
      return json({ labels, backend: c.info() });
    } catch (e) {
      if (e instanceof Response) return e;
      // webconv's typed errors about the input are the client's.
      if (e instanceof ImageError || e instanceof InputError) return fail(400, e.message, e.code);
      if (e instanceof LimitError) return fail(413, e.message, e.code);
      return fail(500, e instanceof Error ? e.message : String(e), e instanceof WebconvError ? e.code : 'internal');
    }
  },
};
