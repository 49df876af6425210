/**
 * IDX files (the MNIST and Fashion-MNIST format): a magic of two zero bytes, a type byte
 * (0x08: unsigned byte, the only type these datasets use), a dimension count, then each
 * dimension as a big-endian uint32, then the data. Browser-safe: bytes in (already
 * gunzipped), bytes out. Everything is checked before anything is copied, so a truncated
 * or lying file allocates nothing.
 */
import { IdxError } from '../graph/errors.js';

export interface IdxArray {
  readonly shape: number[];
  /** A view of the file's bytes, row-major. */
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

export function parseIdx(bytes: Uint8Array, source = 'IDX file'): IdxArray {
  if (bytes.length < 4) throw new IdxError(`${source}: not an IDX file: ${bytes.length} bytes, shorter than its 4-byte magic`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new IdxError(`${source}: not an IDX file: it does not start with two zero bytes (a gzipped file must be gunzipped first)`);
  if (bytes[2] !== UNSIGNED_BYTE) throw new IdxError(`${source}: IDX data type 0x${bytes[2].toString(16).padStart(2, '0')} is not supported (only 0x08, unsigned bytes)`);
  const rank = bytes[3];
  if (rank < 1 || rank > 4) throw new IdxError(`${source}: IDX rank ${rank}: expected 1 (labels) to 4`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new IdxError(`${source}: truncated in its header (${bytes.length} bytes, the header needs ${header})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - header !== count) {
    throw new IdxError(`${source}: shape [${shape.join(', ')}] needs ${count} bytes of data, the file has ${bytes.length - header}`);
  }
  return { shape, data: bytes.subarray(header) };
}
