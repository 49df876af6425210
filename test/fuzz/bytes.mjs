/**
 * Byte-level mutations, shared by every kind of input. Each takes the current bytes and a
 * seeded Rng of its own (so one mutation can be dropped from a chain while the others still
 * do what they did), and returns { bytes, desc }.
 */

/** The bytes of `parts`, one after another. */
export function cat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Positions are biased towards the start of a file, where the headers are. */
function position(rng, length) {
  if (length === 0) return 0;
  return rng.bool(0.5) ? rng.int(0, Math.min(length - 1, 63)) : rng.int(0, length - 1);
}

export const BYTE_MUTATORS = {
  flip(b, rng) {
    if (b.length === 0) return { bytes: b, desc: 'flip (empty: nothing)' };
    const out = b.slice();
    const at = position(rng, b.length);
    const bit = rng.int(0, 7);
    out[at] ^= 1 << bit;
    return { bytes: out, desc: `flip bit ${bit} of byte ${at}` };
  },
  setByte(b, rng) {
    if (b.length === 0) return { bytes: b, desc: 'setByte (empty: nothing)' };
    const out = b.slice();
    const at = position(rng, b.length);
    const v = rng.pick([0x00, 0xff, 0x7f, 0x80, 0x01, rng.int(0, 255)]);
    out[at] = v;
    return { bytes: out, desc: `byte ${at} = 0x${v.toString(16)}` };
  },
  truncate(b, rng) {
    const n = rng.bool(0.3) ? rng.int(0, Math.min(b.length, 32)) : rng.int(0, b.length);
    return { bytes: b.slice(0, n), desc: `truncate to ${n} of ${b.length} bytes` };
  },
  insert(b, rng) {
    const at = rng.int(0, b.length);
    const n = rng.pick([1, 2, 4, 8, rng.int(1, 64)]);
    const ins = rng.bool(0.5) ? rng.bytes(n) : new Uint8Array(n).fill(rng.pick([0, 0xff, 0x80]));
    return { bytes: cat(b.subarray(0, at), ins, b.subarray(at)), desc: `insert ${n} bytes at ${at}` };
  },
  erase(b, rng) {
    if (b.length === 0) return { bytes: b, desc: 'erase (empty: nothing)' };
    const at = rng.int(0, b.length - 1);
    const n = Math.min(b.length - at, rng.pick([1, 2, 4, rng.int(1, 32)]));
    return { bytes: cat(b.subarray(0, at), b.subarray(at + n)), desc: `erase ${n} bytes at ${at}` };
  },
  /** copies a range of the file over (or into) another place of the same file */
  splice(b, rng) {
    if (b.length < 2) return { bytes: b, desc: 'splice (too short: nothing)' };
    const from = rng.int(0, b.length - 1);
    const n = rng.int(1, Math.min(64, b.length - from));
    const to = rng.int(0, b.length);
    const piece = b.slice(from, from + n);
    if (rng.bool(0.5)) return { bytes: cat(b.subarray(0, to), piece, b.subarray(to)), desc: `splice-insert ${n} bytes from ${from} at ${to}` };
    const out = b.slice();
    out.set(piece.subarray(0, Math.max(0, Math.min(piece.length, out.length - to))), to);
    return { bytes: out, desc: `splice-overwrite ${n} bytes from ${from} at ${to}` };
  },
  /** repeats a range many times: long inputs, repeated fields, big varints */
  repeat(b, rng) {
    if (b.length === 0) return { bytes: b, desc: 'repeat (empty: nothing)' };
    const from = rng.int(0, b.length - 1);
    const n = rng.int(1, Math.min(16, b.length - from));
    const times = rng.pick([2, 16, 256, 4096]);
    const piece = b.subarray(from, from + n);
    const reps = new Uint8Array(n * times);
    for (let k = 0; k < times; k++) reps.set(piece, k * n);
    return { bytes: cat(b.subarray(0, from), reps, b.subarray(from)), desc: `repeat ${n} bytes at ${from} x${times}` };
  },
  /** an interesting 32-bit value written big- or little-endian (sizes, lengths) */
  int32(b, rng) {
    if (b.length < 4) return { bytes: b, desc: 'int32 (too short: nothing)' };
    const out = b.slice();
    const at = rng.int(0, b.length - 4);
    const v = rng.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 0xffff, rng.u32()]);
    const view = new DataView(out.buffer);
    const le = rng.bool(0.5);
    view.setUint32(at, v >>> 0, le);
    return { bytes: out, desc: `uint32 ${le ? 'LE' : 'BE'} 0x${(v >>> 0).toString(16)} at ${at}` };
  },
};

export const BYTE_MUTATOR_NAMES = Object.keys(BYTE_MUTATORS);
