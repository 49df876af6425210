/**
 * How the kernels' two builds are embedded in the package (scripts/build-wasm.mjs writes them,
 * this file reads them back, synchronously and with nothing but the language):
 *
 * - As a string of char codes 0-255, one a byte. A bundle's gzip compresses that about as
 *   well as the raw .wasm (12.0 KB against 11.0 KB for a 67 KB build), where base64 cost
 *   17.4 KB: its 6-bit symbols cut across the bytes gzip would have matched.
 * - The relaxed-SIMD build as a patch on the plain one: asc's two builds differ only in the
 *   bodies of the functions that multiply-add (5 of 38), so the patch is those bodies alone.
 *
 * test/wasm-kernels.test.ts checks both come back as asc's own builds (build/), byte for byte.
 */

/** The bytes of a string whose char codes are bytes. */
export function latin1Bytes(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

/** Patch kinds, the patch's first byte. */
const WHOLE = 0; // the target binary follows as is (the builds differed outside function bodies)
const FUNCTIONS = 1; // count, then (function index, body size, body) per replaced body

const CODE_SECTION = 10;

/** Appends n as unsigned LEB128 (wasm's integer encoding) to out. */
export const leb = (n: number, out: number[]): void => {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
};

/** A reader of unsigned LEB128 values over bytes (also shared-memory.ts's). */
export function reader(bytes: Uint8Array, at = 0) {
  return {
    get at() {
      return at;
    },
    skip(n: number) {
      at += n;
    },
    u32(): number {
      let v = 0;
      for (let shift = 0; ; shift += 7) {
        if (at >= bytes.length) throw new Error('wasm kernels: truncated binary or patch');
        const b = bytes[at++];
        v |= (b & 0x7f) << shift;
        if (!(b & 0x80)) return v >>> 0;
      }
    },
  };
}

/** The binary a patch (from scripts/build-wasm.mjs) makes of `base`. */
export function applyPatch(base: Uint8Array, patch: Uint8Array): Uint8Array<ArrayBuffer> {
  if (patch[0] === WHOLE) return patch.slice(1);
  if (patch[0] !== FUNCTIONS) throw new Error(`wasm kernels: unknown patch kind ${patch[0]}`);
  const p = reader(patch, 1);
  const replaced = new Map<number, Uint8Array>();
  for (let n = p.u32(); n > 0; n--) {
    const index = p.u32();
    const size = p.u32();
    replaced.set(index, patch.subarray(p.at, p.at + size));
    p.skip(size);
  }
  if (p.at !== patch.length) throw new Error('wasm kernels: patch longer than its entries');
  const chunks: Uint8Array[] = [base.subarray(0, 8)]; // magic, version
  const r = reader(base, 8);
  while (r.at < base.length) {
    const sectionStart = r.at;
    const id = base[r.at];
    r.skip(1);
    const size = r.u32();
    const end = r.at + size;
    if (id !== CODE_SECTION) {
      chunks.push(base.subarray(sectionStart, end));
      r.skip(size);
      continue;
    }
    const count = r.u32();
    const bodies: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const length = r.u32();
      bodies.push(replaced.get(i) ?? base.subarray(r.at, r.at + length));
      replaced.delete(i);
      r.skip(length);
    }
    if (r.at !== end) throw new Error('wasm kernels: unexpected code section');
    const content: number[] = [];
    leb(count, content);
    let contentSize = content.length;
    for (const b of bodies) {
      const head: number[] = [];
      leb(b.length, head);
      contentSize += head.length + b.length;
    }
    const head: number[] = [CODE_SECTION];
    leb(contentSize, head);
    chunks.push(Uint8Array.from(head), Uint8Array.from(content));
    for (const b of bodies) {
      const size: number[] = [];
      leb(b.length, size);
      chunks.push(Uint8Array.from(size), b);
    }
  }
  if (replaced.size) throw new Error(`wasm kernels: patch names function ${[...replaced.keys()][0]}, past the base's`);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
