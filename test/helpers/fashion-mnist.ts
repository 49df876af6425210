/**
 * Fashion-MNIST for the tests (Debian's dataset-fashion-mnist, an oracle no one here
 * wrote): where it is, or undefined, with requireOracle's rule (fails under CI, skips
 * elsewhere), and its IDX files read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fashionMnistDir } from '../../src/io/fashion-mnist.js';
import { parseIdx, type IdxArray } from '../../src/io/idx.js';
import { requireOracle } from './python.js';

function find(): string | undefined {
  try {
    return fashionMnistDir();
  } catch {
    return undefined;
  }
}

/** The dataset's folder, if this machine has it (under CI it must). */
export const FASHION_MNIST: string | undefined = find();
export const haveFashionMnist = requireOracle(FASHION_MNIST !== undefined, 'Fashion-MNIST (Debian package dataset-fashion-mnist)', 'apt-get install dataset-fashion-mnist');

/** One of its files, gunzipped and parsed: e.g. 't10k-labels-idx1-ubyte.gz'. */
export function fashionMnistFile(name: string): IdxArray {
  return parseIdx(gunzipSync(readFileSync(join(FASHION_MNIST!, name))), name);
}
