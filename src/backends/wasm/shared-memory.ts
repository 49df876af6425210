/**
 * The shared-memory build of the kernels, made from the plain one: asc's two builds differ
 * only in the memory import (`--sharedMemory --maximumMemory 65536`: limits flags 0x03 and a
 * maximum of 65536 pages, where the plain build imports flags 0x00), so the package embeds
 * two binaries instead of four and rewrites that one entry when a thread pool needs shared
 * memory. test/wasm-kernels.test.ts checks the result equals asc's shared build byte for
 * byte.
 */

/** wasm32's largest memory: 65536 pages of 64 KiB, 4 GiB. */
const MAX_PAGES = 65536;

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};

/** `bytes` with its imported memory made shared, maximum 4 GiB; throws on a binary it does not expect. */
export function withSharedMemory(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  let at = 8; // magic, version
  const u32 = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      v |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return v >>> 0;
    }
  };
  while (at < bytes.length) {
    const sectionStart = at;
    const id = bytes[at++];
    const size = u32();
    const start = at;
    if (id !== 2) {
      at = start + size;
      continue;
    }
    // The import section: (module, field, kind, description)*; rewrite the memory's limits.
    const body: number[] = [];
    const count = u32();
    body.push(...leb(count));
    let found = false;
    for (let i = 0; i < count; i++) {
      const from = at;
      const moduleName = u32();
      at += moduleName;
      const fieldName = u32();
      at += fieldName;
      const kind = bytes[at++];
      body.push(...bytes.subarray(from, at));
      if (kind !== 2) throw new Error(`wasm kernels: import ${i} is not the memory (kind ${kind})`);
      const flags = bytes[at++];
      const initial = u32();
      if (flags & 1) u32(); // a maximum, replaced
      if (flags & 2) throw new Error('wasm kernels: the memory is already shared');
      body.push(0x03, ...leb(initial), ...leb(MAX_PAGES));
      found = true;
    }
    if (!found || at !== start + size) throw new Error('wasm kernels: unexpected import section');
    const head = [2, ...leb(body.length), ...body];
    const after = bytes.subarray(start + size);
    const out = new Uint8Array(sectionStart + head.length + after.length);
    out.set(bytes.subarray(0, sectionStart));
    out.set(head, sectionStart);
    out.set(after, sectionStart + head.length);
    return out;
  }
  throw new Error('wasm kernels: no import section');
}
