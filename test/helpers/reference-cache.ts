/**
 * Reference-backend outputs shared by the test files that hold other backends against them
 * (zoo.test.ts on wasm, zoo-webgpu.test.ts in Node, zoo-browser.test.ts in Chromium): the
 * reference backend is slow (VGG runs take a minute), so each output is computed once and
 * kept in a directory named by a hash of every source file under src/ and test/helpers/
 * (the cases, their seeds), so that any change to the code computes them afresh. Files that run at the same time take a lock per output:
 * one computes, the others wait for its file.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sourceHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) hash.update(path.slice(ROOT.length)).update(readFileSync(path));
    }
  };
  walk(join(ROOT, 'src'));
  walk(join(ROOT, 'test', 'helpers'));
  return hash.digest('hex').slice(0, 16);
}

let dir: string | undefined;

function cacheDir(): string {
  dir ??= join(tmpdir(), `webconv-reference-${sourceHash()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The reference output for `key`: read from the cache, or computed (by this process or another) and cached. */
export async function cachedReference(key: string, compute: () => Promise<Float32Array>): Promise<Float32Array> {
  const safe = key.replace(/[^\w.-]+/g, '_');
  const file = join(cacheDir(), `${safe}.f32`);
  const lock = join(cacheDir(), `${safe}.lock`);
  const read = () => {
    const b = readFileSync(file);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  for (;;) {
    if (existsSync(file)) return read();
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      // Another process computes it: wait for its file, or take over if it died.
      const owner = Number(readFileSync(lock, 'utf8').trim() || '0');
      if (owner && !alive(owner)) rmSync(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      const data = await compute();
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      renameSync(tmp, file);
      return data;
    } finally {
      rmSync(lock, { force: true });
    }
  }
}
