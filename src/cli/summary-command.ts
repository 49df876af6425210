import { parseArgs } from 'node:util';
import { renderTable } from '../cost/render.js';
import { costTable, type MemoryMode, type Optimizer, type Summary } from '../cost/summary.js';
import { OptionError } from '../graph/errors.js';
import { ZOO } from '../models/zoo.js';
import { optimizeGraph, type PassReport } from '../plan/passes.js';
import { isOnnxPath, loadModel } from './load-model.js';

export const SUMMARY_USAGE = `usage: webconv summary <model | model.onnx> [--batch N] [--input HxW]
                       [--memory training|inference] [--optimizer sgd|momentum|adam]
                       [--expand] [--macs] [--elementwise] [--optimize] [--json]
       webconv summary --list

Prints the lecture-style per-layer cost table of a zoo model or an ONNX file: params (K),
FLOPs (M = 10^6), activations, and memory (MB = 1024^2 bytes) for a minibatch.

  --batch N        minibatch size (default 1)
  --input HxW      input height and width (default: the model's, e.g. 227x227 for AlexNet)
  --memory MODE    training: 2x activations + 3x parameters, as the lecture counts;
                   inference: weights + the peak of live activations (default training)
  --optimizer OPT  parameter copies in training memory: sgd 2x, momentum 3x, adam 4x
  --expand         one row per layer instead of per inception module / residual block
  --macs           add a MACs column (the unit torchvision and fvcore report)
  --elementwise    count ReLU, batch norm, add, LRN, softmax in FLOPs (the lecture does not)
  --optimize       the graph after the planner's passes (batch norm folded into convs,
                   activations fused, identity and dropout removed), as backends run it
  --json           print JSON instead of the table
  --list           list the model zoo`;

/** Parses a positive integer option; `what` names it in the error. */
export function positiveInt(value: string, what: string): number {
  if (!/^[+-]?\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new OptionError(`${what} must be a positive integer, found '${value}'`);
  }
  return Number(value);
}

/** Parses `HxW` (or a single side `S` for a square input). */
export function parseInputSize(value: string): [number, number] {
  const m = /^(\d+)(?:[xX](\d+))?$/.exec(value.trim());
  if (!m) throw new OptionError(`--input must be HxW (for example 224x224), found '${value}'`);
  const h = Number(m[1]);
  const w = Number(m[2] ?? m[1]);
  if (h < 1 || w < 1) throw new OptionError(`--input sides must be positive, found '${value}'`);
  return [h, w];
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new OptionError(`${what} must be one of ${allowed.join(', ')}, found '${value}'`);
  }
  return value as T;
}

/** JSON as the issue specifies it: counts as exact integers, memory in MB. */
export function summaryJson(s: Summary, passes?: PassReport) {
  return {
    model: s.model,
    batch: s.batch,
    input: s.input,
    memory: s.memory,
    ...(s.memory === 'training' ? { optimizer: s.optimizer } : {}),
    layers: s.layers.map(({ nodes: _nodes, ...row }) => row),
    totals: s.totals,
    inference: s.inference,
    ...(passes ? { passes } : {}),
  };
}

/** `--batch -3` would read as a flag: join it to `--batch=-3` so the value is checked. */
export function joinNegativeValues(argv: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (flags.includes(argv[i]) && /^-\d/.test(argv[i + 1] ?? '')) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

export async function summaryCommand(argv: string[], out: (s: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(argv, ['--batch', '--input']),
    allowPositionals: true,
    strict: true,
    options: {
      batch: { type: 'string' },
      input: { type: 'string' },
      memory: { type: 'string' },
      optimizer: { type: 'string' },
      expand: { type: 'boolean' },
      macs: { type: 'boolean' },
      elementwise: { type: 'boolean' },
      optimize: { type: 'boolean' },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return out(SUMMARY_USAGE);
  if (values.list) {
    const width = Math.max(...ZOO.map((m) => m.name.length));
    for (const m of ZOO) {
      const aliases = m.aliases.length ? ` (also ${m.aliases.join(', ')})` : '';
      out(`${m.name.padEnd(width)}  ${m.input.join('x').padEnd(9)}  ${m.description}${aliases}`);
    }
    return;
  }
  if (positionals.length !== 1) throw new OptionError('summary takes exactly one model (see webconv summary --list)');
  const spec = positionals[0];
  const [height, width] = values.input ? parseInputSize(values.input) : [undefined, undefined];
  if (values.input && isOnnxPath(spec)) throw new OptionError('--input applies to zoo models; an ONNX file fixes its own input size');
  const batch = values.batch === undefined ? 1 : positiveInt(values.batch, '--batch');
  let graph = await loadModel(spec, { batch, height, width });
  let passes: PassReport | undefined;
  if (values.optimize) ({ graph, report: passes } = optimizeGraph(graph));
  const s = costTable(graph, {
    memory: oneOf<MemoryMode>(values.memory ?? 'training', ['training', 'inference'], '--memory'),
    optimizer: oneOf<Optimizer>(values.optimizer ?? 'momentum', ['sgd', 'momentum', 'adam'], '--optimizer'),
    expand: values.expand ?? false,
    elementwiseFlops: values.elementwise ?? false,
  });
  const passLine = passes
    ? `\npasses: ${passes.foldedBatchNorms.length} batch norms folded, ${passes.fusedResiduals.length} residual adds and ${passes.fusedActivations.length} activations fused, ` +
      `${passes.removed.length} identity/dropout nodes removed` +
      (passes.pointwisePatterns.length ? `, ${passes.pointwisePatterns.length} silu/hardswish/gelu patterns recognised` : '') +
      (passes.channelShuffles.length ? `, ${passes.channelShuffles.length} channel shuffles recognised` : '')
    : '';
  out(values.json ? JSON.stringify(summaryJson(s, passes), null, 2) : renderTable(s, { macs: values.macs ?? false }) + passLine);
}
