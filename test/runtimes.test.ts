/**
 * The packed package, installed from its tarball in a fresh project, classifies on five
 * runtimes: Node, Bun and Deno (each running the same script, which imports 'webconv' from
 * node_modules), workerd (a Worker bundled by rollup through the package's `workerd`
 * condition, run by miniflare, with the kernels imported as .wasm modules) and headless
 * Chromium (a page bundled by rollup from the installed package, and the same classification
 * in a module Service Worker of that page). All of them must give the
 * same top-1 class and logits within float tolerance of each other (plain and relaxed SIMD
 * differ in rounding only). Also: what the tarball holds (no test or repository pages, the
 * .wasm kernels and the edge entry in).
 *
 * Needs dist/ (npm test builds it), the npm cache (the install is --prefer-offline; npm ci
 * filled it), bun and deno from devDependencies, and Chromium (scripts/setup-system.mjs).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { Miniflare } from 'miniflare';
import puppeteer from 'puppeteer-core';
import { rollup } from 'rollup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeWorkerConfig } from '../examples/edge-worker/rollup.config.mjs';
import { CHROMIUM_ARGS, findChromium, servePage } from '../src/bench/browser-runner.js';
import { requireOracle } from './helpers/python.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const BIN = join(ROOT, 'node_modules', '.bin');
const chromium = findChromium();

/** One classification, the same on every runtime: a fixed input, the logits and top-1 out. */
const CLASSIFY = `
import { importOnnx, getBackend, topClasses } from 'webconv';
export async function classify(modelBytes, metadata) {
  const graph = importOnnx(new Uint8Array(modelBytes), { batch: 1 });
  const exe = await getBackend('wasm').compile(graph);
  const x = new Float32Array(exe.inputs[0].shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = ((i * 37) % 101) / 100 - 0.3 * Math.sin(i / 9);
  const logits = Array.from((await exe.run(x))[exe.outputs[0].name].data);
  const [top] = topClasses(logits, metadata.labels, 1);
  const info = exe.info();
  exe.dispose();
  return { logits, top1: top.index, label: top.label, backend: info.backend };
}
`;

const NODE_SCRIPT = `
import { readFileSync } from 'node:fs';
import { classify } from './classify.mjs';
const result = await classify(readFileSync(new URL('./model.onnx', import.meta.url)), JSON.parse(readFileSync(new URL('./model.json', import.meta.url), 'utf8')));
console.log(JSON.stringify(result));
`;

const WORKER = `
import { setWasmModules } from 'webconv';
import simd from 'webconv/wasm/webconv-simd.wasm';
import relaxed from 'webconv/wasm/webconv-relaxed.wasm';
import model from './model.onnx';
import metadata from './model.json';
import { classify } from './classify.mjs';
setWasmModules({ simd, relaxed });
export default {
  async fetch() {
    try {
      return Response.json(await classify(model, metadata));
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e) }, { status: 500 });
    }
  },
};
`;

const PAGE = `
import { classify } from './classify.mjs';
const get = async (name) => (await fetch(name)).arrayBuffer();
classify(await get('model.onnx'), JSON.parse(new TextDecoder().decode(await get('model.json'))))
  .then((r) => { window.result = r; }, (e) => { window.result = { error: String(e?.stack ?? e) }; });
`;

/** A module Service Worker classifying on request: the page posts a MessageChannel port, the answer comes back on it. */
const SERVICE_WORKER = `
import { classify } from './classify.mjs';
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('message', (e) => {
  const port = e.ports[0];
  const get = async (name) => (await fetch(name)).arrayBuffer();
  e.waitUntil((async () => classify(await get('model.onnx'), JSON.parse(new TextDecoder().decode(await get('model.json')))))()
    .then((r) => port.postMessage(r), (err) => port.postMessage({ error: String(err?.stack ?? err) })));
});
`;

