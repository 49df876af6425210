import { OptionError } from '../graph/errors.js';

/** Options every zoo builder takes. */
export interface ModelOptions {
  /** Minibatch size N. Default 1. */
  batch?: number;
  /** Input height and width. Default: the model's (227 for AlexNet, 224 for VGG, ...). */
  height?: number;
  width?: number;
  /** Seed of the deterministic weights. Default 1. */
  seed?: number;
}

/** Largest accepted batch and side: keeps every count exact in a double (< 2^53). */
export const MAX_BATCH = 65536;
export const MAX_SIDE = 8192;

export interface ResolvedOptions {
  batch: number;
  height: number;
  width: number;
  seed: number;
}

export function resolveOptions(o: ModelOptions, height: number, width = height): ResolvedOptions {
  const r = { batch: o.batch ?? 1, height: o.height ?? height, width: o.width ?? width, seed: o.seed ?? 1 };
  if (!Number.isInteger(r.batch) || r.batch < 1 || r.batch > MAX_BATCH) {
    throw new OptionError(`batch must be an integer from 1 to ${MAX_BATCH}, found ${o.batch}`);
  }
  for (const [k, v] of [['height', r.height], ['width', r.width]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE) throw new OptionError(`input ${k} must be an integer from 1 to ${MAX_SIDE}, found ${v}`);
  }
  if (!Number.isInteger(r.seed)) throw new OptionError(`seed must be an integer, found ${o.seed}`);
  return r;
}
