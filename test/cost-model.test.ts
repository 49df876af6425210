import { describe, expect, it } from 'vitest';
import { costTable, GraphBuilder, liveness, MB, summarize, ZOO } from '../src/index.js';

describe('liveness and inference memory', () => {
  it('a residual block by hand: in-place ReLU and add, peak while both branches are live', () => {
    const b = new GraphBuilder('res');
    const x = b.input('x', [1, 1, 4, 4]); // 64 B
    const r = x.conv('a', 2, 3, { pad: 1 }).relu(); // 128 B, ReLU in place
    const y = r.conv('c', 2, 3, { pad: 1 }).add(r); // 128 B, add in place on c
    const g = b.build([y]);
    const l = liveness(g);
    expect(l.peakBytes).toBe(256);
    expect(l.peakNode).toBe('c');
    expect(l.lifetimes.find((t) => t.tensor === 'a.relu')?.aliasOf).toBe('a');
    const s = costTable(g, { memory: 'inference' });
    expect(s.inference.arenaPeakBytes).toBe(256);
    expect(s.inference.weightBytes).toBe((2 * 9 + 2 + 2 * 2 * 9 + 2) * 4);
    expect(s.totals.paramMemMB * MB).toBe(s.inference.weightBytes);
    expect(s.totals.actMemMB * MB).toBe(256);
  });

  it('a branch kept alive for a concat is counted until the concat', () => {
    const b = new GraphBuilder('cat');
    const x = b.input('x', [1, 4, 2, 2]); // 64 B
    const p = x.conv('p', 4, 1); // 64
    const q = x.conv('q', 4, 1); // 64, x freed after
    const y = b.concat('y', [p, q]); // 128
    const l = liveness(b.build([y]));
    // during q: x, p, q live = 192; during y: p, q, y = 256
    expect(l.peakBytes).toBe(256);
    expect(l.peakNode).toBe('y');
  });

  it('inference memory is far below training memory and scales with the batch', () => {
    const one = summarize('resnet50', { memory: 'inference' });
    const eight = summarize('resnet50', { memory: 'inference', batch: 8 });
    expect(one.inference.weightBytes).toBe(eight.inference.weightBytes);
    expect(eight.inference.arenaPeakBytes).toBe(8 * one.inference.arenaPeakBytes);
    // weights: 25,557,032 params + 53,120 batch-norm running statistics, f32
    expect(one.inference.weightBytes).toBe((25_557_032 + 53_120) * 4);
    // By hand: the peak is in the first bottleneck's projection, where its input
    // (64x56x56), the main branch's output and the projection's (256x56x56 each) are live.
    expect(one.inference.arenaPeakBytes).toBe((64 + 2 * 256) * 56 * 56 * 4);
    expect(one.inference.peakNode).toBe('conv.s1.b1.proj');
  });
});

