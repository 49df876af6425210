import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { summarize, type CostRow } from '../src/index.js';
import { ALEXNET, GOOGLENET, GOOGLENET_MODULES, RESNET34_STEM_TAIL, VGG16, type LectureTable, type Slip } from './fixtures/lecture-tables.js';
import { SLIPS } from './fixtures/lecture-slips.js';

const round1 = (v: number) => Math.round(v * 10) / 10;
const TABLE_NAMES: Record<string, Slip['table']> = { alexnet: 'AlexNet', vgg16: 'VGG-16', googlenet: 'GoogLeNet', resnet34: 'ResNet' };

interface Mismatch {
  table: Slip['table'];
  row: string;
  column: string;
  lecture: number | string;
  correct: number | string;
}

/** Every cell where our table differs from the lecture's, at the lecture's precision. */
function mismatches(t: LectureTable): Mismatch[] {
  const s = summarize(t.model, { batch: 128, expand: t.expand });
  const table = TABLE_NAMES[t.model];
  const out: Mismatch[] = [];
  t.rows.forEach((lec, i) => {
    const [lname, kernels, kernel, stride, pad, hw, c, acts, paramsK, flopsM, actMem, paramMem] = lec;
    const name = t.rename?.[i] ?? lname;
    if (name !== lname) out.push({ table, row: name, column: 'name', lecture: lname, correct: name });
    const r = s.layers.find((x) => x.name === name) as CostRow;
    expect(r, `${t.model}: row ${name}`).toBeDefined();
    const check = (column: string, lecture: number | null, ours: unknown) => {
      if (lecture === null) return;
      if (ours !== lecture) out.push({ table, row: name, column, lecture, correct: ours as number });
    };
    check('kernels', kernels, r.kernels);
    check('kernel', kernel, r.kernel);
    check('stride', stride, r.stride);
    check('pad', pad, r.pad);
    check('outH', hw, r.outH);
    check('outW', hw, r.outW);
    check('outC', c, r.outC);
    check('activations', acts, r.activations);
    check('params', paramsK, Math.round(r.params / 1000));
    check('flops', flopsM, round1(r.flops / 1e6));
    check('actMem', actMem, round1(r.actMemMB));
    check('paramMem', paramMem, round1(r.paramMemMB));
  });
  if (t.totals) {
    const row = 'Totals';
    const tt = s.totals;
    const check = (column: string, lecture: number, ours: number) => {
      if (ours !== lecture) out.push({ table, row, column, lecture, correct: ours });
    };
    check('params', t.totals.paramsK, Math.round(tt.params / 1000));
    check('flops', t.totals.flopsM, Math.round(tt.flops / 1e6));
    check('actMem', t.totals.actMemMB, Math.round(tt.actMemMB));
    check('paramMem', t.totals.paramMemMB, Math.round(tt.paramMemMB));
  }
  return out;
}

describe('the lecture tables, row by row, minibatch 128', () => {
  for (const t of [ALEXNET, VGG16, GOOGLENET, RESNET34_STEM_TAIL]) {
    it(`${t.model}: every cell equals the lecture's, except the listed slips`, () => {
      const table = TABLE_NAMES[t.model];
      const expected = SLIPS.filter((x) => x.table === table).map(({ why: _why, ...m }) => m);
      expect(mismatches(t)).toEqual(expected);
    });
  }

  it('GoogLeNet module columns (#1x1, 3x3, 3x3 reduce, 5x5, 5x5 reduce, pool proj) match the expanded rows', () => {
    const s = summarize('googlenet', { batch: 128, expand: true });
    const k = (name: string) => s.layers.find((r) => r.name === name)?.kernels;
    for (const [m, [c1, c3, r3, c5, r5, pp]] of Object.entries(GOOGLENET_MODULES)) {
      expect([k(`${m}.1x1`), k(`${m}.3x3`), k(`${m}.3x3r`), k(`${m}.5x5`), k(`${m}.5x5r`), k(`${m}.poolproj`)]).toEqual([c1, c3, r3, c5, r5, pp]);
    }
  });

  it('each slip changes a value (no slip lists an agreeing cell) and explains why', () => {
    for (const slip of SLIPS) {
      expect(slip.lecture).not.toEqual(slip.correct);
      expect(slip.why.length).toBeGreaterThan(20);
    }
  });

  it('docs/cost-model.md lists every slip with its lecture and correct value', () => {
    const doc = readFileSync(new URL('../docs/cost-model.md', import.meta.url), 'utf8');
    for (const slip of SLIPS) {
      const line = doc.split('\n').find((l) => l.startsWith(`| ${slip.table} | ${slip.row} | ${slip.column} |`));
      expect(line, `${slip.table} ${slip.row} ${slip.column}`).toBeDefined();
      expect(line).toContain(`| ${slip.lecture} |`);
      expect(line).toContain(`| ${slip.correct} |`);
    }
  });
});