const SERVICE_WORKER_PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
try {
  await navigator.serviceWorker.register('sw.js', { type: 'module' });
  const { active } = await navigator.serviceWorker.ready;
  const channel = new MessageChannel();
  channel.port1.onmessage = (e) => { window.result = e.data; };
  active.postMessage('classify', [channel.port2]);
} catch (e) {
  window.result = { error: String(e?.stack ?? e) };
}
</script>`;

interface Result {
  logits: number[];
  top1: number;
  label: string;
  backend: string;
  error?: string;
}

let work = '';
let app = '';
let packed: { path: string }[] = [];
const results = new Map<string, Result | string>();

function run(cmd: string, args: string[], cwd: string, timeout = 60_000) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`, stdout: r.stdout ?? '' };
}

/** Runs a runtime on the script without blocking (the runtimes overlap); its JSON line, or what went wrong. */
function runScript(name: string, cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('error', (e) => (err += String(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        results.set(name, code === 0 ? (JSON.parse(line) as Result) : `${name} exited ${code}: ${err}${out}`);
      } catch {
        results.set(name, `${name} printed no JSON: ${out}${err}`);
      }
      resolve();
    });
  });
}

async function runWorkerd(): Promise<void> {
  const out = join(work, 'worker-dist');
  const config = edgeWorkerConfig(join(app, 'worker.mjs'), out);
  const build = await rollup(config);
  await build.write(config.output as object);
  await build.close();
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(out, 'worker.js'),
    modulesRoot: out,
    modulesRules: [
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
      { type: 'Data', include: ['**/*.onnx'] },
    ],
    compatibilityDate: '2025-06-01',
  });
  try {
    const res = await mf.dispatchFetch('http://localhost/');
    const body = (await res.json()) as Result;
    results.set('workerd', res.status === 200 ? body : `workerd answered ${res.status}: ${body.error}`);
  } finally {
    await mf.dispose();
  }
}

