/**
 * The first piece of the WebGPU backend: acquiring a device in Node (Dawn on Debian
 * chromium's SwiftShader here) and running kernels/elementwise.wgsl against the reference
 * kernels on a seeded-random tensor of odd length. Under CI a missing adapter fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDevice, type GpuContext } from '../src/backends/webgpu/device.js';
import { ELEMENTWISE_OP, wgslSource, type ElementwiseOp } from '../src/backends/webgpu/wgsl.js';
import { GpuError } from '../src/graph/errors.js';
import type { Node } from '../src/graph/graph.js';
import { mulberry32 } from '../src/graph/weight-init.js';
import { clip, leakyrelu, relu } from '../src/ops/activation.js';
import type { OpDef } from '../src/ops/op.js';
import { requireOracle } from './helpers/python.js';

let gpu: GpuContext | undefined;
let why = '';

beforeAll(async () => {
  try {
    gpu = await acquireDevice();
  } catch (e) {
    if (!(e instanceof GpuError)) throw e;
    why = e.message;
  }
}, 60_000);

afterAll(() => gpu?.destroy());

const WORKGROUP_SIZE = 64;

/**
 * Runs one elementwise op on the GPU, in the backend's layout (kernels/common.wgsl): x and y
 * in one storage buffer at element offsets 0 and n, a 48-byte uniform block. Every object
 * labelled, buffers destroyed.
 */
async function runElementwise(ctx: GpuContext, op: ElementwiseOp, x: Float32Array, p0 = 0, p1 = 0): Promise<Float32Array> {
  const { device, flags } = ctx;
  const { bufferUsage: U } = flags;
  const n = x.length;
  const yAt = Math.ceil(n / 4) * 4;
  const bytes = (yAt + n) * 4;
  const params = new ArrayBuffer(48);
  new Uint32Array(params, 0, 3).set([n, 0, yAt]);
  new Float32Array(params, 12, 2).set([p0, p1]);
  new Uint32Array(params, 20, 6).set([1, 1, 0, 0, 0, 0]);

  const module = device.createShaderModule({ label: 'elementwise.wgsl', code: wgslSource('elementwise') });
  const info = await module.getCompilationInfo();
  expect(info.messages.filter((m) => m.type === 'error').map((m) => m.message)).toEqual([]);
  const pipeline = await device.createComputePipelineAsync({
    label: `elementwise_${op}_wg${WORKGROUP_SIZE}`,
    layout: 'auto',
    compute: { module, entryPoint: 'main', constants: { OP: ELEMENTWISE_OP[op], WORKGROUP_SIZE } },
  });
  const uniform = device.createBuffer({ label: `${op}.params`, size: 48, usage: U.UNIFORM | U.COPY_DST });
  const storage = device.createBuffer({ label: `${op}.storage`, size: bytes, usage: U.STORAGE | U.COPY_DST | U.COPY_SRC });
  const readback = device.createBuffer({ label: `${op}.readback`, size: n * 4, usage: U.MAP_READ | U.COPY_DST });
  device.queue.writeBuffer(uniform, 0, params);
  device.queue.writeBuffer(storage, 0, x as Float32Array<ArrayBuffer>);
  const bindGroup = device.createBindGroup({
    label: `${op}.bindings`,
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: uniform } },
      { binding: 1, resource: { buffer: storage } },
    ],
  });
  const groups = Math.ceil(n / WORKGROUP_SIZE);
  const maxX = ctx.limits.maxComputeWorkgroupsPerDimension;
  const encoder = device.createCommandEncoder({ label: `${op}.encoder` });
  const pass = encoder.beginComputePass({ label: `${op}.pass` });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(Math.min(groups, maxX), Math.ceil(groups / maxX));
  pass.end();
  encoder.copyBufferToBuffer(storage, yAt * 4, readback, 0, n * 4);
  device.queue.submit([encoder.finish({ label: `${op}.commands` })]);
  await readback.mapAsync(flags.mapMode.READ);
  const y = new Float32Array(readback.getMappedRange().slice(0));
  readback.unmap();
  for (const b of [uniform, storage, readback]) b.destroy();
  return y;
}

