import type { WasmKernel } from '../kernel.js';
import { fcParams } from '../params.generated.js';
import { activationParams, share } from './conv2d.js';

/** fc: f32_fc_4xk__wasmsimd, weights read as stored ([Cout, Cin]), fused bias and activation. */
export const fcKernel: WasmKernel = {
  op: 'fc',
  prepare(node, ctx) {
    const [x, w, b] = node.inputs;
    const [N, K] = ctx.graph.shape(x);
    const M = ctx.graph.shape(w)[0];
    // Threads split the output rows, four at a time (the kernel's block).
    const blocks = Array.from({ length: ctx.threads }, (_, t) => {
      const [m0, m1] = share(M, ctx.threads, t, 4);
      return ctx.params(fcParams({
        x: ctx.ptr(x), w: ctx.ptr(w), bias: b ? ctx.ptr(b) : 0, y: ctx.ptr(node.outputs[0]), n: N, k: K, m: M,
        ...activationParams(node), m0, m1,
      }));
    });
    return () => ctx.parallel('f32_fc_4xk__wasmsimd', blocks);
  },
};
