/**
 * ONNX's conformance cases on the webgpu backend in headless Chromium (WebGPU on
 * SwiftShader, the built browser bundle): every case that passes on webgpu in Node
 * (test/fixtures/conformance-expected.json) is imported and run in the page, and its
 * outputs held to ONNX's expected outputs with the same tolerance as in Node.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useWebgpuPage } from './helpers/browser.js';
import { dataSets, expectedOn, findConformanceData, listCases, scoreOutputs, type Expectations } from './helpers/conformance.js';
import { requireOracle } from './helpers/python.js';

const root = findConformanceData();
const expected = JSON.parse(readFileSync(new URL('./fixtures/conformance-expected.json', import.meta.url), 'utf8')) as Expectations;

/** Runs in the page, as text (vitest would rewrite a function's dynamic import). */
const RUN_IN_PAGE = `async (name, model, sets) => {
  const wc = await import('/webconv.browser.js');
  const bytes = Uint8Array.from(atob(model), (c) => c.charCodeAt(0));
  const graph = wc.importOnnx(bytes, { name });
  const exe = await wc.getBackend('webgpu').compile(graph);
  try {
    const results = [];
    for (const inputs of sets) {
      const feeds = Object.fromEntries(graph.inputs.map((inp, i) => [inp.name, { shape: inputs[i].shape, data: new Float32Array(inputs[i].data) }]));
      const out = await exe.run(feeds);
      results.push(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { shape: [...v.shape], data: Array.from(v.data, (x) => (Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Inf' : x === -Infinity ? '-Inf' : x)) }])));
    }
    return { outputs: graph.outputs, results };
  } finally {
    exe.dispose();
  }
}`;

const revive = (v: number | string) => (v === 'NaN' ? NaN : v === 'Inf' ? Infinity : v === '-Inf' ? -Infinity : (v as number));

const gpu = useWebgpuPage(root ? undefined : 'no conformance data');

describe('ONNX conformance on webgpu in headless Chromium', () => {
  const cases = root ? listCases(root).filter((c) => expectedOn(expected, c, 'webgpu') === 'pass') : [];

  it('has the cases, and Chromium with a WebGPU adapter (required under CI)', (ctx) => {
    if (!requireOracle(!gpu.why(), `conformance data and WebGPU in headless Chromium (${gpu.why()})`, 'apt-get install libonnx-testdata chromium')) return ctx.skip();
    expect(cases.length).toBeGreaterThan(100);
  });

  it('passes every case that passes on webgpu in Node', async (ctx) => {
    const page = gpu.page;
    if (!page || gpu.why()) return ctx.skip();
    const failures: string[] = [];
    for (const name of cases) {
      const dir = join(root!, name);
      const sets = dataSets(dir);
      const model = readFileSync(join(dir, 'model.onnx')).toString('base64');
      const args = JSON.stringify([name, model, sets.map((s) => s.inputs.map((t) => ({ shape: t.shape, data: Array.from(t.data) })))]);
      let got: { outputs: string[]; results: Record<string, { shape: number[]; data: (number | string)[] }>[] };
      try {
        got = (await page.page.evaluate(`(${RUN_IN_PAGE})(...${args})`)) as typeof got;
      } catch (e) {
        failures.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      const outs = got.results.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data, revive) }])));
      const score = scoreOutputs(got.outputs, outs, sets);
      if (score.status !== 'pass') failures.push(`${name}: ${score.status}`);
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
