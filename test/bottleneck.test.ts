/**
 * The fused inverted residual (issue 14): the bottleneck pass finds MobileNetV2's blocks and
 * leaves everything else alone; the op's cost row keeps the lecture's FLOPs; the arena peak
 * the cost model predicts for MobileNetV2 drops to at most half, and the wasm executable's
 * memory shows it; the fused kernel agrees with the unfused chain on one thread and on two.
 * (Kernel cases on every backend: INVERTED_RESIDUAL_CASES in test/helpers/op-cases.ts.)
 */
import { describe, expect, it } from 'vitest';
import '../src/backends/register-all.js';
import { getBackend } from '../src/backends/registry.js';
import type { WasmCompileOptions } from '../src/backends/wasm/wasm-backend.js';
import { buildModel, costTable, finalizeGraph, type Graph } from '../src/index.js';
import type { ModelOptions } from '../src/models/model-options.js';
import { invertedResidualBand, invertedResidualShape } from '../src/ops/inverted-residual.js';
import { opDef } from '../src/ops/registry.js';
import { fuseBottlenecks } from '../src/plan/fuse-bottleneck.js';
import { planMemory } from '../src/plan/memory-planner.js';
import { optimizeGraph } from '../src/plan/passes.js';
import { expectOutputsAgree, INVERTED_RESIDUAL_CASES, invertedResidualGraph, seededFeeds, tolerance } from './helpers/op-cases.js';

const optimized = (name: string, options: ModelOptions = {}) => optimizeGraph(buildModel(name, options)).graph;
const ops = (g: Graph) => g.nodes.map((n) => n.op);

describe('the bottleneck pass', () => {
  it("fuses MobileNetV2's 17 inverted residuals (the first without expand conv, 10 with the residual) and nothing else", () => {
    const g = optimized('mobilenetv2');
    const { graph, blocks } = fuseBottlenecks(g);
    expect(blocks).toHaveLength(17);
    const fused = graph.nodes.filter((n) => n.op === 'invertedresidual');
    expect(fused.map((n) => n.name)).toEqual(blocks);
    expect(fused.filter((n) => !(n.attrs as { expand: boolean }).expand)).toHaveLength(1);
    expect(fused.filter((n) => (n.attrs as { residual: boolean }).residual)).toHaveLength(10);
    // 3 convs per block (2 in the first) became one node; the stem, the last 1x1 conv, pooling and the classifier stay.
    expect(g.nodes.length - graph.nodes.length).toBe(16 * 2 + 1);
    expect(ops(graph).filter((o) => o === 'conv2d')).toHaveLength(2);
    // Stride 2 blocks keep their stride, 3x3 throughout.
    expect(fused.filter((n) => (n.attrs as { stride: number[] }).stride[0] === 2)).toHaveLength(4);
  });

  it('leaves models without the pattern as they are: ResNet, VGG, GoogLeNet, ConvNeXt', () => {
    for (const name of ['resnet18', 'resnet50', 'vgg11', 'googlenet', 'convnext-tiny']) {
      const g = optimized(name, { height: 64, width: 64 });
      const { graph, blocks, halves } = fuseBottlenecks(g);
      expect([blocks, halves], name).toEqual([[], []]);
      expect(graph, name).toBe(g);
    }
  });

  it('squeeze-excite between depthwise and project: only expand -> depthwise fuses (EfficientNet-B0: 15 of 16 blocks; the first has no expand conv)', () => {
    const g = optimized('efficientnet-b0', { height: 64, width: 64 });
    const { graph, blocks, halves } = fuseBottlenecks(g);
    expect(blocks).toEqual([]);
    expect(halves).toHaveLength(15);
    const fused = graph.nodes.filter((n) => n.op === 'invertedresidual');
    expect(fused.every((n) => (n.attrs as { project: boolean }).project === false)).toBe(true);
    // The squeeze-excite and the project convs stay: one pool and one gate per block.
    expect(ops(graph).filter((o) => o === 'mul')).toHaveLength(ops(g).filter((o) => o === 'mul').length);
    expect(g.nodes.length - graph.nodes.length).toBe(15);
  });

  it('MobileNetV3-Large and MNASNet: blocks without squeeze-excite fuse whole, those with it by halves', () => {
    const large = fuseBottlenecks(optimized('mobilenetv3-large', { height: 64, width: 64 }));
    expect([large.blocks.length, large.halves.length]).toEqual([7, 8]);
    expect(fuseBottlenecks(optimized('mnasnet', { height: 64, width: 64 })).blocks).toHaveLength(17);
  });

  it('does not fuse across a tensor another node reads or the graph returns', () => {
    const c = INVERTED_RESIDUAL_CASES[1];
    const g = optimizeGraph(invertedResidualGraph(c)).graph;
    expect(fuseBottlenecks(g).blocks).toEqual(['y']);
    const returning = (h: Graph, extra: string) => finalizeGraph(h.name, h.inputs, [...h.outputs, extra], h.nodes, h.initializers);
    // The expanded tensor returned too: the expand conv stays; depthwise -> project would fuse
    // over it (expansion 1 from 'e'), but the residual is x, not e: nothing fuses.
    expect(fuseBottlenecks(returning(g, 'e')).blocks).toEqual([]);
    // The depthwise output returned: nothing fuses.
    expect(fuseBottlenecks(returning(g, 'd')).blocks).toEqual([]);
    // Without the residual, a returned expanded tensor leaves depthwise -> project to fuse alone.
    const g2 = optimizeGraph(invertedResidualGraph(INVERTED_RESIDUAL_CASES[2])).graph;
    const r2 = fuseBottlenecks(returning(g2, 'e'));
    expect(r2.blocks).toEqual(['y']);
    expect(r2.graph.nodes.map((n) => [n.op, n.inputs[0]])).toEqual([['conv2d', 'x'], ['invertedresidual', 'e']]);
  });
});

