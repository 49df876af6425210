/**
 * Deterministic seeded weights for zoo models: the same model name and seed give the same
 * values on every machine and backend, so cross-backend tests need no weight files.
 */
export interface WeightInit {
  /** 32-bit seed, usually {@link seedFor}(modelSeed, initializerName). */
  readonly seed: number;
  /** Values are drawn uniformly from [low, high). */
  readonly low: number;
  readonly high: number;
}

/** FNV-1a hash of a name mixed with a model seed: a stable per-initializer seed. */
export function seedFor(modelSeed: number, name: string): number {
  let h = (0x811c9dc5 ^ modelSeed) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: a small, fast, well-mixed 32-bit generator. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededValues(init: WeightInit, count: number): Float32Array {
  const out = new Float32Array(count);
  const next = mulberry32(init.seed);
  const span = init.high - init.low;
  for (let i = 0; i < count; i++) out[i] = init.low + span * next();
  return out;
}
