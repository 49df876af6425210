/// <reference types="@webgpu/types" />
import type { Dispatch } from './kernel.js';
import { callsPackedDot, wgslSource } from './wgsl.js';

/** Per device: shader modules by kernel and pipelines by kernel and constants, shared by executables. */
const CACHES = new WeakMap<GPUDevice, { modules: Map<string, GPUShaderModule>; pipelines: Map<string, Promise<GPUComputePipeline>> }>();

/**
 * The pipeline of a dispatch (its kernel and override constants), created asynchronously on
 * first request and shared by every executable on the device; a failed one is not kept.
 * `packedDot`: whether the device's WGSL has dot4I8Packed (see {@link wgslSource}).
 */
export function pipelineFor(device: GPUDevice, d: Dispatch, packedDot = true): Promise<GPUComputePipeline> {
  let cache = CACHES.get(device);
  if (!cache) CACHES.set(device, (cache = { modules: new Map(), pipelines: new Map() }));
  const constants = Object.entries(d.constants).sort(([a], [b]) => a.localeCompare(b));
  // The unpacked variant only for the kernels whose source it changes.
  const unpacked = !packedDot && callsPackedDot(d.kernel);
  const source = unpacked ? `${d.kernel}:unpacked` : d.kernel;
  const key = `${source}(${constants.map(([k, v]) => `${k}=${Number(v)}`).join(',')})`;
  let pipeline = cache.pipelines.get(key);
  if (!pipeline) {
    let module = cache.modules.get(source);
    if (!module) cache.modules.set(source, (module = device.createShaderModule({ label: `${d.kernel}.wgsl`, code: wgslSource(d.kernel, { packedDot: !unpacked }) })));
    pipeline = device.createComputePipelineAsync({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants: Object.fromEntries(constants.map(([k, v]) => [k, Number(v)])) },
    });
    // A failed pipeline is not cached: the next compile tries again.
    pipeline.catch(() => cache.pipelines.delete(key));
    cache.pipelines.set(key, pipeline);
  }
  return pipeline;
}
