import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpyError, WebconvError } from '../src/graph/errors.js';
import { encodeNpy, parseNpy } from '../src/io/npy.js';
import { numpyPython, requireOracle } from './helpers/python.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A .npy 1.0 file with the given header text (padded as numpy pads it) and data bytes. */
function npyWithHeader(header: string, data = new Uint8Array(0), version = [1, 0]): Uint8Array {
  const padded = header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 11) + '\n';
  const out = new Uint8Array(10 + padded.length + data.length);
  out.set([0x93, ...ascii('NUMPY'), version[0], version[1]]);
  new DataView(out.buffer).setUint16(8, padded.length, true);
  out.set(ascii(padded), 10);
  out.set(data, 10 + padded.length);
  return out;
}

function expectNpyError(f: () => unknown, message: RegExp) {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(NpyError);
  expect(error).toBeInstanceOf(WebconvError);
  expect((error as NpyError).code).toBe('E_NPY');
  expect((error as Error).message).toMatch(message);
}

describe('encodeNpy / parseNpy round trip', () => {
  const cases: number[][] = [[2, 3, 4, 5], [7], [], [0, 3], [1, 1, 32, 32]];
  for (const shape of cases) {
    it(`shape [${shape.join(', ')}]`, () => {
      const n = shape.reduce((a, d) => a * d, 1);
      const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3);
      const bytes = encodeNpy(shape, data);
      // numpy's layout: the data starts on a 64-byte boundary, right after a '\n'.
      const dataStart = bytes.length - data.byteLength;
      expect(dataStart % 64).toBe(0);
      expect(bytes[dataStart - 1]).toBe(0x0a);
      const back = parseNpy(bytes);
      expect(back.shape).toEqual(shape);
      expect(back.data).toEqual(data);
    });
  }

  it('keeps every float32 bit pattern (NaN, infinities, -0, subnormals)', () => {
    const data = new Float32Array([NaN, Infinity, -Infinity, -0, 1e-45, 3.4028234663852886e38]);
    const back = parseNpy(encodeNpy([6], data)).data;
    expect(new Uint32Array(back.buffer)).toEqual(new Uint32Array(data.buffer));
  });

  it('encodes a subarray view, not its whole buffer', () => {
    const whole = Float32Array.from({ length: 10 }, (_, i) => i);
    expect(parseNpy(encodeNpy([3], whole.subarray(4, 7))).data).toEqual(new Float32Array([4, 5, 6]));
  });

  it('parses from a Uint8Array that is a view at an unaligned offset', () => {
    const bytes = encodeNpy([2, 2], new Float32Array([1, 2, 3, 4]));
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(parseNpy(shifted.subarray(3)).data).toEqual(new Float32Array([1, 2, 3, 4]));
  });

  it('rejects a shape that does not match the data', () => {
    expectNpyError(() => encodeNpy([2, 3], new Float32Array(5)), /shape \[2, 3\] holds 6 values but the data has 5/);
    expectNpyError(() => encodeNpy([-1], new Float32Array(0)), /non-negative integers/);
  });
});

