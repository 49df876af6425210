#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { WebconvError } from '../graph/errors.js';
import { BENCH_USAGE, benchCommand } from './bench-command.js';
import { CLASSIFY_USAGE, classifyCommand } from './classify-command.js';
import { EVAL_USAGE, evalCommand } from './eval-command.js';
import { QUANTIZE_USAGE, quantizeCommand } from './quantize-command.js';
import { RUN_USAGE, runCommand } from './run-command.js';
import { SUMMARY_USAGE, summaryCommand } from './summary-command.js';

const USAGE = `usage: webconv <command> [options]

commands:
  summary <model>   per-layer cost table (params, FLOPs, activations, memory)
  summary --list    list the model zoo
  run <model> --input x.npy [--backend NAME] [--out y.npy] [--top K]
                    run a zoo model or an .onnx file on a .npy tensor
  bench <model>...  measure latency, GFLOP/s per layer and memory against the cost model
                    and the device's measured peak (--json, --html, --compare, --browser)
  eval <model.onnx> --fashion-mnist test
                    a classifier's accuracy on a labelled dataset
  classify <model.onnx> <image>...
                    the most probable labels of PNG or JPEG images
  quantize <model.onnx> --calibrate <file.npy | fashion-mnist> --out <model.int8.onnx>
                    post-training int8 quantization to a QDQ ONNX file

Run 'webconv <command> --help' for a command's options.`;

/** Runs the CLI; resolves to the exit code. Errors are one line on stderr, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const out = (s: string) => void process.stdout.write(s + '\n');
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'summary':
        await summaryCommand(rest, out);
        return 0;
      case 'run':
        await runCommand(rest, out, (line) => void process.stderr.write(line + '\n'));
        return 0;
      case 'bench':
        await benchCommand(rest, out);
        return 0;
      case 'classify':
        await classifyCommand(rest, out, (line) => void process.stderr.write(line + '\n'));
        return 0;
      case 'eval':
        await evalCommand(rest, out, (line) => void process.stderr.write(line + '\n'));
        return 0;
      case 'quantize':
        await quantizeCommand(rest, out, (line) => void process.stderr.write(line + '\n'));
        return 0;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        out(command === undefined ? USAGE : rest[0] === 'summary' ? SUMMARY_USAGE : rest[0] === 'run' ? RUN_USAGE : rest[0] === 'bench' ? BENCH_USAGE : rest[0] === 'eval' ? EVAL_USAGE : rest[0] === 'classify' ? CLASSIFY_USAGE : rest[0] === 'quantize' ? QUANTIZE_USAGE : USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`webconv: unknown command '${command}'\n${USAGE}\n`);
        return 2;
    }
  } catch (e) {
    // parseArgs reports unknown or malformed flags with a code of its own.
    const known = e instanceof WebconvError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!known) throw e;
    process.stderr.write(`webconv: error: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
}

// Node 20 runs relaxed-SIMD wasm only behind a V8 flag (browsers and Node 22 ship it); set
// before any module compiles, it lets the CLI use the faster build where the CPU has it.
setFlagsFromString('--experimental-wasm-relaxed-simd');
process.exitCode = await main(process.argv.slice(2));
