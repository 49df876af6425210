/**
 * Worker threads (Node's worker_threads, or Web Workers in a cross-origin-isolated page)
 * that each instantiate the kernels module over the executable's shared memory, and run a
 * kernel on their own parameter block when told to. Coordination is through a control
 * block in that memory with Atomics, not messages.
 *
 * A parallel step: the host posts one share per worker, bumps the generation (waking the
 * workers), runs its own share, then for each worker's share either sees it claimed (and
 * waits for it to finish) or claims it first and runs it itself. A worker that the OS has
 * not scheduled yet (a loaded machine, a busy phone) therefore never holds the step up: the
 * host takes its share. Each share is the same work whoever runs it, so results do not
 * depend on which thread ran what.
 */

/**
 * A kernel a worker runs: any export of the kernels module that takes a parameter block.
 * The control block names it by its index in the module's exports, which host and workers
 * read from the same module.
 */
export type ParallelKernel = string;

// Control block (Int32 fields): generation, stop flag, kernel index, then per worker its
// share's state and parameter-block pointer. A state is (generation << 2) | POSTED, TAKEN
// (by the worker), DONE (by the worker) or STOLEN (by the host): compare-and-swap from
// POSTED decides who runs a share, and a stale worker (woken for an older step) finds no
// share posted for its generation.
const GEN = 0;
const STOP = 1;
const FN = 2;
const SLOTS = 3;
const POSTED = 0;
const TAKEN = 1;
const DONE = 2;
const STOLEN = 3;
/** Bytes of the control block for `workers` workers. */
export const controlBytes = (workers: number) => (SLOTS + 2 * workers) * 4;

/**
 * How long a thread spins on a control word before it sleeps in Atomics.wait. A futex
 * wake-up measured 30-40 us here, twice per parallel step (host wakes worker, worker wakes
 * host): ~75 us per step, 5 ms of GoogLeNet's 70 steps. Spinning cuts a step to ~1 us, as
 * long as the next step comes within the budget (in a run it does: the host only writes a
 * few words between steps). Kept short because spinning is costly on a loaded machine: the
 * spinner burns the time slice its partner needs and loses the scheduler's wake-up
 * preference; with a 2 ms budget and a load average of 8 on 2 cores, GoogLeNet on 2
 * threads ran 3x slower than with 10-50 us.
 */
const SPIN_MS = 0.05;

/**
 * Waits until c[i] differs from `seen`, spinning up to `spinMs`, then sleeping if `block`;
 * returns the new value. Self-contained: the worker source embeds its text.
 */
function spinWait(c: Int32Array, i: number, seen: number, block: boolean, spinMs: number): number {
  let v = Atomics.load(c, i);
  if (v !== seen) return v;
  const until = performance.now() + spinMs;
  do {
    for (let k = 0; k < 512 && (v = Atomics.load(c, i)) === seen; k++);
  } while (v === seen && performance.now() < until);
  while (v === seen) {
    if (block) Atomics.wait(c, i, seen, 50);
    v = Atomics.load(c, i);
  }
  return v;
}

const WORKER_SOURCE = `
const spinWait = ${spinWait.toString()};
const start = async ({ module, memory, control, index, names, slots }) => {
  const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
  const c = new Int32Array(memory.buffer, control, slots);
  // Read the generation before saying ready: the host may start the first kernel at once.
  let seen = Atomics.load(c, ${GEN});
  post('ready');
  const slot = ${SLOTS} + 2 * index;
  for (;;) {
    // Spin a while before sleeping: a parallel step follows another within microseconds,
    // and a futex wake costs tens of them.
    seen = spinWait(c, ${GEN}, seen, true, ${SPIN_MS});
    if (Atomics.load(c, ${STOP})) break;
    const posted = (seen << 2) | ${POSTED};
    if (Atomics.compareExchange(c, slot, posted, (seen << 2) | ${TAKEN}) !== posted) continue;
    exports[names[c[${FN}]]](c[slot + 1]);
    Atomics.store(c, slot, (seen << 2) | ${DONE});
    Atomics.notify(c, slot);
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

/**
 * Node's worker_threads in Node (>= 20.16), Deno and Bun, through `process.getBuiltinModule`:
 * not a dynamic import, which edge runtimes (workerd) refuse in any module they load, and
 * which bundlers would otherwise resolve for browser builds. Undefined where there is none.
 */
export function nodeWorkerThreads(): typeof import('node:worker_threads') | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof p?.getBuiltinModule !== 'function') return undefined;
  try {
    const m = p.getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads') | undefined;
    return typeof m?.Worker === 'function' ? m : undefined;
  } catch {
    return undefined;
  }
}

interface AnyWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
}

export class ThreadPool {
  private constructor(
    private readonly workers: AnyWorker[],
    private readonly control: Int32Array,
    private readonly canBlock: boolean,
    private readonly exportIndex: ReadonlyMap<string, number>,
  ) {}

  /** Starts `count` workers over `memory`; the control block lives at byte `control`. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, control: number, count: number): Promise<ThreadPool> {
    const slots = SLOTS + 2 * count;
    const names = WebAssembly.Module.exports(module).map((e) => e.name);
    const node = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const init = { module, memory, control, index, names, slots };
      if (node) {
        const threads = nodeWorkerThreads();
        if (!threads) throw new Error('worker_threads is not available here (Node >= 20.16, Deno and Bun give it through process.getBuiltinModule)');
        const w = new threads.Worker(WORKER_SOURCE, { eval: true });
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
    return new ThreadPool(workers, new Int32Array(memory.buffer, control, slots), canBlock, new Map(names.map((n, i) => [n, i])));
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Runs kernel `fn` with blocks[0] here and blocks[1 + i] on worker i (or here, when worker i
   * has not claimed it by the time this thread is done with its own); returns when all are done.
   */
  run(fn: ParallelKernel, blocks: readonly number[], here: (p: number) => void): void {
    const c = this.control;
    const shares = Math.min(blocks.length - 1, this.workers.length);
    const index = this.exportIndex.get(fn);
    if (index === undefined) throw new Error(`the kernels module has no export '${fn}'`);
    const gen = (c[GEN] + 1) | 0;
    c[FN] = index;
    for (let i = 0; i < shares; i++) {
      c[SLOTS + 2 * i + 1] = blocks[1 + i];
      Atomics.store(c, SLOTS + 2 * i, (gen << 2) | POSTED);
    }
    Atomics.store(c, GEN, gen);
    Atomics.notify(c, GEN);
    here(blocks[0]);
    for (let i = 0; i < shares; i++) {
      const slot = SLOTS + 2 * i;
      if (Atomics.compareExchange(c, slot, (gen << 2) | POSTED, (gen << 2) | STOLEN) === ((gen << 2) | POSTED)) here(blocks[1 + i]);
      else spinWait(c, slot, (gen << 2) | TAKEN, this.canBlock, SPIN_MS);
    }
  }

  terminate(): void {
    Atomics.store(this.control, STOP, 1);
    Atomics.store(this.control, GEN, (this.control[GEN] + 1) | 0);
    Atomics.notify(this.control, GEN);
    for (const w of this.workers) w.terminate();
  }
}
