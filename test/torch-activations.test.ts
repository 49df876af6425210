/**
 * torch 1.13's opset-13 exports of the activations of MobileNetV3, EfficientNet and ConvNeXt
 * (scripts/export_torch_models.py's `tinyact`: nn.Hardswish, MobileNetV3's SE block with
 * nn.Hardsigmoid, nn.SiLU, nn.GELU, and Sub / Div / Sqrt / Pow of computed tensors): the graph
 * passes recognise Mul(x, HardSigmoid(x)) as hardswish, Mul(x, Sigmoid(x)) as silu and the Erf
 * chain as gelu, fuse hardswish / hardsigmoid / silu / gelu into the conv and fc epilogues, and every
 * backend matches PyTorch's logits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { releaseSharedGpu } from '../src/backends/webgpu/webgpu-backend.js';
import type { Graph } from '../src/graph/graph.js';
import type { NpyArray } from '../src/io/npy.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { exportTorchModels, itMatchesPytorch, loadTorchCase } from './helpers/torch-models.js';

afterAll(() => releaseSharedGpu());

const MODEL = 'tinyact';

let dir: string | undefined;
let graph: Graph | undefined;
let input: NpyArray;
let expected: NpyArray;
beforeAll(async () => {
  dir = exportTorchModels('torch-activations', [MODEL]);
  if (!dir) return;
  ({ graph, input, expected } = await loadTorchCase(dir, MODEL));
}, 600_000);

describe('torch-exported activations (tinyact)', () => {
  it('imports HardSigmoid, Erf, Sqrt, Sub, Div and Pow as plain ops, and the passes fuse the patterns', (ctx) => {
    if (!graph) return ctx.skip();
    const ops = new Set(graph.nodes.map((n) => n.op));
    for (const op of ['hardsigmoid', 'sigmoid', 'erf', 'sqrt', 'sub', 'div', 'pow'] as const) expect(ops, op).toContain(op);
    const { graph: g, report } = optimizeGraph(graph);
    // Two Hardswish (conv and fc), one SiLU, one GELU recognised; the sigmoid left is Pow's base.
    expect(report.pointwisePatterns).toHaveLength(4);
    const left = g.nodes.filter((n) => ['erf', 'hardsigmoid', 'hardswish', 'silu', 'gelu'].includes(n.op));
    expect(left.map((n) => n.name)).toEqual([]);
    const acts = g.nodes
      .map((n) => (n.attrs as { activation?: { op: string } }).activation?.op)
      .filter((a) => a !== undefined);
    expect(acts).toEqual(['hardswish', 'relu', 'hardsigmoid', 'silu', 'gelu', 'hardswish']);
  });

  itMatchesPytorch(MODEL, () => (graph ? { graph, input, expected } : undefined));
});
