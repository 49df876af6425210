import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ZOO } from '../src/index.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

function webconv(...args: string[]) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does)`);
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('webconv summary', () => {
  it('prints the lecture-style AlexNet table', () => {
    const r = webconv('summary', 'alexnet', '--batch', '128');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^Layer\s+Kernels\s+Kernel H\/W\s+S\s+P\s+Act H\/W\s+Act C\s+#Activations\s+#params \(K\)\s+flops \(M\)\s+Act mem \(MB\)\s+Param mem \(MB\)$/);
    expect(lines.find((l) => l.startsWith('conv1 '))!.split(/\s+/)).toEqual(['conv1', '96', '11', '4', '0', '55', '96', '290400', '35', '26986.3', '283.6', '0.4']);
    expect(lines.find((l) => l.startsWith('fc6 '))!.split(/\s+/)).toEqual(['fc6', '4096', '1', '1', '0', '1', '4096', '4096', '37753', '9663.7', '4.0', '432.0']);
    expect(lines.find((l) => l.startsWith('Minibatch'))!.split(/\s+/)).toEqual(['Minibatch:', '128', 'Totals:', '62378', '290767', '763', '714']);
  });

  it('--json: the documented schema, exact integer counts, rows summing to the totals', () => {
    const r = webconv('summary', 'vgg16', '--batch', '128', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['model', 'batch', 'layers', 'totals']));
    expect([j.model, j.batch]).toEqual(['vgg-d', 128]);
    for (const row of j.layers) {
      expect(Object.keys(row)).toEqual(expect.arrayContaining([
        'name', 'type', 'kernels', 'kernel', 'stride', 'pad', 'outH', 'outW', 'outC',
        'activations', 'params', 'flops', 'actMemMB', 'paramMemMB',
      ]));
      for (const k of ['activations', 'params', 'flops', 'outH', 'outW', 'outC']) expect(Number.isInteger(row[k])).toBe(true);
    }
    expect(j.layers.map((l: { name: string }) => l.name).slice(0, 4)).toEqual(['input', 'conv1', 'conv2', 'pool1']);
    const sum = (k: string) => j.layers.reduce((a: number, l: Record<string, number>) => a + l[k], 0);
    expect(sum('flops')).toBe(j.totals.flops);
    expect(sum('params')).toBe(j.totals.params);
    expect(j.totals.params).toBe(138_357_544);
    // 2 * sum(outputs * K) over the 13 convs + 4 per pooled output + 2 * fc weights, x128 (by hand in Python)
    expect(j.totals.flops).toBe(3_961_171_214_336);
  });

  it('--macs adds a MACs column; --memory inference reports weights + activation peak', () => {
    const m = webconv('summary', 'resnet50', '--macs');
    expect(m.out.split('\n')[0]).toContain('MACs (M)');
    expect(m.out).toContain('25,557,032 params, 8.180 GFLOPs/image, 4.089 GMACs/image');
    const i = webconv('summary', 'resnet50', '--memory', 'inference');
    expect(i.code).toBe(0);
    expect(i.out).toMatch(/memory \(inference\): weights 97\.7 MB \+ activation peak 6\.9 MB \(at conv\.s1\.b1\.proj\)/);
  });

  it('--expand shows the layers of composite rows; --input changes the input size', () => {
    const e = webconv('summary', 'googlenet', '--expand');
    expect(e.out).toMatch(/^incep1\.5x5 /m);
    const s = webconv('summary', 'resnet18', '--input', '112x112', '--json');
    expect(JSON.parse(s.out).layers.find((l: { name: string }) => l.name === 'conv1').outH).toBe(56);
  });

  it('--list lists every zoo model', () => {
    const r = webconv('summary', '--list');
    expect(r.code).toBe(0);
    for (const m of ZOO) expect(r.out).toMatch(new RegExp(`^${m.name} `, 'm'));
  });

  const bad: [string[], RegExp][] = [
    [['summary', 'resnet9000'], /unknown model 'resnet9000'; known models: lenet5, alexnet/],
    [['summary', 'alexnet', '--batch', '0'], /--batch must be a positive integer, found '0'/],
    [['summary', 'alexnet', '--batch', '-4'], /--batch must be a positive integer, found '-4'/],
    [['summary', 'alexnet', '--batch', 'many'], /--batch must be a positive integer, found 'many'/],
    [['summary', 'alexnet', '--batch', '99999999'], /batch must be an integer from 1 to 65536/],
    [['summary', 'alexnet', '--input', '32x32'], /node 'pool2' \(attribute 'kernel'\): expected padded input H >= kernel extent 3, found 2 .*too small/],
    [['summary', 'alexnet', '--input', '224by224'], /--input must be HxW \(for example 224x224\), found '224by224'/],
    [['summary', 'alexnet', '--input', '0x5'], /--input sides must be positive/],
    [['summary', 'alexnet', '--memory', 'lots'], /--memory must be one of training, inference, found 'lots'/],
    [['summary', 'alexnet', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['summary'], /summary takes exactly one model/],
    [['transmogrify'], /unknown command 'transmogrify'/],
  ];
  for (const [args, message] of bad) {
    it(`bad input: webconv ${args.join(' ')} -> one clear line, non-zero exit`, () => {
      const r = webconv(...args);
      expect(r.code).not.toBe(0);
      expect(r.err.split('\n')[0]).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.out).toBe('');
    });
  }
});