describe('the invertedresidual op', () => {
  it("costs the lecture's FLOPs of its three convs (the table's totals do not change) and reports the bytes it moves", () => {
    const g = optimized('mobilenetv2');
    const f = fuseBottlenecks(g).graph;
    const [a, b] = [costTable(g), costTable(f)];
    expect(b.totals.flops).toBe(a.totals.flops);
    expect(b.totals.macs).toBe(a.totals.macs);
    expect(b.totals.params).toBe(a.totals.params);
    // Block 2 of MobileNetV2 at 224: 16 -> 96 -> 24, 112x112 -> 56x56, stride 2.
    const node = f.nodes.filter((n) => n.op === 'invertedresidual')[1];
    const shapes = node.inputs.map((t) => f.shape(t));
    const cost = opDef('invertedresidual').cost(node, shapes, [f.shape(node.outputs[0])]);
    expect(cost.macs).toBe(112 * 112 * 96 * 16 + 56 * 56 * 96 * 9 + 56 * 56 * 24 * 96);
    expect(cost.flops).toBe(2 * cost.macs);
    const weights = 96 * 16 + 96 + 96 * 10 + 24 * 96 + 24;
    expect(cost.bytes).toBe(4 * (16 * 112 * 112 + weights + 24 * 56 * 56));
  });

  it('its workspace is a band of rows, not the expanded tensor', () => {
    const f = fuseBottlenecks(optimized('mobilenetv2')).graph;
    for (const node of f.nodes.filter((n) => n.op === 'invertedresidual')) {
      const s = invertedResidualShape(node, node.inputs.map((t) => f.shape(t)));
      const band = invertedResidualBand(s);
      expect(band.rows).toBeGreaterThanOrEqual(1);
      if (s.OH * s.OW >= 28 * 28) {
        expect(band.rows, node.name).toBeLessThan(s.OH);
        expect(band.bytes, node.name).toBeLessThan(s.Ce * s.H * s.W * 4);
      }
    }
  });
});