describe('cost table options', () => {
  it('optimizer copies: sgd 2x, momentum 3x, adam 4x of the parameters', () => {
    const p = summarize('lenet5').totals.params;
    for (const [optimizer, k] of [['sgd', 2], ['momentum', 3], ['adam', 4]] as const) {
      expect(summarize('lenet5', { optimizer }).totals.paramMemMB * MB).toBe(k * p * 4);
    }
  });

  it('elementwise FLOPs are off by default and counted when asked', () => {
    const plain = summarize('resnet18', { expand: true });
    const ew = summarize('resnet18', { expand: true, elementwiseFlops: true });
    const row = (s: typeof plain, n: string) => s.layers.find((r) => r.name === n)!;
    // conv1: 64x112x112 outputs, batch norm (2 each) + ReLU (1 each)
    expect(row(ew, 'conv1').flops - row(plain, 'conv1').flops).toBe(64 * 112 * 112 * 3);
    // conv.s1.b1.2: batch norm 2 + add 1 + ReLU 1 per output of 64x56x56
    expect(row(ew, 'conv.s1.b1.2').flops - row(plain, 'conv.s1.b1.2').flops).toBe(64 * 56 * 56 * 4);
  });

  it('collapsed rows sum to the expanded rows for every zoo model', () => {
    for (const m of ZOO) {
      const a = summarize(m.name);
      const b = summarize(m.name, { expand: true });
      const pick = ({ params, flops, macs, paramMemMB }: typeof a.totals) => ({ params, flops, macs, paramMemMB });
      // Training activation memory differs by design: a composite row stores only its output.
      expect(pick(a.totals), m.name).toEqual(pick(b.totals));
      expect(a.layers.length).toBeLessThanOrEqual(b.layers.length);
    }
  });

  it('counts scale exactly with the batch and stay integers', () => {
    for (const m of ZOO) {
      const one = summarize(m.name).totals;
      const many = summarize(m.name, { batch: 128 }).totals;
      expect(many.flops).toBe(128 * one.flops);
      expect(many.macs).toBe(128 * one.macs);
      expect(many.params).toBe(one.params);
      expect(Number.isSafeInteger(many.flops)).toBe(true);
    }
  });

  it('LeNet-5: 61,706 parameters, the classic count', () => {
    const s = summarize('lenet5', { expand: true });
    expect(s.totals.params).toBe(61_706);
    expect(s.layers.map((r) => [r.name, r.outC, r.outH])).toEqual([
      ['input', 1, 32], ['conv1', 6, 28], ['pool1', 6, 14], ['conv2', 16, 10], ['pool2', 16, 5],
      ['flatten', 400, 1], ['fc1', 120, 1], ['fc2', 84, 1], ['fc3', 10, 1],
    ]);
  });

  it('AlexNet as published (two towers) saves the grouped convolutions\' weights', () => {
    const lecture = summarize('alexnet', { expand: true });
    const paper = summarize('alexnet-paper', { expand: true });
    const p = (s: typeof lecture, n: string) => s.layers.find((r) => r.name === n)!.params;
    expect(p(paper, 'conv2')).toBe((5 * 5 * 48 + 1) * 256);
    expect(p(paper, 'conv3')).toBe(p(lecture, 'conv3'));
    expect(paper.totals.params).toBe(60_965_224);
  });

  it('ZFNet: the 110 -> 55 -> 26 -> 13 -> 6 maps of the paper', () => {
    const s = summarize('zfnet');
    expect(['conv1', 'pool1', 'conv2', 'pool2', 'pool3'].map((n) => s.layers.find((r) => r.name === n)!.outH)).toEqual([110, 55, 26, 13, 6]);
  });

  it('ResNet-50 tweaks: B moves the stride, C changes the stem, D the shortcut; B equals torchvision', () => {
    const macs = (m: string) => summarize(m).totals.macs;
    expect(macs('resnet50-b')).toBe(macs('resnet50'));
    expect(macs('resnet50-v1')).toBeLessThan(macs('resnet50-b'));
    const c = summarize('resnet50-c', { expand: true });
    expect(c.layers.slice(1, 4).map((r) => [r.name, r.kernels, r.kernel, r.stride])).toEqual([
      ['conv1.1', 32, 3, 2], ['conv1.2', 32, 3, 1], ['conv1.3', 64, 3, 1],
    ]);
    const d = summarize('resnet50-d', { expand: true });
    const pool = d.layers.find((r) => r.name === 'conv.s2.b1.proj.pool')!;
    expect([pool.type, pool.kernel, pool.stride, pool.outH]).toEqual(['avgpool', 2, 2, 28]);
    expect(d.layers.find((r) => r.name === 'conv.s2.b1.proj')!.stride).toBe(1);
    expect(summarize('resnet50-d').totals.params).toBe(summarize('resnet50-c').totals.params);
  });

  it('an input size other than the default changes every spatial row', () => {
    const s = summarize('resnet50', { height: 160, width: 128 });
    const last = s.layers.find((r) => r.name === 's4.b3')!;
    expect([last.outH, last.outW]).toEqual([5, 4]);
    expect(s.totals.params).toBe(25_557_032);
  });
});
