/**
 * The shipped type declarations stand alone: `npm pack` the package, install the tarball in
 * a temporary project, and type-check a consumer with `tsc --strict --skipLibCheck false`,
 * once as a browser user (lib ES2022 + DOM, no @types/node) and once as a Node user
 * (lib ES2022 only, @types/node). Neither consumer adds @webgpu/types itself: the package's
 * declarations must bring the WebGPU globals they use (GPUDevice, GPUBufferUsage, ...).
 *
 * A third run loads @webgpu/types (as a browser user writing WebGPU code would) and checks
 * that the context's members are then the real WebGPU types, not the fallbacks.
 *
 * Needs dist/ (npm test builds it before vitest runs) and the npm cache (the install is
 * --prefer-offline; every dependency is in the cache, the registry is the fallback).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The exact @types/node the repository builds with: in the npm cache, so offline works. */
const TYPES_NODE_VERSION: string = JSON.parse(
  readFileSync(join(ROOT, 'node_modules', '@types', 'node', 'package.json'), 'utf8'),
).version;

const CONSUMER = `\
import {
  acquireDevice,
  buildModel,
  costTable,
  getBackend,
  Graph,
  type Backend,
  type Executable,
  type GpuContext,
  type Summary,
} from 'webconv';
import { loadOnnxFile, readImageFile, type Executable as NodeExecutable } from 'webconv/node';

export async function main(): Promise<number> {
  const graph: Graph = buildModel('alexnet', { batch: 1 });
  const summary: Summary = costTable(graph);
  const backend: Backend = getBackend('wasm');
  const exe: Executable = await backend.compile(graph);
  const same: NodeExecutable = exe;
  const outputs = await same.run(new Float32Array(3 * 227 * 227));
  exe.dispose();

  const gpu: GpuContext = await acquireDevice({ powerPreference: 'high-performance' });
  const usage: number = gpu.flags.bufferUsage.STORAGE | gpu.flags.bufferUsage.COPY_SRC;
  const readable: number = gpu.flags.mapMode.READ + usage;
  const limit: number = gpu.limits.maxBufferSize;
  const lost: string | undefined = gpu.lost?.message ?? gpu.lastError?.message;
  const name: string = gpu.adapterName;
  gpu.destroy();

  const onnx: Graph = await loadOnnxFile('model.onnx');
  const image = await readImageFile('cat.png');
  return summary.layers.length + Object.keys(outputs).length + readable + limit + (lost ?? '').length
    + onnx.nodes.length + image.width + name.length;
}
`;

/** For a consumer that loads @webgpu/types: the context's members are the real WebGPU types. */
const WEBGPU_CONSUMER = `\
import { acquireDevice, type GpuContext } from 'webconv';

export async function upload(): Promise<GPUBuffer> {
  const gpu: GpuContext = await acquireDevice({ gpu: navigator.gpu });
  const device: GPUDevice = gpu.device;
  const usage: GPUBufferUsageFlags = gpu.flags.bufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const mapMode: GPUMapMode = gpu.flags.mapMode;
  const lost: GPUDeviceLostInfo | undefined = gpu.lost;
  const error: GPUError | undefined = gpu.lastError;
  return device.createBuffer({ size: 16 + mapMode.READ + (lost ? 1 : 0) + (error ? 1 : 0), usage });
}
`;

interface Setup {
  name: string;
  compilerOptions: Record<string, unknown>;
  files?: string[];
}

const SETUPS: Setup[] = [
  {
    name: 'a browser user: lib ES2022 + DOM, no @types/node, bundler resolution',
    compilerOptions: { lib: ['ES2022', 'DOM'], types: [], module: 'ESNext', moduleResolution: 'Bundler' },
  },
  {
    name: 'a Node user: lib ES2022 only + @types/node, NodeNext resolution',
    compilerOptions: { lib: ['ES2022'], types: ['node'], module: 'NodeNext', moduleResolution: 'NodeNext' },
  },
  {
    name: 'a browser user who loads @webgpu/types (installed as webconv\'s dependency): the real WebGPU types',
    compilerOptions: { lib: ['ES2022', 'DOM'], types: ['@webgpu/types'], module: 'ESNext', moduleResolution: 'Bundler' },
    files: ['consumer.ts', 'consumer-webgpu.ts'],
  },
];

function run(cmd: string, args: string[], cwd: string, timeout = 60_000) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Runs tsc without blocking, so the setups' type-checks overlap. */
function tsc(args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSC, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill(), 90_000);
    child.on('error', (e) => (out += String(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

let work = '';
let project = '';
let checks: Promise<{ code: number | null; out: string }>[] = [];

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'index.d.ts'))) {
    throw new Error(`${ROOT}dist/index.d.ts is missing: run 'npm run build' first (npm test does)`);
  }
  work = mkdtempSync(join(tmpdir(), 'webconv-types-'));
  const pack = run(NPM, ['pack', '--ignore-scripts', '--pack-destination', work], ROOT);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.out}`);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball:\n${pack.out}`);

  project = join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({
    name: 'webconv-types-consumer',
    private: true,
    type: 'module',
    dependencies: { webconv: `file:${join(work, tarball)}` },
    devDependencies: { '@types/node': TYPES_NODE_VERSION },
  }, null, 2));
  writeFileSync(join(project, 'consumer.ts'), CONSUMER);
  writeFileSync(join(project, 'consumer-webgpu.ts'), WEBGPU_CONSUMER);
  const install = run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], project, 120_000);
  if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.out}`);

  checks = SETUPS.map((setup, i) => {
    const config = `tsconfig.${i}.json`;
    writeFileSync(join(project, config), JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        ...setup.compilerOptions,
      },
      files: setup.files ?? ['consumer.ts'],
    }, null, 2));
    return tsc(['-p', config, '--strict', '--noEmit', '--skipLibCheck', 'false', '--pretty', 'false'], project);
  });
  await Promise.all(checks);
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed type declarations', () => {
  it('the tarball installs @webgpu/types as a dependency of webconv, not of the consumer', () => {
    expect(existsSync(join(project, 'node_modules', '@webgpu', 'types', 'package.json'))).toBe(true);
    const consumer = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    expect(Object.keys({ ...consumer.dependencies, ...consumer.devDependencies })).not.toContain('@webgpu/types');
  });

  it('no shipped declaration carries a reference directive (it would impose types or a lib on every consumer)', () => {
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.d.ts')) {
          for (const line of readFileSync(path, 'utf8').split('\n')) {
            if (/^\s*\/\/\/\s*<reference\b/.test(line)) found.push(`${path.slice(project.length + 1)}: ${line.trim()}`);
          }
        }
      }
    };
    walk(join(project, 'node_modules', 'webconv', 'dist'));
    expect(found).toEqual([]);
  });

  SETUPS.forEach((setup, i) => {
    it(`type-checks under tsc --strict --skipLibCheck false for ${setup.name}`, async () => {
      const result = await checks[i]!;
      if (result.code !== 0) console.error(`tsc diagnostics (${setup.name}):\n${result.out}`);
      expect(result.out).toBe('');
      expect(result.code).toBe(0);
    });
  });
});
