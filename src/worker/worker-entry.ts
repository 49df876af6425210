/**
 * The script of the worker that compileInWorker starts: rollup bundles it as
 * dist/webconv.worker.js (an ES module worker).
 */
import { serveWorker, type WorkerScope } from './serve-worker.js';

serveWorker(globalThis as unknown as WorkerScope);