describe('files written and read by NumPy itself', () => {
  const py = numpyPython();
  const has = requireOracle(py !== undefined, 'Python with numpy', 'apt-get install python3-numpy');
  let dir = '';
  const file = (name: string) => readFileSync(join(dir, name));

  beforeAll(() => {
    if (!has) return;
    dir = mkdtempSync(join(tmpdir(), 'webconv-npy-'));
    // Values k / 7 in float32: exact to compare, not all representable in few bits.
    const script = `
import sys, numpy as np
from numpy.lib import format as fmt
d = sys.argv[1]
def vals(*shape, dtype=np.float32):
    return (np.arange(int(np.prod(shape))).reshape(shape) / 7).astype(dtype)
np.save(d + '/f32_4d.npy', vals(2, 3, 4, 5))
np.save(d + '/f32_1d.npy', vals(7))
np.save(d + '/f32_0d.npy', np.float32(2.5))
np.save(d + '/f32_empty.npy', vals(0, 3))
for v in (2, 3):
    with open(d + '/f32_v%d.npy' % v, 'wb') as f:
        fmt.write_array(f, vals(3, 4), version=(v, 0))
np.save(d + '/f64.npy', vals(2, 3, dtype=np.float64))
np.save(d + '/i32.npy', vals(2, 3, dtype=np.int32))
np.save(d + '/u8.npy', vals(2, 3, dtype=np.uint8))
np.save(d + '/f32_big_endian.npy', vals(2, 3).astype('>f4'))
np.save(d + '/f32_fortran.npy', np.asfortranarray(vals(3, 4)))
np.save(d + '/structured.npy', np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))
`;
    const r = spawnSync(py!, ['-c', script, dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`numpy failed to write the fixtures: ${r.stderr}`);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sevenths = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(i / 7));

  it.runIf(has)('reads float32 files of every rank, format versions 1.0, 2.0 and 3.0', () => {
    expect(parseNpy(file('f32_4d.npy'))).toEqual({ shape: [2, 3, 4, 5], data: sevenths(120) });
    expect(parseNpy(file('f32_1d.npy'))).toEqual({ shape: [7], data: sevenths(7) });
    expect(parseNpy(file('f32_0d.npy'))).toEqual({ shape: [], data: new Float32Array([2.5]) });
    expect(parseNpy(file('f32_empty.npy'))).toEqual({ shape: [0, 3], data: new Float32Array(0) });
    for (const v of [2, 3]) {
      const bytes = file(`f32_v${v}.npy`);
      expect(bytes[6]).toBe(v);
      expect(parseNpy(bytes)).toEqual({ shape: [3, 4], data: sevenths(12) });
    }
  });

  it.runIf(has)('numpy.load reads what encodeNpy writes, bit for bit', () => {
    const data = Float32Array.from({ length: 2 * 3 * 5 }, (_, i) => Math.fround(Math.cos(i) * 100));
    const cases: [string, number[], Float32Array][] = [
      ['ours_3d.npy', [2, 3, 5], data],
      ['ours_1d.npy', [30], data],
      ['ours_0d.npy', [], new Float32Array([-1.5])],
    ];
    for (const [name, shape, d] of cases) writeFileSync(join(dir, name), encodeNpy(shape, d));
    const script = `
import sys, json, numpy as np
out = {}
for name in sys.argv[2:]:
    a = np.load(sys.argv[1] + '/' + name)
    out[name] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'c': bool(a.flags.c_contiguous),
                 'bits': a.reshape(-1).view(np.uint32).tolist()}
print(json.dumps(out))
`;
    const r = spawnSync(py!, ['-c', script, dir, ...cases.map((c) => c[0])], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout);
    for (const [name, shape, d] of cases) {
      expect(got[name]).toEqual({ dtype: 'float32', shape, c: true, bits: [...new Uint32Array(d.buffer)] });
    }
  });

  it.runIf(has)('names the dtype it found when it is not little-endian float32', () => {
    expectNpyError(() => parseNpy(file('f64.npy'), 'x.npy'), /^x\.npy: expected float32 \('<f4'\), found '<f8' \(float64\)$/);
    expectNpyError(() => parseNpy(file('i32.npy')), /expected float32 \('<f4'\), found '<i4' \(int32\)/);
    expectNpyError(() => parseNpy(file('u8.npy')), /found '\|u1' \(uint8\)/);
    expectNpyError(() => parseNpy(file('f32_big_endian.npy')), /found '>f4' \(big-endian float32\)/);
    expectNpyError(() => parseNpy(file('structured.npy')), /found a structured dtype \[\('a', '<f4'\), \('b', '<i4'\)\]/);
  });

  it.runIf(has)('rejects Fortran order', () => {
    expectNpyError(() => parseNpy(file('f32_fortran.npy')), /Fortran order/);
  });
});

describe('malformed files', () => {
  const good = encodeNpy([2, 3], new Float32Array([1, 2, 3, 4, 5, 6]));
  const header = (dict: string, data = new Uint8Array(24)) => npyWithHeader(dict, data);

  it('bad magic', () => {
    expectNpyError(() => parseNpy(ascii('\x89PNG\r\n\x1a\n0000000000')), /not a \.npy file: bad magic \(expected '\\x93NUMPY', found '\\x89PNG\\x0d\\x0a'\)/);
    expectNpyError(() => parseNpy(new Uint8Array(0), 'empty.npy'), /^empty\.npy: not a \.npy file: bad magic/);
    expectNpyError(() => parseNpy(ascii('1,2,3\n4,5,6\n')), /bad magic/);
  });

  it('unsupported version', () => {
    const v4 = good.slice();
    v4[6] = 4;
    expectNpyError(() => parseNpy(v4), /unsupported \.npy format version 4\.0/);
  });

  it('truncated header', () => {
    expectNpyError(() => parseNpy(good.subarray(0, 9)), /truncated header: the file ends after 9 bytes/);
    expectNpyError(() => parseNpy(good.subarray(0, 40)), /truncated header: it declares 118 bytes but only 30 follow/);
  });

  it('corrupt header dict', () => {
    expectNpyError(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape' (2, 3), }")), /corrupt header: expected ':' at character 49/);
    expectNpyError(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ")), /corrupt header: the dict is not closed: expected '}' at character 118/);
    expectNpyError(() => parseNpy(header("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3), }")), /corrupt header/);
    expectNpyError(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } junk")), /unexpected text after the dict/);
    expectNpyError(() => parseNpy(header("{'descr': '<f4', 'shape': (2, 3), }")), /keys must be descr, fortran_order, shape; found descr, shape/);
    expectNpyError(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}")), /keys must be/);
    expectNpyError(() => parseNpy(header("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }")), /'fortran_order' must be True or False, found 0/);
    expectNpyError(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }")), /'shape' must be a tuple of non-negative integers, found \(2, -3\)/);
    expectNpyError(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }")), /'shape' must be a tuple/);
    expectNpyError(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': " + '('.repeat(100) + ')'.repeat(100) + '}')), /nesting too deep/);
  });

  it('a one-element shape and Python 2 longs parse as numpy parses them', () => {
    expect(parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }")).shape).toEqual([6]);
    expect(parseNpy(header('{"descr": "<f4", "fortran_order": False, "shape": (2L, 3L)}')).shape).toEqual([2, 3]);
  });

  it('data length not matching the shape, checked before allocating', () => {
    expectNpyError(() => parseNpy(good.subarray(0, good.length - 1)), /data is 23 bytes but shape \(2, 3\) of float32 needs 24 bytes \(truncated file\?\)/);
    const extra = new Uint8Array(good.length + 4);
    extra.set(good);
    expectNpyError(() => parseNpy(extra), /data is 28 bytes but shape \(2, 3\) of float32 needs 24 bytes$/);
    // A lying shape of 4 TB must fail on the size check, not on an allocation.
    expectNpyError(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100), }")), /needs 4000000000000 bytes/);
    expectNpyError(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }")), /is too large/);
  });
});
