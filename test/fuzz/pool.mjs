/**
 * A pool of worker processes, one case at a time each, under a time and a memory cap.
 *
 * `ulimit -v` would break WebAssembly (a wasm memory reserves gigabytes of address space),
 * so memory is measured instead: the parent polls each busy child's resident set
 * (/proc/<pid>/status, VmRSS) and kills it past the cap. Past the time limit the child is
 * killed too. Either way, and when a child dies by itself, a fresh one takes its place.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FUZZ_DIR } from './paths.mjs';

const WORKER = resolve(FUZZ_DIR, 'worker.mjs');

/** Resident set of a process in MiB (undefined when it is gone or /proc is absent). */
export function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const NOISE = /XDG_RUNTIME_DIR|^\s*$/;

export class Pool {
  /**
   * @param {object} o
   * @param {number} [o.jobs] child processes
   * @param {number} [o.timeoutMs] per case
   * @param {number} [o.rssMiB] resident-set cap per child
   * @param {number} [o.pollMs] how often RSS and time are checked
   * @param {number} [o.recycleAfter] cases before a child is replaced (bounds slow growth)
   */
  constructor({ jobs = 2, timeoutMs = 10_000, rssMiB: cap = 1536, pollMs = 40, recycleAfter = 500 } = {}) {
    this.jobs = jobs;
    this.timeoutMs = timeoutMs;
    this.cap = cap;
    this.recycleAfter = recycleAfter;
    this.slots = [];
    this.queue = [];
    this.nextId = 1;
    this.spawned = 0;
    this.closed = false;
    this.timer = setInterval(() => this.poll(), pollMs);
  }

  /** Resolves once every child has loaded the SDK. */
  async start() {
    await Promise.all(Array.from({ length: this.jobs }, () => this.spawn()));
  }

  spawn() {
    const child = fork(WORKER, [], {
      execArgv: ['--experimental-wasm-relaxed-simd'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.spawned++;
    const slot = { child, ready: false, task: undefined, stderr: '', cases: 0, peak: 0 };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s) => {
      slot.stderr = (slot.stderr + s.split('\n').filter((l) => !NOISE.test(l)).join('\n')).slice(-4000);
    });
    const readyOrDead = new Promise((resolveReady, rejectReady) => {
      const startTimer = setTimeout(() => {
        child.kill('SIGKILL');
        rejectReady(new Error(`fuzz worker did not start in 60 s: ${slot.stderr}`));
      }, 60_000);
      child.on('message', (m) => {
        if (m?.type === 'ready') {
          clearTimeout(startTimer);
          slot.ready = true;
          resolveReady(slot);
          this.dispatch();
          return;
        }
        this.finish(slot, m);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(startTimer);
        if (!slot.ready) {
          rejectReady(new Error(`fuzz worker exited while starting (code ${code}, signal ${signal}): ${slot.stderr}`));
          return;
        }
        this.died(slot, code, signal);
      });
    });
    this.slots.push(slot);
    return readyOrDead;
  }

  /** Runs one task ({ kind, bytes, ... }); resolves with its result, never rejects. */
  run(task, { timeoutMs } = {}) {
    return new Promise((resolveRun) => {
      this.queue.push({ task, resolve: resolveRun, timeoutMs: timeoutMs ?? this.timeoutMs });
      this.dispatch();
    });
  }

  dispatch() {
    for (const slot of this.slots) {
      if (!this.queue.length) return;
      if (!slot.ready || slot.task || slot.dead) continue;
      const job = this.queue.shift();
      const id = this.nextId++;
      slot.task = { ...job, id, started: Date.now() };
      slot.peak = 0;
      slot.child.send({ ...job.task, id });
    }
  }

  finish(slot, m) {
    if (!slot.task || m?.id !== slot.task.id) return;
    const job = slot.task;
    slot.task = undefined;
    slot.cases++;
    job.resolve({ ...m, rssMiB: Math.round(slot.peak), wallMs: Date.now() - job.started });
    if (m.outcome === 'crash') return; // the child exits by itself after an escaped error
    if (slot.cases >= this.recycleAfter || (rssMiB(slot.child.pid) ?? 0) > this.cap * 0.6) this.replace(slot);
    else this.dispatch();
  }

  /** Kills a child (its case, if any, ends with `result`) and starts another. */
  replace(slot, result) {
    slot.dead = true;
    slot.killedBy = result?.outcome ?? 'recycle';
    if (slot.task && result) {
      const job = slot.task;
      slot.task = undefined;
      job.resolve({ id: job.id, ...result, rssMiB: Math.round(slot.peak), wallMs: Date.now() - job.started, notes: [] });
    }
    try {
      slot.child.kill('SIGKILL');
    } catch {}
  }

  died(slot, code, signal) {
    this.slots = this.slots.filter((s) => s !== slot);
    if (slot.task) {
      const job = slot.task;
      slot.task = undefined;
      const heap = /heap out of memory|Reached heap limit|Allocation failed/i.test(slot.stderr);
      const tail = slot.stderr.split('\n').filter(Boolean).slice(-6).join(' | ');
      job.resolve({
        id: job.id,
        outcome: heap ? 'oom' : 'crash',
        message: `worker died (${signal ? `signal ${signal}` : `exit code ${code}`})${tail ? `: ${tail.slice(0, 600)}` : ''}`,
        rssMiB: Math.round(slot.peak),
        wallMs: Date.now() - job.started,
        notes: [],
      });
    }
    if (!this.closed) {
      this.spawn().then(
        () => this.dispatch(),
        (e) => {
          // a worker that cannot start is fatal: fail everything queued
          for (const job of this.queue.splice(0)) job.resolve({ outcome: 'crash', message: `no worker: ${e.message}`, notes: [] });
        },
      );
    }
  }

  poll() {
    const now = Date.now();
    for (const slot of this.slots) {
      if (!slot.task || slot.dead) continue;
      const rss = rssMiB(slot.child.pid);
      if (rss !== undefined) slot.peak = Math.max(slot.peak, rss);
      if (rss !== undefined && rss > this.cap) {
        this.replace(slot, { outcome: 'oom', message: `resident set ${Math.round(rss)} MiB over the ${this.cap} MiB cap` });
      } else if (now - slot.task.started > slot.task.timeoutMs) {
        this.replace(slot, { outcome: 'hang', message: `no answer in ${slot.task.timeoutMs} ms` });
      }
    }
  }

  async close() {
    this.closed = true;
    clearInterval(this.timer);
    for (const job of this.queue.splice(0)) job.resolve({ outcome: 'crash', message: 'pool closed', notes: [] });
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise((done) => {
            if (slot.child.exitCode !== null || slot.child.signalCode !== null) return done();
            slot.child.once('exit', done);
            slot.child.kill('SIGKILL');
          }),
      ),
    );
  }
}
