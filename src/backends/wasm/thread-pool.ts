/**
 * Worker threads (Node's worker_threads, or Web Workers in a cross-origin-isolated page)
 * that each instantiate the kernels module over the executable's shared memory, and run a
 * kernel on their own parameter block when told to. Coordination is through a control
 * block in that memory with Atomics, not messages: a parallel step costs a notify and a
 * wait, not a round trip through the event loop.
 */

/** Kernels a worker can run, by index in the control block. */
export const PARALLEL_KERNELS = ['f32_conv2d_gemm_4x8__wasmsimd', 'f32_dwconv2d__wasmsimd', 'f32_fc_4x8__wasmsimd', 'f32_invertedresidual_4x8__wasmsimd', 'f32_conv2d_winograd_4x8__wasmsimd', 'f32_maxpool__wasmsimd', 'f32_avgpool__wasmsimd'] as const;
export type ParallelKernel = (typeof PARALLEL_KERNELS)[number];

// Control block (Int32 fields): generation, done count, stop flag, kernel index, then one
// parameter-block pointer per worker.
const GEN = 0;
const DONE = 1;
const STOP = 2;
const FN = 3;
const PARAMS = 4;
/** Bytes of the control block for `workers` workers. */
export const controlBytes = (workers: number) => (PARAMS + workers) * 4;

const WORKER_SOURCE = `
const start = async ({ module, memory, control, index, names, slots }) => {
  const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
  const c = new Int32Array(memory.buffer, control, slots);
  // Read the generation before saying ready: the host may start the first kernel at once.
  let seen = Atomics.load(c, ${GEN});
  post('ready');
  for (;;) {
    Atomics.wait(c, ${GEN}, seen);
    seen = Atomics.load(c, ${GEN});
    if (Atomics.load(c, ${STOP})) break;
    exports[names[c[${FN}]]](c[${PARAMS} + index]);
    Atomics.add(c, ${DONE}, 1);
    Atomics.notify(c, ${DONE});
  }
};
let post;
if (typeof self === 'undefined') {
  const { parentPort } = require('node:worker_threads');
  post = (m) => parentPort.postMessage(m);
  parentPort.once('message', start);
} else {
  post = (m) => self.postMessage(m);
  self.onmessage = (e) => start(e.data);
}
`;

interface AnyWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
}

export class ThreadPool {
  private constructor(
    private readonly workers: AnyWorker[],
    private readonly control: Int32Array,
    private readonly canBlock: boolean,
  ) {}

  /** Starts `count` workers over `memory`; the control block lives at byte `control`. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, control: number, count: number): Promise<ThreadPool> {
    const slots = PARAMS + count;
    const node = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const init = { module, memory, control, index, names: PARALLEL_KERNELS, slots };
      if (node) {
        // A variable specifier keeps bundlers from pulling node:worker_threads into browser builds.
        const spec = 'node:worker_threads';
        const { Worker } = (await import(/* @vite-ignore */ spec)) as typeof import('node:worker_threads');
        const w = new Worker(WORKER_SOURCE, { eval: true });
        ready.push(
          new Promise((resolve, reject) => {
            w.once('message', () => {
              w.unref(); // once started, idle workers must not keep the process alive
              resolve();
            });
            w.once('error', reject);
          }),
        );
        w.postMessage(init);
        workers.push(w);
      } else {
        const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
        const w = new Worker(url);
        ready.push(new Promise((resolve, reject) => { w.onmessage = () => resolve(); w.onerror = (e) => reject(e); }));
        w.postMessage(init);
        workers.push(w);
      }
    }
    await Promise.all(ready);
    // Node's main thread may block in Atomics.wait; a browser's main thread may not.
    const canBlock = node || typeof (globalThis as { document?: unknown }).document === 'undefined';
    return new ThreadPool(workers, new Int32Array(memory.buffer, control, slots), canBlock);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs kernel `fn` with blocks[0] here and blocks[1 + i] on worker i; returns when all are done. */
  run(fn: ParallelKernel, blocks: readonly number[], here: (p: number) => void): void {
    const c = this.control;
    const helpers = blocks.length - 1;
    c[FN] = PARALLEL_KERNELS.indexOf(fn);
    for (let i = 0; i < helpers; i++) c[PARAMS + i] = blocks[1 + i];
    // Workers past the blocks given run an empty share: the host always passes one per thread.
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    here(blocks[0]);
    let done: number;
    while ((done = Atomics.load(c, DONE)) < this.workers.length) {
      if (this.canBlock) Atomics.wait(c, DONE, done, 50);
    }
  }

  terminate(): void {
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    for (const w of this.workers) w.terminate();
  }
}
