import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { summarize } from '../src/index.js';
import { requireOracle, torchPython } from './helpers/python.js';

/** Zoo models torchvision also builds, by torchvision's name. */
const PAIRS: [zoo: string, torchvision: string][] = [
  ['resnet18', 'resnet18'],
  ['resnet34', 'resnet34'],
  ['resnet50', 'resnet50'],
  ['resnet101', 'resnet101'],
  ['resnet152', 'resnet152'],
  ['vgg-a', 'vgg11'],
  ['vgg-b', 'vgg13'],
  ['vgg-d', 'vgg16'],
  ['vgg-e', 'vgg19'],
  ['mobilenetv2', 'mobilenet_v2'],
  ['inception-v3', 'inception_v3'],
  ['mobilenetv3-large', 'mobilenet_v3_large'],
  ['mobilenetv3-small', 'mobilenet_v3_small'],
  ['mnasnet', 'mnasnet1_0'],
  ['shufflenetv2', 'shufflenet_v2_x1_0'],
  ['convnext-tiny', 'convnext_tiny'],
  ['efficientnet-b0', 'efficientnet_b0'],
];

/** Published figures (torchvision's model documentation), pinned independently of PyTorch. */
describe('published parameter and MAC counts', () => {
  const cases: [string, number, number][] = [
    ['resnet18', 11_689_512, 1.81],
    ['resnet34', 21_797_672, 3.66],
    ['resnet50', 25_557_032, 4.09],
    ['resnet101', 44_549_160, 7.8],
    ['resnet152', 60_192_808, 11.51],
    ['vgg16', 138_357_544, 15.47],
    ['vgg19', 143_667_240, 19.63],
    ['mobilenetv2', 3_504_872, 0.3],
    ['alexnet-paper', 60_965_224, 0.72],
    ['mobilenetv3-large', 5_483_032, 0.22],
    ['mobilenetv3-small', 2_542_856, 0.06],
    ['mnasnet', 4_383_312, 0.31],
    ['shufflenetv2', 2_278_604, 0.14],
    ['convnext-tiny', 28_589_128, 4.46],
    ['efficientnet-b0', 5_288_548, 0.39],
  ];
  for (const [model, params, gmacs] of cases) {
    it(`${model}: ${params.toLocaleString('en-US')} params, ${gmacs} GMACs`, () => {
      const t = summarize(model).totals;
      expect(t.params).toBe(params);
      expect(t.macs / 1e9).toBeCloseTo(gmacs, 2);
    });
  }
  it('resnet50: exactly 4,089,184,256 MACs (torchvision "4.09")', () => {
    expect(summarize('resnet50').totals.macs).toBe(4_089_184_256);
  });
});

describe('parameter and MAC counts measured by PyTorch on torchvision models', () => {
  const python = torchPython();
  const run = requireOracle(python !== undefined, 'python3 with torch and torchvision', 'apt-get install python3-torchvision');
  it.runIf(run)('every shared model agrees in params, total MACs and per-layer MACs', () => {
    const r = spawnSync(python!, ['scripts/torchvision_counts.py', ...PAIRS.map((p) => p[1])], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const oracle = JSON.parse(r.stdout) as Record<string, { params: number; macs: number; layerMacs: number[] }>;
    for (const [zoo, tv] of PAIRS) {
      const s = summarize(zoo, { expand: true });
      const ours = s.layers.filter((l) => l.type === 'conv2d' || l.type === 'fc').map((l) => l.macs);
      expect({ model: zoo, params: s.totals.params, macs: s.totals.macs }).toEqual({ model: zoo, params: oracle[tv].params, macs: oracle[tv].macs });
      // Same multiset of per-layer MACs: the layers, not just their sum, agree.
      expect([...ours].sort((a, b) => a - b)).toEqual([...oracle[tv].layerMacs].sort((a, b) => a - b));
    }
  });
});
