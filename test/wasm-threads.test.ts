/**
 * Threads on the wasm backend: every kernel that splits its work across threads gives, on 2
 * and 3 threads, exactly the bits it gives on one (each output element is computed by one
 * thread, in the same order of accumulation), and one thread agrees with the reference
 * backend. The cases are the shapes that pick each split: GEMM convs whose pixels share out
 * evenly (split by pixels), small images (14x14, 7x7: split by output channels over the
 * image's im2col built once by all threads), K past one chunk, groups, a residual and an
 * activation in the epilogue; LRN (split by channels); global pooling (split by planes);
 * concat (split by bytes of every input); elementwise ops (split by rows or elements).
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import { GraphBuilder, type Graph } from '../src/index.js';
import { sharesIm2col } from '../src/backends/wasm/kernels/conv2d.js';
import { ThreadPool, controlBytes } from '../src/backends/wasm/thread-pool.js';
import { kernelsModule } from '../src/backends/wasm/wasm-module.js';
import { copyParams } from '../src/backends/wasm/params.generated.js';
import { writeParams } from '../src/backends/params.js';
import { expectOutputsAgree, tolerance } from './helpers/op-cases.js';
import { seededInput } from './helpers/wasm.js';

const wasm = getBackend('wasm');
const reference = getBackend('reference');

/** Runs `g` on 1, 2 and 3 threads (Winograd off: these are the GEMM path's cases) and on the reference. */
async function expectThreadsAgree(g: Graph): Promise<void> {
  const x = seededInput(g);
  const out = g.outputs[0];
  const runs: Float32Array[] = [];
  for (const threads of [1, 2, 3]) {
    const exe = await wasm.compile(g, { threads, winograd: false } as object);
    expect(exe.info().threads).toBe(threads);
    runs.push((await exe.run(x))[out].data);
    exe.dispose();
  }
  expect(runs[1]).toEqual(runs[0]);
  expect(runs[2]).toEqual(runs[0]);
  const ref = await (await reference.compile(g)).run(x);
  const feeds = { [g.inputs[0].name]: x };
  expectOutputsAgree([out], { [out]: { shape: ref[out].shape, data: runs[0] } }, ref, tolerance(g, feeds, 'wasm'));
}

/** The convs of `g` whose threads share the image's im2col on `threads` threads. */
const shared = (g: Graph, threads: number) => g.nodes.filter((n) => n.op === 'conv2d' && sharesIm2col(n as never, g, threads)).map((n) => n.name);

