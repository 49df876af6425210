/**
 * The fuzzer's seeded randomness: the SDK's own mulberry32 (src/graph/weight-init.ts, from
 * the built dist/) wrapped with the helpers the generators use.
 */
import { distUrl } from './paths.mjs';

const { mulberry32 } = await import(distUrl('graph/weight-init.js'));
export { mulberry32 };

/** A stable 32-bit seed from a run seed and some labels (FNV-1a over their text). */
export function mixSeed(...parts) {
  let h = 0x811c9dc5;
  const s = parts.join('\u0001');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // a final avalanche so that neighbouring case indices give unrelated streams
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** A random source with the helpers generators need. Every draw comes from one mulberry32. */
export class Rng {
  constructor(seed) {
    this.seed = seed >>> 0;
    this.next = mulberry32(this.seed);
  }
  /** uniform float in [0, 1) */
  float() {
    return this.next();
  }
  /** uniform float in [lo, hi) */
  range(lo, hi) {
    return lo + (hi - lo) * this.next();
  }
  /** integer in [lo, hi] (inclusive) */
  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** a fresh 32-bit seed */
  u32() {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
  bool(p = 0.5) {
    return this.next() < p;
  }
  pick(list) {
    if (list.length === 0) throw new Error('Rng.pick of an empty list');
    return list[Math.floor(this.next() * list.length)];
  }
  /** pick by weight: entries [value, weight] */
  weighted(entries) {
    const total = entries.reduce((a, [, w]) => a + w, 0);
    let r = this.next() * total;
    for (const [v, w] of entries) {
      r -= w;
      if (r < 0) return v;
    }
    return entries[entries.length - 1][0];
  }
  bytes(n) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
  floats(n, lo = -1, hi = 1) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }
  /** an "interesting" integer: boundaries that break size arithmetic */
  interestingInt() {
    return this.pick([0, -1, 1, 2, 3, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 2 ** 53 - 1, -(2 ** 31), -(2 ** 53 - 1), 1e6, 7919]);
  }
}
