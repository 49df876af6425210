/// <reference types="@webgpu/types" />
/**
 * What a WebGPU device achieves at best, measured (kernels/peak.wgsl): multiply-add
 * throughput with nothing read, float32 and 8-bit (dot4I8Packed, or its unpacked form where
 * the adapter's WGSL lacks it: the int8 kernel's instruction), and streaming read bandwidth
 * from a storage buffer. Timed
 * by timestamp queries where the device has them, else by the wall clock around a submit;
 * the best of several rounds.
 */
import type { GpuContext } from './device.js';
import { peakParams, type PeakParams } from './params.generated.js';
import { PACKED_DOT, wgslSource } from './wgsl.js';

export interface GpuPeaks {
  readonly gflops: number;
  readonly bandwidthGBs: number;
  /** 8-bit multiply-adds, GOP/s (2 a multiply-add, as GFLOP/s counts them): the roof of qconv2d layers. */
  readonly int8Gops: number;
}

const WG = 256;

export async function measureGpuPeaks(gpu: GpuContext): Promise<GpuPeaks> {
  const { device, flags } = gpu;
  const U = flags.bufferUsage;
  const packedDot = gpu.wgslFeatures?.includes(PACKED_DOT) ?? false;
  const module = device.createShaderModule({ label: 'peak.wgsl', code: wgslSource('peak', { packedDot }) });
  const pipeline = (entryPoint: string) =>
    device.createComputePipelineAsync({ label: entryPoint, layout: 'auto', compute: { module, entryPoint, constants: { WORKGROUP_SIZE: WG } } });
  const [fmaPipe, dotPipe, streamPipe] = await Promise.all([pipeline('fma_peak'), pipeline('dot4_peak'), pipeline('stream_sum')]);

  const invocations = 64 * WG;
  const streamFloats = 16 << 20; // 64 MiB read
  const per = 64;
  const readers = streamFloats / per;
  const storage = device.createBuffer({ label: 'peak.storage', size: (streamFloats + readers) * 4, usage: U.STORAGE | U.COPY_DST });
  const params = device.createBuffer({ label: 'peak.params', size: 32, usage: U.UNIFORM | U.COPY_DST });
  const timed = gpu.features.includes('timestamp-query');
  const querySet = timed ? device.createQuerySet({ type: 'timestamp', count: 2 }) : undefined;
  const resolve = timed ? device.createBuffer({ size: 16, usage: U.QUERY_RESOLVE | U.COPY_SRC }) : undefined;
  const readback = timed ? device.createBuffer({ size: 16, usage: U.MAP_READ | U.COPY_DST }) : undefined;
  try {
    device.queue.writeBuffer(storage, 0, new Float32Array(streamFloats).fill(1));
    const run = async (pipe: GPUComputePipeline, p: PeakParams, groups: number): Promise<number> => {
      // Every field of kernels/peak.wgsl's block is a u32.
      device.queue.writeBuffer(params, 0, new Uint32Array(peakParams(p) as number[]));
      const bindGroup = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: params } }, { binding: 1, resource: { buffer: storage } }] });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass(querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
      pass.setPipeline(pipe);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(groups);
      pass.end();
      if (querySet) {
        encoder.resolveQuerySet(querySet, 0, 2, resolve!, 0);
        encoder.copyBufferToBuffer(resolve!, 0, readback!, 0, 16);
      }
      const t = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      const wall = performance.now() - t;
      if (!readback) return wall;
      await readback.mapAsync(flags.mapMode.READ);
      const [begin, end] = new BigUint64Array(readback.getMappedRange().slice(0));
      readback.unmap();
      return end > begin ? Number(end - begin) / 1e6 : wall;
    };
    const best = async (pipe: GPUComputePipeline, p: PeakParams, groups: number) => {
      await run(pipe, p, groups);
      let ms = Infinity;
      for (let r = 0; r < 3; r++) ms = Math.min(ms, await run(pipe, p, groups));
      return ms;
    };
    const iterations = 4096;
    const fmaMs = await best(fmaPipe, { iterations, per: 0, count: invocations, out_off: streamFloats }, invocations / WG);
    const dotMs = await best(dotPipe, { iterations, per: 0, count: invocations, out_off: streamFloats }, invocations / WG);
    const streamMs = await best(streamPipe, { iterations: 0, per, count: readers, out_off: streamFloats }, Math.ceil(readers / WG));
    return {
      gflops: (invocations * iterations * 64) / (fmaMs * 1e6),
      bandwidthGBs: (streamFloats * 4) / (streamMs * 1e6),
      int8Gops: (invocations * iterations * 64) / (dotMs * 1e6),
    };
  } finally {
    for (const b of [storage, params, resolve, readback]) b?.destroy();
    querySet?.destroy();
  }
}