describe('MobileNetV2 inference memory (batch 1, 224x224)', () => {
  it('the predicted arena peak is at most half of the unfused one, and the wasm executable plans and holds what is predicted', async () => {
    const g = buildModel('mobilenetv2', { height: 224, width: 224 });
    const unfusedGraph = optimizeGraph(g).graph;
    const fusedGraph = fuseBottlenecks(unfusedGraph).graph;
    const before = costTable(unfusedGraph, { memory: 'inference' }).inference;
    const after = costTable(fusedGraph, { memory: 'inference' }).inference;
    expect(after.arenaPeakBytes).toBeLessThanOrEqual(before.arenaPeakBytes / 2);
    expect(after.weightBytes).toBe(before.weightBytes);
    // The planner's arena for the fused graph (workspaces placed in it) meets the peak.
    const plan = planMemory(fusedGraph);
    expect(plan.peakBytes).toBe(after.arenaPeakBytes);
    expect(plan.workspaces.size).toBe(17);
    expect(plan.arenaBytes).toBeLessThanOrEqual(planMemory(unfusedGraph).arenaBytes / 2);

    const wasm = getBackend('wasm');
    const x = seededFeeds(g);
    const fused = await wasm.compile(g);
    const unfused = await wasm.compile(g, { fuseBottlenecks: false } as WasmCompileOptions);
    expect(fused.profile()).toEqual([]);
    const y1 = (await fused.run(x))[g.outputs[0]].data;
    const y0 = (await unfused.run(x))[g.outputs[0]].data;
    expect(fused.profile().filter((t) => t.op === 'invertedresidual')).toHaveLength(17);
    expect(unfused.profile().some((t) => t.op === 'invertedresidual')).toBe(false);
    const [m1, m0] = [fused.memory(), unfused.memory()];
    expect(m1.peakBytes).toBe(after.arenaPeakBytes);
    expect(m0.peakBytes).toBe(before.arenaPeakBytes);
    expect(m1.arenaBytes).toBeGreaterThanOrEqual(after.arenaPeakBytes);
    expect(m1.arenaBytes).toBeLessThanOrEqual(m0.arenaBytes / 2);
    // The wasm memory really is smaller: weights + arena + scratch, within 10% of the prediction.
    const predicted = after.weightBytes + after.arenaPeakBytes;
    expect(Math.abs(m1.totalBytes - predicted) / predicted).toBeLessThanOrEqual(0.1);
    expect(m1.totalBytes).toBeLessThan(m0.totalBytes - (before.arenaPeakBytes - after.arenaPeakBytes) * 0.9);
    // Same arithmetic, fused or not: the same float32 sums in the same order.
    expect(y1).toEqual(y0);
    fused.dispose();
    unfused.dispose();
  }, 120_000);
});

describe('EfficientNet-B0 inference memory (batch 1, 224x224)', () => {
  it('the predicted arena peak drops (expanded tensors of the squeeze-excite blocks gone), and the wasm executable holds it', async () => {
    const g = buildModel('efficientnet-b0', { height: 224, width: 224 });
    const unfusedGraph = optimizeGraph(g).graph;
    const before = costTable(unfusedGraph, { memory: 'inference' }).inference;
    const after = costTable(fuseBottlenecks(unfusedGraph).graph, { memory: 'inference' }).inference;
    // 6.02 MB at block 2's depthwise conv (its 112x112x96 input) -> 3.21 MB at block 1's (unfused: no expand conv).
    expect(after.arenaPeakBytes).toBeLessThan(0.55 * before.arenaPeakBytes);
    const exe = await getBackend('wasm').compile(g);
    await exe.run(seededFeeds(g));
    expect(exe.profile().filter((t) => t.op === 'invertedresidual')).toHaveLength(15);
    expect(exe.memory().peakBytes).toBe(after.arenaPeakBytes);
    exe.dispose();
  }, 120_000);
});

describe('the fused wasm kernel', () => {
  it('two threads (bands split by rows, each thread its workspace) give the one-thread output bit for bit, and agree with the reference', async () => {
    const wasm = getBackend('wasm');
    const ref = getBackend('reference');
    for (const c of [INVERTED_RESIDUAL_CASES[1], INVERTED_RESIDUAL_CASES[3], INVERTED_RESIDUAL_CASES[6], INVERTED_RESIDUAL_CASES[7]]) {
      const g = invertedResidualGraph(c);
      const feeds = seededFeeds(g, { low: -1, high: 1 });
      const want = await (await ref.compile(g, { optimize: false })).run(feeds);
      const one = await wasm.compile(g, { threads: 1 });
      const two = await wasm.compile(g, { threads: 2 });
      const a = await one.run(feeds);
      const b = await two.run(feeds);
      expect(two.info().threads, c[0]).toBe(2);
      expect(two.memory().arenaBytes, 'a workspace per thread').toBeGreaterThan(one.memory().arenaBytes);
      expect(b.y.data, c[0]).toEqual(a.y.data);
      expectOutputsAgree(['y'], a, want, tolerance(g, feeds, 'wasm'));
      one.dispose();
      two.dispose();
    }
  });

  it('MobileNetV2 at 96x96, batch 2, on two threads agrees with the reference backend', async () => {
    const g = buildModel('mobilenetv2', { height: 96, width: 96, batch: 2 });
    const feeds = seededFeeds(g);
    const want = await (await getBackend('reference').compile(g)).run(feeds);
    const exe = await getBackend('wasm').compile(g, { threads: 2 });
    const got = await exe.run(feeds);
    expect(exe.profile().filter((t) => t.op === 'invertedresidual')).toHaveLength(17);
    expectOutputsAgree(g.outputs, got, want, tolerance(g, feeds, 'model'));
    exe.dispose();
  }, 120_000);
});
