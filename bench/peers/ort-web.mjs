// onnxruntime-web (its wasm backend) on the same model: webconv's graph exported to ONNX,
// weights included, so both runtimes compute exactly the same network.
import * as ort from 'onnxruntime-web';
import { exportOnnx } from '../../dist/onnx/export.js';

export const name = 'ort-web';

/** Returns { run(x): Promise<Float32Array>, dispose() } after creating the session (part of cold start). */
export async function prepare(graph, { threads = 1 } = {}) {
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(exportOnnx(graph), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const input = graph.inputs[0];
  return {
    info: `onnxruntime-web ${ort.env.versions?.web ?? ''} wasm, ${threads} thread(s)`,
    async run(x) {
      const out = await session.run({ [input.name]: new ort.Tensor('float32', x, [...input.shape]) });
      return out[graph.outputs[0]].data;
    },
    dispose: () => session.release(),
  };
}
