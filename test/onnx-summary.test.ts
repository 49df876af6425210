/**
 * The cost model on an imported model: torchvision's ResNet-18 exported by PyTorch must
 * cost exactly what the zoo's ResNet-18 costs, before the planner's passes; after them the
 * batch norms are gone into the convs.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../src/index.js';
import { exportTorchModels } from './helpers/torch-models.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
let dir: string | undefined;
beforeAll(() => {
  dir = exportTorchModels('torch-models-summary', ['resnet18']);
}, 600_000);

const webconv = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('webconv summary on an ONNX file', () => {
  it('ResNet-18 from PyTorch: the same params, FLOPs and MACs as the zoo model', (ctx) => {
    if (!dir) return ctx.skip();
    const r = webconv('summary', join(dir, 'resnet18.onnx'), '--json', '--batch', '4');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const zoo = summarize('resnet18', { batch: 4 }).totals;
    expect(j.totals.params).toBe(11_689_512);
    expect({ params: j.totals.params, flops: j.totals.flops, macs: j.totals.macs }).toEqual({ params: zoo.params, flops: zoo.flops, macs: zoo.macs });
    // Rows: one per conv (with its BN and ReLU), the pools, the fc.
    const convs = j.layers.filter((l: { type: string }) => l.type === 'conv2d');
    expect(convs.length).toBe(20);
  });

  it('--optimize: 20 batch norms folded, 8 residual adds and 17 ReLUs fused, fewer params', (ctx) => {
    if (!dir) return ctx.skip();
    const r = webconv('summary', join(dir, 'resnet18.onnx'), '--optimize');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/passes: 20 batch norms folded, 8 residual adds and 17 activations fused/);
    const j = JSON.parse(webconv('summary', join(dir, 'resnet18.onnx'), '--optimize', '--json').stdout);
    // Folding trades each BN's scale and shift (2C) for a conv bias (C).
    const bnChannels = 64 + 4 * 64 + 4 * 128 + 4 * 256 + 4 * 512 + 128 + 256 + 512;
    expect(j.totals.params).toBe(11_689_512 - bnChannels);
    expect(j.passes.foldedBatchNorms.length).toBe(20);
  });

  it('--input is refused for an ONNX file, whose input size is fixed', (ctx) => {
    if (!dir) return ctx.skip();
    const r = webconv('summary', join(dir, 'resnet18.onnx'), '--input', '64x64');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--input applies to zoo models/);
  });
});
