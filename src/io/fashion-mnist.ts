/**
 * Where Fashion-MNIST is on this machine (Node only): $FASHION_MNIST_DIR, Debian's
 * dataset-fashion-mnist path, or wherever dpkg put it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OptionError } from '../graph/errors.js';

const FILE = 't10k-images-idx3-ubyte.gz';

export function fashionMnistDir(): string {
  for (const dir of [process.env.FASHION_MNIST_DIR, '/usr/share/datasets/fashion-mnist']) {
    if (dir && existsSync(join(dir, FILE))) return dir;
  }
  const listed = spawnSync('dpkg', ['-L', 'dataset-fashion-mnist'], { encoding: 'utf8' }).stdout ?? '';
  const file = listed.split('\n').find((l) => l.endsWith(`/${FILE}`));
  if (file) return dirname(file);
  throw new OptionError('Fashion-MNIST not found: apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR to a folder of its .gz files');
}
