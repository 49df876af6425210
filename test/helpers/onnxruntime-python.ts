import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { requireOracle } from './python.js';

/** The venv scripts/setup-system.mjs makes with onnxruntime and onnx (Debian packages neither). */
const VENV_PYTHON = new URL('../../.cache/onnxruntime-venv/bin/python', import.meta.url).pathname;
const SCRIPT = new URL('../../scripts/quantize_onnx.py', import.meta.url).pathname;

let cached: { python: string | undefined } | undefined;

/** The venv's python when it can import onnxruntime and onnx (checked once), else undefined. */
export function ortPython(): string | undefined {
  if (!cached) {
    const ok = existsSync(VENV_PYTHON) &&
      spawnSync(VENV_PYTHON, ['-c', 'import onnxruntime, onnx'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
    cached = { python: ok ? VENV_PYTHON : undefined };
  }
  return cached.python;
}

/**
 * Whether the onnxruntime oracle is there: skips locally (with a message saying how to make
 * it) and throws under CI when it is missing, as requireOracle does.
 */
export function requireOrt(): boolean {
  return requireOracle(ortPython() !== undefined, 'onnxruntime for Python', 'node scripts/setup-system.mjs (makes .cache/onnxruntime-venv)');
}

/**
 * Runs scripts/quantize_onnx.py (`quantize ...` or `run ...`) with ortPython(); `out` is its
 * stdout and stderr. Not ok (with a message in `out`) when the venv is missing.
 */
export function runOrtPython(args: string[], timeoutMs = 300_000): { ok: boolean; out: string } {
  const python = ortPython();
  if (python === undefined) return { ok: false, out: `no onnxruntime venv at ${VENV_PYTHON}; run node scripts/setup-system.mjs` };
  const r = spawnSync(python, [SCRIPT, ...args], { encoding: 'utf8', timeout: timeoutMs });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
  return { ok: r.status === 0, out };
}