describe('wasm threads: bit-identical to one thread', () => {
  it('GEMM convs: pixels split on 28x28, output channels over a shared im2col on 14x14 and 7x7', async () => {
    const b = new GraphBuilder('convs');
    const x = b.input('x', [2, 24, 28, 28]);
    const a = x.conv('big', 20, 3, { pad: 1 }).relu(); // 28x28: 13 tiles, split by pixels
    const s = a.conv('down', 40, 3, { stride: 2, pad: 1 }).relu(); // 14x14: 4 tiles, 10 channel blocks
    const p = s.conv('pw', 40, 1).add(s).relu(); // 1x1 with a residual
    const f = p.conv('five', 22, 5, { pad: 2 }); // 5x5, 22 channels: a partial block of 4
    const q = f.conv('seven', 64, 3, { stride: 2, pad: [1, 0, 1, 2] }).relu(); // 7x7 (asymmetric pads)
    const k = q.conv('long', 40, 3, { pad: 1 }); // K = 576 > 512: two chunks and the accumulators
    const gr = k.conv('grouped', 40, 3, { pad: 1, groups: 4 }); // groups: split by pixels
    const g = b.build([gr.globalAvgPool('gap')]);
    expect(shared(g, 2)).toEqual(['down', 'pw', 'five', 'seven', 'long']);
    expect(shared(g, 3)).toEqual(['five', 'seven', 'long']); // 10 channel blocks share out 4/3/3, 25 groups of 8 pixels 8/8/9
    expect(shared(g, 1)).toEqual([]);
    await expectThreadsAgree(g);
  });

  it('LRN splits channels (windows crossing the shares), global max and average pooling split planes', async () => {
    const b = new GraphBuilder('lrn');
    const x = b.input('x', [3, 7, 9, 9]);
    const l = x.conv('c', 10, 3, { pad: 1 }).lrn({ size: 5, alpha: 1e-2, beta: 0.75, bias: 1 });
    const m = b.node('gmp', 'globalmaxpool', [l.name], 'gmp', {});
    const a = l.globalAvgPool('gap');
    const g = b.build([b.concat('y', [m, a])]);
    expect(g.nodes.map((n) => n.op)).toEqual(expect.arrayContaining(['lrn', 'globalmaxpool', 'globalavgpool']));
    await expectThreadsAgree(g);
  });

  it('elementwise ops split their outputs: a broadcast mul by rows, add and activations by 4-float units', async () => {
    const b = new GraphBuilder('ew');
    const x = b.input('x', [2, 16, 23, 25]); // 18400 elements: past PARALLEL_ELEMENTS, rows of 575
    const gate = x.globalAvgPool('gap').sigmoid();
    const y = x.mul(gate).add(x).hardswish().tanh().silu().gelu().relu();
    const g = b.build([y]);
    const ops = g.nodes.map((n) => n.op);
    expect(ops).toEqual(expect.arrayContaining(['sigmoid', 'mul', 'add', 'hardswish', 'tanh', 'gelu', 'relu'])); // silu: sigmoid and mul, recognised at compile
    await expectThreadsAgree(g);
  });

  it('concat splits every input by bytes (slabs not a multiple of 16 bytes, batch 2)', async () => {
    const b = new GraphBuilder('cat');
    const x = b.input('x', [2, 3, 5, 5]);
    const parts = [1, 6, 3].map((c, i) => x.conv(`p${i}`, c, 3, { pad: 1 }));
    const g = b.build([b.concat('y', [...parts, x])]);
    expect(g.nodes.filter((n) => n.op === 'concat')).toHaveLength(1);
    await expectThreadsAgree(g);
  });
});

describe('wasm thread pool', () => {
  it('a share no worker claims is run by the calling thread: a step never waits on a worker that is not running', async () => {
    const module = await kernelsModule('simd', true);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
    const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
    const copy = exports.xx_copy_blocks__wasm as (p: number) => void;
    const pool = await ThreadPool.start(module, memory, 1024, 2);
    const f32 = new Float32Array(memory.buffer);
    const src = 4096, dst = 8192;
    f32.set(Float32Array.from({ length: 96 }, (_, i) => i + 1), src / 4);
    // Three shares of 32 floats each; block pointers from 16384 on.
    const blocks = [0, 1, 2].map((t) => {
      const at = 16384 + 64 * t;
      writeParams(memory.buffer, at, copyParams({ src: src + 128 * t, dst: dst + 128 * t, count: 1, bytes: 128, srcStride: 0, dstStride: 0 }));
      return at;
    });
    pool.run('xx_copy_blocks__wasm', blocks, copy);
    expect(Array.from(f32.subarray(dst / 4, dst / 4 + 96))).toEqual(Array.from(f32.subarray(src / 4, src / 4 + 96)));
    // The workers stopped: the caller runs their shares itself, and returns.
    pool.terminate();
    f32.fill(0, dst / 4, dst / 4 + 96);
    pool.run('xx_copy_blocks__wasm', blocks, copy);
    expect(Array.from(f32.subarray(dst / 4, dst / 4 + 96))).toEqual(Array.from(f32.subarray(src / 4, src / 4 + 96)));
    expect(() => pool.run('no_such_kernel', blocks, copy)).toThrow(/no export 'no_such_kernel'/);
    expect(controlBytes(2)).toBeLessThanOrEqual(4096 - 1024);
  });
});
