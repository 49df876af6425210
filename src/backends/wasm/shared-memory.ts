/**
 * The shared-memory build of the kernels, made from the plain one: asc's two builds differ
 * only in the memory import (`--sharedMemory --maximumMemory 65536`: limits flags 0x03 and a
 * maximum of 65536 pages, where the plain build imports flags 0x00), so the package embeds
 * two binaries instead of four and rewrites that one entry when a thread pool needs shared
 * memory. test/wasm-kernels.test.ts checks the result equals asc's shared build byte for
 * byte.
 */

import { leb, reader } from './binary-encoding.js';

/** wasm32's largest memory: 65536 pages of 64 KiB, 4 GiB. */
const MAX_PAGES = 65536;

const uleb = (n: number): number[] => {
  const out: number[] = [];
  leb(n, out);
  return out;
};

/** `bytes` with its imported memory made shared, maximum 4 GiB; throws on a binary it does not expect. */
export function withSharedMemory(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const r = reader(bytes, 8); // after magic and version
  while (r.at < bytes.length) {
    const sectionStart = r.at;
    const id = bytes[r.at];
    r.skip(1);
    const size = r.u32();
    const start = r.at;
    if (id !== 2) {
      r.skip(size);
      continue;
    }
    // The import section: (module, field, kind, description)*; rewrite the memory's limits.
    const body: number[] = [];
    const count = r.u32();
    body.push(...uleb(count));
    let found = false;
    for (let i = 0; i < count; i++) {
      const from = r.at;
      r.skip(r.u32()); // module name
      r.skip(r.u32()); // field name
      const kind = bytes[r.at];
      r.skip(1);
      body.push(...bytes.subarray(from, r.at));
      if (kind !== 2) throw new Error(`wasm kernels: import ${i} is not the memory (kind ${kind})`);
      const flags = bytes[r.at];
      r.skip(1);
      const initial = r.u32();
      if (flags & 1) r.u32(); // a maximum, replaced
      if (flags & 2) throw new Error('wasm kernels: the memory is already shared');
      body.push(0x03, ...uleb(initial), ...uleb(MAX_PAGES));
      found = true;
    }
    if (!found || r.at !== start + size) throw new Error('wasm kernels: unexpected import section');
    const head = [2, ...uleb(body.length), ...body];
    const after = bytes.subarray(start + size);
    const out = new Uint8Array(sectionStart + head.length + after.length);
    out.set(bytes.subarray(0, sectionStart));
    out.set(head, sectionStart);
    out.set(after, sectionStart + head.length);
    return out;
  }
  throw new Error('wasm kernels: no import section');
}
