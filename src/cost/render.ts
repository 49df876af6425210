import type { CostRow, Summary } from './summary.js';

export interface RenderOptions {
  /** Add a MACs column (GMACs in the totals), the unit torchvision and fvcore report. */
  macs?: boolean;
}

const dims = (v: CostRow['kernel'] | CostRow['pad']): string =>
  v === null ? '' : Array.isArray(v) ? v.join('x') : String(v);
const fixed = (v: number, digits: number) => v.toFixed(digits);

/**
 * The lecture-style table: params in K, FLOPs in M = 10^6, memory in MB = 1024^2 bytes,
 * one decimal, totals as whole numbers.
 */
export function renderTable(s: Summary, o: RenderOptions = {}): string {
  const memTitle = s.memory === 'training' ? 'training' : 'inference';
  const head = [
    'Layer', 'Kernels', 'Kernel H/W', 'S', 'P', 'Act H/W', 'Act C', '#Activations',
    '#params (K)', 'flops (M)', ...(o.macs ? ['MACs (M)'] : []), 'Act mem (MB)', 'Param mem (MB)',
  ];
  const rows: string[][] = s.layers.map((r) => [
    r.name,
    r.kernels === null ? '' : String(r.kernels),
    dims(r.kernel),
    dims(r.stride),
    dims(r.pad),
    r.outH === r.outW ? String(r.outH) : `${r.outH}x${r.outW}`,
    String(r.outC),
    String(r.activations),
    String(Math.round(r.params / 1000)),
    r.type === 'input' ? '-' : fixed(r.flops / 1e6, 1),
    ...(o.macs ? [r.type === 'input' ? '-' : fixed(r.macs / 1e6, 1)] : []),
    fixed(r.actMemMB, 1),
    fixed(r.paramMemMB, 1),
  ]);
  const t = s.totals;
  const totalRow = [
    `Minibatch: ${s.batch}`, '', '', '', '', '', '', 'Totals:',
    String(Math.round(t.params / 1000)),
    String(Math.round(t.flops / 1e6)),
    ...(o.macs ? [String(Math.round(t.macs / 1e6))] : []),
    String(Math.round(t.actMemMB)),
    String(Math.round(t.paramMemMB)),
  ];
  const all = [head, ...rows, totalRow];
  const widths = head.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const per = s.batch;
  const footer = [
    `${s.model}: ${t.params.toLocaleString('en-US')} params, ${(t.flops / per / 1e9).toFixed(3)} GFLOPs/image` +
      `, ${(t.macs / per / 1e9).toFixed(3)} GMACs/image (input ${s.input.join('x')})`,
    s.memory === 'training'
      ? `memory (${memTitle}, ${s.optimizer}): activations ${t.actMemMB.toFixed(1)} MB + parameters ${t.paramMemMB.toFixed(1)} MB`
      : `memory (${memTitle}): weights ${t.paramMemMB.toFixed(1)} MB + activation peak ${t.actMemMB.toFixed(1)} MB` +
        ` (at ${s.inference.peakNode}) = ${(t.paramMemMB + t.actMemMB).toFixed(1)} MB`,
  ];
  return [line(head), rule, ...rows.map(line), rule, line(totalRow), '', ...footer].join('\n');
}
