/**
 * The worker's side (bundled as dist/webconv.worker.js by worker-entry.ts): compiles the one
 * model it is sent, runs it on request, and answers each request by its id, outputs
 * transferred, errors as data (protocol.ts). One executable per worker: the page ends it by
 * terminating the worker.
 */
import '../backends/register-all.js';
import type { Executable, TensorData } from '../backends/backend.js';
import { getBackend } from '../backends/registry.js';
import { ExecutableError } from '../graph/errors.js';
import { parseMetadata } from '../models/metadata.js';
import { importOnnx } from '../onnx/import.js';
import { errorToData, graphFromData, type Compiled, type Reply, type Request, type RunResult } from './protocol.js';

/** What serveWorker needs of a worker's global scope (DedicatedWorkerGlobalScope, or a test double). */
export interface WorkerScope {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
}

/** Answers the page's requests on `scope`. */
export function serveWorker(scope: WorkerScope): void {
  let exe: Executable | undefined;
  // Requests are handled one at a time, in order: a run never starts before the compile ends.
  let queue: Promise<void> = Promise.resolve();

  const handle = async (req: Request): Promise<{ value: unknown; transfer: ArrayBuffer[] }> => {
    if (req.type === 'compile') {
      if (exe) throw new ExecutableError('this worker has compiled its model already');
      const graph = 'graph' in req.model ? graphFromData(req.model.graph) : importOnnx(req.model.onnx, { batch: 1, ...req.model.options });
      const metadata = req.metadata === undefined ? undefined : parseMetadata(req.metadata, graph);
      exe = await getBackend(req.backend).compile(graph, req.options);
      const compiled: Compiled = { inputs: exe.inputs, outputs: exe.outputs, info: exe.info(), memory: exe.memory(), counters: typeof exe.counters === 'function', metadata };
      return { value: compiled, transfer: [] };
    }
    if (!exe) throw new ExecutableError('no model compiled in this worker');
    const inputs: Record<string, TensorData> = req.inputs;
    if (req.type === 'counters') {
      if (!exe.counters) throw new ExecutableError(`the ${exe.info().backend} backend keeps no MAC counters`);
      return { value: await exe.counters(inputs), transfer: [] };
    }
    const outputs = await exe.run(inputs);
    const result: RunResult = { outputs, profile: exe.profile(), memory: exe.memory() };
    // run() returns fresh arrays the caller owns: handed over, not copied.
    const buffers = new Set(Object.values(outputs).map((t) => t.data.buffer));
    return { value: result, transfer: [...buffers].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer) };
  };

  scope.addEventListener('message', (e: MessageEvent) => {
    const req = e.data as Request;
    queue = queue.then(async () => {
      let reply: Reply;
      let transfer: ArrayBuffer[] = [];
      try {
        const r = await handle(req);
        reply = { id: req.id, ok: true, value: r.value };
        transfer = r.transfer;
      } catch (err) {
        reply = { id: req.id, ok: false, error: errorToData(err) };
      }
      try {
        scope.postMessage(reply, transfer);
      } catch (err) {
        // A field of an error that cannot be cloned: the error still crosses, without its fields.
        const data = reply.ok ? errorToData(err) : { ...reply.error, fields: { code: reply.error.fields.code } };
        scope.postMessage({ id: req.id, ok: false, error: data } satisfies Reply, []);
      }
    });
  });
}