function reference(def: OpDef, attrs: Record<string, unknown>, x: Float32Array): Float32Array {
  const raw: Node = { name: def.type, op: def.type, inputs: ['x'], outputs: ['y'], attrs, layer: def.type };
  const node: Node = { ...raw, attrs: def.attrs(raw) };
  const y = new Float32Array(x.length);
  def.reference(node, [{ shape: [x.length], data: x }], [{ shape: [x.length], data: y }]);
  return y;
}

/** 1001 seeded values in [-4, 4), plus the edges a comparison gets wrong: ±0, NaN, ±Inf. */
function seededInput(n = 1001, seed = 7): Float32Array {
  const next = mulberry32(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = next() * 8 - 4;
  x.set([0, -0, NaN, Infinity, -Infinity, 6, -1], 0);
  return x;
}

/** |a - b| <= rtol*|b|, NaN matching NaN and infinities themselves. */
function close(a: number, b: number, rtol: number): boolean {
  if (Number.isNaN(b)) return Number.isNaN(a);
  if (!Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= rtol * Math.abs(b);
}

describe('webgpu device (Dawn in Node)', () => {
  // Checked in a test, not in beforeAll, so that under CI a missing adapter is counted as
  // a failed test in vitest's totals rather than as a suite error with 0 failed.
  it('finds a WebGPU adapter (required under CI)', (ctx) => {
    if (!requireOracle(gpu !== undefined, `a WebGPU adapter (${why})`, "Debian's chromium package (SwiftShader) and the npm package webgpu")) {
      return ctx.skip();
    }
  });

  it('acquires a device and reports a software adapter plainly', (ctx) => {
    if (!gpu) return ctx.skip();
    console.log(`adapter: ${gpu.adapterName}; features: ${gpu.features.join(', ')}; limits: ${JSON.stringify(gpu.limits)}`);
    expect(gpu.software).toBe(true);
    expect(gpu.adapterName).toMatch(/software/);
    expect(gpu.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(WORKGROUP_SIZE);
    expect(gpu.lost).toBeUndefined();
  });

  // relu and clip only compare and select, so they are exact. leakyrelu's reference
  // multiplies by alpha in f64 and rounds once; the shader multiplies by f32(alpha): one
  // f32 ulp apart at most.
  const cases: [ElementwiseOp, OpDef, Record<string, unknown>, number, number, number][] = [
    ['relu', relu, {}, 0, 0, 0],
    ['clip', clip, { min: 0, max: 6 }, 0, 6, 0],
    ['clip', clip, { min: -0.5, max: 1.25 }, -0.5, 1.25, 0],
    ['leakyrelu', leakyrelu, { alpha: 0.1 }, 0.1, 0, 2 ** -23],
  ];
  it.for(cases)('%s %j on 1001 elements matches the reference kernel', async ([op, def, attrs, p0, p1, rtol], ctx) => {
    if (!gpu) return ctx.skip();
    const x = seededInput();
    const want = reference(def, attrs, x);
    const got = await runElementwise(gpu, op, x, p0, p1);
    const bad = [...want.keys()].filter((i) => !close(got[i], want[i], rtol));
    expect(bad.slice(0, 5).map((i) => `x[${i}]=${x[i]}: got ${got[i]}, want ${want[i]}`)).toEqual([]);
    expect(Object.is(got[1], want[1])).toBe(true); // relu(-0): the sign of zero survives
    expect(gpu.lastError).toBeUndefined();
  });

  it('records an uncaptured error', async (ctx) => {
    if (!gpu) return ctx.skip();
    // A separate device, so the shared one stays clean for the other tests.
    const other = await acquireDevice();
    try {
      other.device.createBuffer({ label: 'bad.usage', size: 4, usage: other.flags.bufferUsage.MAP_READ | other.flags.bufferUsage.STORAGE });
      await other.device.queue.onSubmittedWorkDone();
      for (let i = 0; i < 50 && !other.lastError; i++) await new Promise((r) => setTimeout(r, 10));
      expect(other.lastError?.message).toMatch(/usage/i);
      expect(gpu.lastError).toBeUndefined();
    } finally {
      other.destroy();
    }
    for (let i = 0; i < 50 && !other.lost; i++) await new Promise((r) => setTimeout(r, 10));
    expect(other.lost?.reason).toBe('destroyed');
  });
});
