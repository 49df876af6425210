#!/usr/bin/env node
// Installs the Debian packages the test suite uses as oracles, when they are missing.
// Runs before `npm test`; needs root (as on CI) to install, otherwise says what to run.
import { spawnSync } from 'node:child_process';

/** Debian package -> why the tests need it. */
const PACKAGES = {
  'python3-torchvision': 'PyTorch/torchvision: the oracle for parameter and MAC counts',
  'libonnx-testdata': "ONNX's backend conformance data: the oracle for the ONNX importer and every backend",
  'dataset-fashion-mnist': 'Fashion-MNIST: the shipped classifier is evaluated on its 10,000 test images',
  chromium: 'headless Chromium (with SwiftShader for WebGPU): the browser benchmark page and the HTML report are checked in it',
};

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const installed = (pkg) =>
  spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout?.includes('install ok installed');

if (!has('dpkg-query')) {
  console.warn('setup-system: not a Debian system; tests that need Debian packages will be skipped (or fail under CI).');
  process.exit(0);
}
const missing = Object.keys(PACKAGES).filter((p) => !installed(p));
if (missing.length === 0) process.exit(0);
for (const p of missing) console.log(`setup-system: missing ${p} (${PACKAGES[p]})`);
if (process.getuid?.() !== 0) {
  console.warn(`setup-system: not root; install them with: sudo apt-get install -y ${missing.join(' ')}`);
  process.exit(0);
}
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const run = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status;
if (run(['update', '-qq']) !== 0 || run(['install', '-y', '-qq', ...missing]) !== 0) {
  console.error(`setup-system: apt-get install ${missing.join(' ')} failed`);
  process.exit(1);
}
