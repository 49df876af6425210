#!/usr/bin/env node
// Installs the Debian packages the test suite uses as oracles, when they are missing, then
// the Python venv with onnxruntime (the oracle for quantized models) in .cache/.
// Runs before `npm test`; needs root (as on CI) to install packages, otherwise says what to run.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian package -> why the tests need it. */
const PACKAGES = {
  'python3-torchvision': 'PyTorch/torchvision: the oracle for parameter and MAC counts',
  'libonnx-testdata': "ONNX's backend conformance data: the oracle for the ONNX importer and every backend",
  'dataset-fashion-mnist': 'Fashion-MNIST: the shipped classifier is evaluated on its 10,000 test images',
  chromium: 'headless Chromium (with SwiftShader for WebGPU): the browser benchmark page and the HTML report are checked in it',
  'python3-venv': 'venv for the system Python: .cache/onnxruntime-venv holds onnxruntime, the oracle for quantized (int8) models',
};

/** pip package -> why; installed into VENV (Debian packages neither, and PEP 668 forbids the system Python). */
const PIP_PACKAGES = {
  'onnxruntime==1.30.0': "onnxruntime's CPU provider and static quantizer: the oracle for quantized (int8) models",
  'onnx==1.23.1': 'onnx: the quantizer needs it, and scripts/quantize_onnx.py lists op types with it',
};
const VENV = join(dirname(dirname(fileURLToPath(import.meta.url))), '.cache', 'onnxruntime-venv');

const root = process.getuid?.() === 0;
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const installed = (pkg) =>
  spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout?.includes('install ok installed');

/** Installs the missing Debian packages; exits 1 when that fails as root. */
function aptPackages() {
  if (!has('dpkg-query')) {
    console.warn('setup-system: not a Debian system; tests that need Debian packages will be skipped (or fail under CI).');
    return;
  }
  const missing = Object.keys(PACKAGES).filter((p) => !installed(p));
  if (missing.length === 0) return;
  for (const p of missing) console.log(`setup-system: missing ${p} (${PACKAGES[p]})`);
  if (!root) {
    console.warn(`setup-system: not root; install them with: sudo apt-get install -y ${missing.join(' ')}`);
    return;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status;
  if (run(['update', '-qq']) !== 0 || run(['install', '-y', '-qq', ...missing]) !== 0) {
    console.error(`setup-system: apt-get install ${missing.join(' ')} failed`);
    process.exit(1);
  }
}

/**
 * Makes VENV with Debian's python3 (not a pyenv or other python3 first on PATH) and
 * pip-installs PIP_PACKAGES into it; quick when it can already import them.
 */
function onnxruntimeVenv() {
  const python = join(VENV, 'bin', 'python');
  const works = () => spawnSync(python, ['-c', 'import onnxruntime, onnx'], { stdio: 'ignore' }).status === 0;
  if (existsSync(python) && works()) return;
  const base = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const pkgs = Object.keys(PIP_PACKAGES);
  const fail = (what) => {
    console.error(`setup-system: ${what}; the onnxruntime oracle (quantized-model tests) is unavailable`);
    const fix = `rm -rf ${VENV} && ${base} -m venv ${VENV} && ${join(VENV, 'bin', 'pip')} install ${pkgs.join(' ')}`;
    if (root) process.exit(1);
    console.warn(`setup-system: to make it (python3-venv must be installed), run: ${fix}`);
  };
  for (const p of pkgs) console.log(`setup-system: making ${VENV} with ${p} (${PIP_PACKAGES[p]})`);
  // A venv left without pip (python3-venv was missing when it was made) is made again.
  if (!existsSync(join(VENV, 'bin', 'pip'))) {
    rmSync(VENV, { recursive: true, force: true });
    if (spawnSync(base, ['-m', 'venv', VENV], { stdio: 'inherit' }).status !== 0) return fail(`${base} -m venv ${VENV} failed`);
  }
  // One retry per index: where an index is unreachable (a mirror-only network), pip's default
  // five retries with back-off cost ~8 s per package.
  const pip = spawnSync(join(VENV, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', '--retries', '1', ...pkgs], { stdio: 'inherit' });
  if (pip.status !== 0) return fail(`pip install ${pkgs.join(' ')} into ${VENV} failed`);
  if (!works()) return fail(`${python} cannot import onnxruntime and onnx after pip install`);
}

aptPackages();
onnxruntimeVenv();
