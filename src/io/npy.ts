/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), float32 in C order only: the
 * tensors PyTorch and NumPy users already have (`np.save('x.npy', t.numpy())`).
 * Browser-safe: bytes in, bytes out, no file system.
 *
 * Layout: the magic `\x93NUMPY`, a major and a minor version byte, the header length
 * (uint16 LE in 1.0, uint32 LE in 2.0/3.0), then a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 224, 224), }` padded with
 * spaces to a multiple of 64 bytes and ended by '\n', then the raw data.
 */
import { NpyError } from '../graph/errors.js';

/** A float32 tensor read from a .npy file. */
export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy aligns the data to 64 bytes (so memory-mapped arrays are aligned). */
const ALIGN = 64;
const MAX_HEADER = 65536;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Parses a `.npy` file holding little-endian float32 in C order.
 *
 * Everything is checked before the data is copied: the magic and version, the header dict
 * (exactly the keys `descr`, `fortran_order`, `shape`), the dtype, and that the bytes after
 * the header are exactly the shape's size, so a truncated or lying file allocates nothing.
 *
 * @param bytes the whole file
 * @param source a name for the file (a path, say) to start error messages with
 * @throws {NpyError} naming the problem: bad magic, unsupported version, truncated or
 *   corrupt header, a dtype other than `'<f4'` (with the one found), Fortran order, or a
 *   data length that does not match the shape
 *
 * @example
 * const { shape, data } = parseNpy(new Uint8Array(await (await fetch('x.npy')).arrayBuffer()));
 */
export function parseNpy(bytes: Uint8Array, source?: string): NpyArray {
  const fail = (message: string): never => {
    throw new NpyError(source ? `${source}: ${message}` : message);
  };
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    const found = Array.from(bytes.subarray(0, 6), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
    fail(`not a .npy file: bad magic (expected '\\x93NUMPY', found '${found}')`);
  }
  const [major, minor] = [bytes[6], bytes[7]];
  if (![1, 2, 3].includes(major) || minor !== 0) fail(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthBytes;
  if (bytes.length < headerStart) fail(`truncated header: the file ends after ${bytes.length} bytes`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) fail(`truncated header: it declares ${headerLength} bytes but only ${bytes.length - headerStart} follow`);

  // Versions 1.0 and 2.0 store the header in latin-1, 3.0 in UTF-8.
  const headerBytes = bytes.subarray(headerStart, dataStart);
  // numpy itself refuses headers over 10000 bytes; real ones are under 200.
  if (headerLength > MAX_HEADER) fail(`corrupt header: it declares ${headerLength} bytes (at most ${MAX_HEADER} accepted)`);
  const header = major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : Array.from(headerBytes, (b) => String.fromCharCode(b)).join('');
  const dict = parseHeader(header, fail);

  const descr = dict.get('descr');
  if (descr !== '<f4') fail(`expected float32 ('<f4'), found ${describeDtype(descr)}`);
  if (dict.get('fortran_order') !== false) {
    fail(dict.get('fortran_order') === true
      ? "the array is in Fortran order; save it in C order (np.ascontiguousarray) instead"
      : `corrupt header: 'fortran_order' must be True or False, found ${literal(dict.get('fortran_order'))}`);
  }
  const shapeValue = dict.get('shape');
  if (!isTuple(shapeValue) || !shapeValue.items.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    return fail(`corrupt header: 'shape' must be a tuple of non-negative integers, found ${literal(shapeValue)}`);
  }
  const shape = shapeValue.items as number[];

  // Compare sizes before allocating: a corrupt shape must not cost memory.
  const count = shape.reduce((a, d) => a * d, 1);
  const dataBytes = bytes.length - dataStart;
  if (!Number.isSafeInteger(count * 4)) fail(`shape ${literal(shapeValue)} is too large`);
  if (count * 4 !== dataBytes) {
    fail(
      `data is ${dataBytes} bytes but shape ${literal(shapeValue)} of float32 needs ${count * 4} bytes` +
        (count * 4 > dataBytes ? ' (truncated file?)' : ''),
    );
  }
  const data = new Float32Array(count);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart));
  } else {
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(dataStart + 4 * i, true);
  }
  return { shape, data };
}

/**
 * Encodes a float32 tensor as a `.npy` file (format 1.0, or 2.0 when the header needs it),
 * little-endian, C order, readable by `numpy.load` and `torch.from_numpy(np.load(...))`.
 *
 * @throws {NpyError} when the shape is not non-negative integers or does not match `data.length`
 */
export function encodeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new NpyError(`shape must be non-negative integers, found [${shape.join(', ')}]`);
  const count = shape.reduce((a, d) => a * d, 1);
  if (count !== data.length) throw new NpyError(`shape [${shape.join(', ')}] holds ${count} values but the data has ${data.length}`);

  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  const major = 10 + header.length + 1 < 65536 ? 1 : 2;
  const preamble = major === 1 ? 10 : 12;
  header = header.padEnd(Math.ceil((preamble + header.length + 1) / ALIGN) * ALIGN - preamble - 1, ' ') + '\n';

  const out = new Uint8Array(preamble + header.length + data.byteLength);
  const view = new DataView(out.buffer);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[preamble + i] = header.charCodeAt(i);
  const dataStart = preamble + header.length;
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), dataStart);
  } else {
    for (let i = 0; i < data.length; i++) view.setFloat32(dataStart + 4 * i, data[i], true);
  }
  return out;
}

// ---- the header: a small Python literal parser (strings, ints, booleans, None, tuples, lists)

type Literal = string | number | boolean | null | Tuple | Literal[];
interface Tuple {
  readonly items: Literal[];
}
const isTuple = (v: unknown): v is Tuple => typeof v === 'object' && v !== null && !Array.isArray(v) && 'items' in v;

function literal(v: Literal | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  return v.items.length === 1 ? `(${literal(v.items[0])},)` : `(${v.items.map(literal).join(', ')})`;
}

/** Names a NumPy dtype description for an error message: `'<f8' (float64)`. */
function describeDtype(descr: Literal | undefined): string {
  if (typeof descr !== 'string') return `a ${Array.isArray(descr) ? 'structured ' : ''}dtype ${literal(descr)}`;
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  if (!m) return `'${descr}'`;
  const [, order, kind, size] = m;
  const bits = Number(size) * 8;
  const names: Record<string, string> = { f: `float${bits}`, i: `int${bits}`, u: `uint${bits}`, c: `complex${bits}`, b: 'bool' };
  const name = names[kind] ?? kind;
  return `'${descr}' (${order === '>' ? `big-endian ${name}` : name})`;
}

/** Parses the header dict strictly: exactly `descr`, `fortran_order` and `shape`. */
function parseHeader(header: string, fail: (message: string) => never): Map<string, Literal> {
  let pos = 0;
  const snippet = header.trimEnd().length > 80 ? header.slice(0, 77) + '...' : header.trimEnd();
  const corrupt = (what: string): never => fail(`corrupt header: ${what} at character ${pos} of ${JSON.stringify(snippet)}`);
  const skipSpace = () => {
    while (pos < header.length && ' \t\r\n'.includes(header[pos])) pos++;
  };
  const expect = (c: string) => {
    skipSpace();
    if (header[pos] !== c) corrupt(`expected '${c}'`);
    pos++;
  };

  const value = (depth = 0): Literal => {
    if (depth > 32) corrupt('nesting too deep');
    skipSpace();
    const c = header[pos];
    if (c === "'" || c === '"') {
      const end = header.indexOf(c, pos + 1);
      if (end < 0) corrupt('unterminated string');
      const s = header.slice(pos + 1, end);
      if (s.includes('\\')) corrupt('escape in string');
      pos = end + 1;
      return s;
    }
    if (c === '(' || c === '[') {
      pos++;
      const close = c === '(' ? ')' : ']';
      const items: Literal[] = [];
      let comma = false;
      for (;;) {
        skipSpace();
        if (pos >= header.length) corrupt(`expected '${close}'`);
        if (header[pos] === close) break;
        items.push(value(depth + 1));
        skipSpace();
        comma = header[pos] === ',';
        if (comma) pos++;
        else if (header[pos] !== close) corrupt(`expected ',' or '${close}'`);
      }
      pos++;
      // `(5)` is the int 5 in Python; only `(5,)` is a one-element tuple.
      if (close === ')' && items.length === 1 && !comma) return items[0];
      return close === ')' ? { items } : items;
    }
    // Python 2 wrote longs as `3L`.
    const m = /^(-?\d+)L?|^(True|False|None)\b/.exec(header.slice(pos));
    if (!m) return corrupt('expected a value');
    pos += m[0].length;
    if (m[1] !== undefined) return Number(m[1]);
    return m[2] === 'None' ? null : m[2] === 'True';
  };

  const dict = new Map<string, Literal>();
  expect('{');
  for (;;) {
    skipSpace();
    if (pos >= header.length) corrupt("the dict is not closed: expected '}'");
    if (header[pos] === '}') break;
    const key = value();
    if (typeof key !== 'string') corrupt('expected a string key');
    if (dict.has(key as string)) corrupt(`duplicate key '${key}'`);
    expect(':');
    dict.set(key as string, value());
    skipSpace();
    if (header[pos] === ',') pos++;
    else if (header[pos] !== '}') corrupt("expected ',' or '}'");
  }
  pos++;
  skipSpace();
  if (pos !== header.length) corrupt('unexpected text after the dict');
  const keys = [...dict.keys()].sort().join(', ');
  if (keys !== 'descr, fortran_order, shape') fail(`corrupt header: keys must be descr, fortran_order, shape; found ${keys || 'none'}`);
  return dict;
}