describe("the lecture's per-image and text figures", () => {
  const perImage = (m: string) => summarize(m, { batch: 128 }).totals.flops / 128 / 1e9;
  it('AlexNet about 2.2 GFLOPs/img, VGG-16 about 31, GoogLeNet about 3', () => {
    expect(perImage('alexnet')).toBeCloseTo(2.2716, 3);
    expect(perImage('vgg16')).toBeCloseTo(30.947, 3);
    expect(perImage('googlenet')).toBeCloseTo(3.178, 3);
    expect(Math.floor(perImage('alexnet') * 10) / 10).toBe(2.2);
    expect(Math.round(perImage('vgg16'))).toBe(31);
    expect(Math.round(perImage('googlenet'))).toBe(3);
  });

  it('AlexNet: more than 60 M params and 290 GFLOPs per minibatch', () => {
    const t = summarize('alexnet', { batch: 128 }).totals;
    expect(t.params).toBe(62_378_344);
    // conv1..conv5, pool1..pool3, fc6..fc8, each N * outputs * (2 * K for conv/fc, window for pools)
    expect(t.flops).toBe(
      128 * (290400 * 363 * 2 + 69984 * 9 + 186624 * 2400 * 2 + 43264 * 9 + 64896 * 2304 * 2 + 64896 * 3456 * 2 +
        43264 * 3456 * 2 + 9216 * 9 + 2 * 9216 * 4096 + 2 * 4096 * 4096 + 2 * 4096 * 1000),
    );
    expect(t.flops).toBeGreaterThan(290e9);
  });

  it('VGG-16: 138 M params, about 4 TFLOPs per minibatch, 2.4 TFLOPs and 13 GB to reach 28x28', () => {
    const s = summarize('vgg16', { batch: 128 });
    expect(s.totals.params).toBe(138_357_544);
    expect(s.totals.flops / 1e12).toBeCloseTo(3.961, 3);
    const upTo = s.layers.slice(1, s.layers.findIndex((r) => r.name === 'pool3') + 1);
    expect(upTo.reduce((a, r) => a + r.flops, 0) / 1e12).toBeCloseTo(2.39, 2);
    expect(upTo.reduce((a, r) => a + r.params, 0)).toBeGreaterThan(1.7e6);
    expect(upTo.reduce((a, r) => a + r.actMemMB, 0) / 1024).toBeCloseTo(12.8, 1);
  });

  it('GoogLeNet stem: 124 K params and about 2 GB to reach 28x28', () => {
    const s = summarize('googlenet', { batch: 128 });
    const stem = s.layers.slice(1, s.layers.findIndex((r) => r.name === 'pool2') + 1);
    expect(Math.round(stem.reduce((a, r) => a + r.params, 0) / 1000)).toBe(124);
    expect(stem.reduce((a, r) => a + r.actMemMB, 0) / 1024).toBeCloseTo(1.87, 2);
    // The lecture says "about 130 GFLOPs"; the rows it prints sum to 122.7.
    expect(stem.reduce((a, r) => a + r.flops, 0) / 1e9).toBeCloseTo(122.69, 2);
  });
});