async function runChromium(): Promise<void> {
  if (!chromium) return;
  const dir = join(work, 'page');
  mkdirSync(dir);
  const build = await rollup({ input: join(app, 'page.mjs'), plugins: [nodeResolve({ browser: true }), (commonjs as unknown as () => import('rollup').Plugin)()], onwarn: () => {} });
  await build.write({ file: join(dir, 'main.js'), format: 'es' });
  await build.close();
  const swBuild = await rollup({ input: join(app, 'sw.mjs'), plugins: [nodeResolve({ browser: true }), (commonjs as unknown as () => import('rollup').Plugin)()], onwarn: () => {} });
  await swBuild.write({ file: join(dir, 'sw.js'), format: 'es' });
  await swBuild.close();
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="main.js"></script>');
  writeFileSync(join(dir, 'sw.html'), SERVICE_WORKER_PAGE);
  copyFileSync(join(app, 'model.onnx'), join(dir, 'model.onnx'));
  copyFileSync(join(app, 'model.json'), join(dir, 'model.json'));
  const server = await servePage(dir);
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, userDataDir: join(work, 'profile'), args: [...CHROMIUM_ARGS] });
  try {
    const page = await browser.newPage();
    const log: string[] = [];
    page.on('pageerror', (e) => log.push(String(e)));
    await page.goto(`${server.url}index.html`, { waitUntil: 'load' });
    await page.waitForFunction('window.result !== undefined', { timeout: 60_000 }).catch(() => undefined);
    const r = (await page.evaluate('window.result ?? null')) as Result | null;
    results.set('chromium', r && !r.error ? r : `chromium: ${r?.error ?? 'no result'} ${log.join(' | ')}`);
    // The same bundle's classify in a module Service Worker (no dynamic import() allowed there).
    const swPage = await browser.newPage();
    swPage.on('pageerror', (e) => log.push(String(e)));
    await swPage.goto(`${server.url}sw.html`, { waitUntil: 'load' });
    await swPage.waitForFunction('window.result !== undefined', { timeout: 60_000 }).catch(() => undefined);
    const sw = (await swPage.evaluate('window.result ?? null')) as Result | null;
    results.set('service-worker', sw && !sw.error ? sw : `service worker: ${sw?.error ?? 'no result'} ${log.join(' | ')}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'edge.js'))) throw new Error(`${ROOT}dist/edge.js is missing: run 'npm run build' first (npm test does)`);
  work = mkdtempSync(join(tmpdir(), 'webconv-runtimes-'));
  const pack = run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.out}`);
  packed = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0].files;
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball:\n${pack.out}`);
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'webconv-runtimes-app', private: true, type: 'module', dependencies: { webconv: `file:${join(work, tarball)}` } }, null, 2));
  const install = run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], app, 120_000);
  if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.out}`);
  copyFileSync(join(ROOT, 'models/lenet5-fashion-mnist.onnx'), join(app, 'model.onnx'));
  copyFileSync(join(ROOT, 'models/lenet5-fashion-mnist.json'), join(app, 'model.json'));
  writeFileSync(join(app, 'classify.mjs'), CLASSIFY);
  writeFileSync(join(app, 'main.mjs'), NODE_SCRIPT);
  writeFileSync(join(app, 'worker.mjs'), WORKER);
  writeFileSync(join(app, 'page.mjs'), PAGE);
  writeFileSync(join(app, 'sw.mjs'), SERVICE_WORKER);
  // The three command-line runtimes run side by side; workerd and Chromium after them (2 cores).
  await Promise.all([
    runScript('node', process.execPath, ['main.mjs']),
    runScript('bun', join(BIN, 'bun'), ['main.mjs'], { BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0', DO_NOT_TRACK: '1' }),
    runScript('deno', join(BIN, 'deno'), ['run', '--no-lock', '--allow-read', '--allow-env', 'main.mjs'], { DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(work, 'deno-dir') }),
  ]);
  await runWorkerd().catch((e) => results.set('workerd', `workerd: ${e instanceof Error ? e.stack : String(e)}`));
  await runChromium().catch((e) => results.set('chromium', `chromium: ${e instanceof Error ? e.stack : String(e)}`));
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the installed tarball', () => {
  it('holds the edge entry and the .wasm kernels, and no test, fixture or repository example pages', () => {
    const paths = packed.map((f) => f.path);
    for (const f of ['dist/index.js', 'dist/edge.js', 'dist/edge.d.ts', 'dist/node.js', 'dist/wasm/webconv-simd.wasm', 'dist/wasm/webconv-relaxed.wasm', 'dist/wasm/webconv-simd-shared.wasm', 'dist/wasm/webconv-relaxed-shared.wasm', 'package.json', 'README.md']) {
      expect(paths, f).toContain(f);
    }
    // dist/bench-page ships on purpose: `webconv bench --browser` serves it.
    expect(paths.filter((p) => /^(test|bench|examples|scripts|assembly|src|models)\/|^dist\/example\/|\.test\.|fixtures\//.test(p))).toEqual([]);
  });

  const runtimes = ['node', 'bun', 'deno', 'workerd', ...(requireOracle(chromium !== undefined, 'chromium', 'apt-get install chromium') ? ['chromium', 'service-worker'] : [])];
  it.each(runtimes)('classifies on %s', (name) => check(name));
  function check(name: string) {
    const r = results.get(name);
    expect(typeof r === 'string' ? r : undefined).toBeUndefined();
    const node = results.get('node');
    if (typeof node === 'string' || !node || typeof r === 'string' || !r) throw new Error('no result from node');
    expect(r.backend).toBe('wasm');
    expect(r.logits).toHaveLength(10);
    expect(r.top1).toBe(node.top1);
    expect(r.label).toBe(node.label);
    const scale = Math.max(...node.logits.map(Math.abs));
    r.logits.forEach((v, i) => expect(Math.abs(v - node.logits[i]), `logit ${i} on ${name}`).toBeLessThan(1e-4 * scale));
  }
});
