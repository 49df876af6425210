import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireOracle, torchPython } from './python.js';

const SCRIPT = new URL('../../scripts/export_torch_models.py', import.meta.url).pathname;

/**
 * Exports PyTorch models with scripts/export_torch_models.py into a cache outside the
 * repository (the files are large: VGG-11 alone is 530 MB), reusing them when the
 * manifest names the same script and every file is there. Returns the directory, or
 * undefined when torch is missing outside CI (under CI a missing torch throws).
 */
export function exportTorchModels(cacheName: string, models: readonly string[]): string | undefined {
  const python = torchPython();
  if (!requireOracle(python !== undefined, 'Python with torch and torchvision', 'apt-get install python3-torchvision')) return undefined;
  const dir = join(tmpdir(), 'webconv-test-cache', cacheName);
  const script = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex');
  const complete = () => {
    const manifest = join(dir, 'manifest.json');
    if (!existsSync(manifest)) return false;
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    return m.script === script && models.every((name) =>
      m.models?.[name] && ['.onnx', '.input.npy', '.output.npy'].every((ext) => existsSync(join(dir, name + ext))));
  };
  if (!complete()) {
    const r = spawnSync(python!, [SCRIPT, dir, ...models], { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`${SCRIPT} failed (exit ${r.status}): ${r.stderr}`);
    if (!complete()) throw new Error(`${SCRIPT} ran but ${dir} is incomplete`);
  }
  return dir;
}
