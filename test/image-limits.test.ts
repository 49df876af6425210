// Issue 11, defect 4: image headers checked side by side and held to a decode budget before
// pngjs / jpeg-js allocate anything. The hostile files are built here, byte by byte.
import { crc32, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ImageError } from '../src/graph/errors.js';
import {
  JPEG_MIN_BITS_PER_BLOCK,
  MAX_IMAGE_DIMENSION,
  MAX_IMAGE_PIXELS,
  PNG_MAX_DEFLATE_RATIO,
  decodeImage,
  inspectJpeg,
  inspectPng,
  pngRawBytes,
} from '../src/io/decode-image.js';
import { checkImage } from '../src/io/image.js';

const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

function chunk(type: string, data: Uint8Array | number[], badCrc = false): Uint8Array {
  const body = Uint8Array.from([...ascii(type), ...data]);
  return Uint8Array.from([...u32(data.length), ...body, ...u32(badCrc ? 0 : crc32(body))]);
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ihdr = (w: number, h: number, depth = 8, colour = 6, interlace = 0) => chunk('IHDR', [...u32(w), ...u32(h), depth, colour, 0, 0, interlace]);

function png(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(8 + parts.reduce((s, p) => s + p.length, 0));
  out.set(SIGNATURE);
  let at = 8;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A PNG made of a header and a zlib stream of `raw` bytes (filter 0 rows). */
const pngOf = (w: number, h: number, depth: number, colour: number, interlace: number, raw: Uint8Array) =>
  png([ihdr(w, h, depth, colour, interlace), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', [])]);

/** Runs f, which must throw an ImageError matching `message`, and checks no large buffer was allocated. */
function refuses(f: () => unknown, message: RegExp): ImageError {
  const before = process.memoryUsage().arrayBuffers;
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  const grown = process.memoryUsage().arrayBuffers - before;
  expect(error).toBeInstanceOf(ImageError);
  expect((error as Error).message).toMatch(message);
  expect(grown).toBeLessThan(100 * 2 ** 20);
  return error as ImageError;
}

function solidPng(w: number, h: number, rgba: readonly number[]): Buffer {
  const p = new PNG({ width: w, height: h });
  p.data.set(rgba);
  new Uint32Array(p.data.buffer, p.data.byteOffset, w * h).fill(new Uint32Array(p.data.buffer, p.data.byteOffset, 1)[0]);
  return PNG.sync.write(p);
}

function jpegOf(w: number, h: number, pixel: (x: number, y: number) => readonly number[], quality = 90): Buffer {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(pixel(x, y), (y * w + x) * 4);
  return jpeg.encode({ data, width: w, height: h }, quality).data;
}

/** The offset of a JPEG's SOF0 segment (its 0xff). */
function sofAt(b: Uint8Array): number {
  for (let i = 2; i < b.length - 1; i++) if (b[i] === 0xff && b[i + 1] === 0xc0) return i;
  throw new Error('no SOF0');
}

describe('image limits: the header, side by side', () => {
  it('the 67-byte PNG claiming 0 x 4294967295 is refused before pngjs sees it (valid CRCs or not)', () => {
    for (const badCrc of [false, true]) {
      const idat = chunk('IDAT', [0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1, 0], badCrc);
      const file = png([chunk('IHDR', [...u32(0), ...u32(4294967295), 8, 0, 0, 0, 0], badCrc), idat, chunk('IEND', [])]);
      expect(file.length).toBe(67);
      refuses(() => decodeImage(file, 'zero.png'), /^zero\.png: an image needs a positive integer width and height, found 0 x 4294967295$/);
    }
    refuses(() => decodeImage(png([ihdr(4294967295, 0), chunk('IEND', [])]), 'z2.png'), /found 4294967295 x 0/);
  });

  it('each side is checked, not only the product', () => {
    expect(MAX_IMAGE_DIMENSION).toBe(16384);
    expect(MAX_IMAGE_PIXELS).toBe(8192 * 8192);
    const tall = png([ihdr(1, 100000, 8, 0), chunk('IDAT', deflateSync(new Uint8Array(200000))), chunk('IEND', [])]);
    refuses(() => decodeImage(tall, 'tall.png'), /^tall\.png: 1 x 100000 pixels is more than the 16384 accepted on a side$/);
    refuses(() => decodeImage(png([ihdr(16385, 1), chunk('IEND', [])]), 'wide.png'), /16385 x 1 pixels is more than the 16384 accepted on a side/);
    // 2^32 - 1 on each side: a product no 32-bit arithmetic could hold.
    refuses(() => decodeImage(png([ihdr(4294967295, 4294967295), chunk('IEND', [])]), 'max.png'), /4294967295 x 4294967295 pixels is more than the 16384 accepted on a side/);
    // Within each side, over the product.
    refuses(() => decodeImage(png([ihdr(16384, 8193), chunk('IEND', [])]), 'big.png'), /16384 x 8193 pixels is more than the 67108864 accepted$/);
    // The same rule for pixels handed in directly.
    expect(() => checkImage({ width: 20000, height: 1, data: new Uint8Array(80000) })).toThrow(/accepted on a side/);
  });

  it('a malformed IHDR, a bad bit depth, colour type or interlace method', () => {
    const notFirst = png([chunk('tEXt', ascii('a\0b')), ihdr(4, 4), chunk('IEND', [])]);
    refuses(() => decodeImage(notFirst, 'a.png'), /a corrupt PNG file \(the first chunk is 'tEXt', not 'IHDR'\)/);
    const long = png([chunk('IHDR', [...u32(4), ...u32(4), 8, 6, 0, 0, 0, 0]), chunk('IEND', [])]);
    refuses(() => decodeImage(long, 'b.png'), /the IHDR chunk is 14 bytes long, not 13/);
    refuses(() => decodeImage(png([ihdr(4, 4, 16, 3)]), 'c.png'), /bit depth 16 for palette, not one of 1, 2, 4, 8/);
    refuses(() => decodeImage(png([ihdr(4, 4, 8, 5)]), 'd.png'), /colour type 5, not one of 0, 2, 3, 4, 6/);
    refuses(() => decodeImage(png([ihdr(4, 4, 8, 6, 2)]), 'e.png'), /interlace method 2, not 0 or 1/);
    refuses(() => decodeImage(Uint8Array.from([...SIGNATURE, 0, 0, 0, 13, ...ascii('IHDR'), 0, 0]), 'f.png'), /truncated in its header: 18 bytes/);
    const crlf = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0a, 0x1a, 0x0a, 0, 0, 0]);
    refuses(() => decodeImage(crlf, 'g.png'), /a corrupt PNG file \(a bad signature/);
  });
});

describe('image limits: the PNG chunks and the decode budget', () => {
  const small = solidPng(5, 3, [10, 20, 30, 255]);

  it('truncated chunks and chunk lengths past the end of the file', () => {
    // Cut inside the chunk after IHDR: fewer than 12 bytes left.
    refuses(() => decodeImage(small.subarray(0, 33 + 7), 'cut.png'), /^cut\.png: a corrupt PNG file \(truncated: 7 bytes left at byte 33, less than a chunk's 12\)$/);
    // Cut inside the IDAT's data.
    refuses(() => decodeImage(small.subarray(0, small.length - 20), 'cut2.png'), /a corrupt PNG file \(chunk 'IDAT' at byte 33 claims \d+ bytes, past the end of the \d+-byte file\)/);
    // An IDAT length pointing far past the end (or past 2^31 - 1).
    const far = Uint8Array.from(small);
    far.set(u32(0x00100000), 33);
    refuses(() => decodeImage(far, 'far.png'), /chunk 'IDAT' at byte 33 claims 1048576 bytes, past the end of the \d+-byte file/);
    far.set(u32(0xfffffff0), 33);
    refuses(() => decodeImage(far, 'far2.png'), /claims 4294967280 bytes, more than the 2\^31 - 1 a chunk may hold/);
    // No IEND, no IDAT.
    refuses(() => decodeImage(small.subarray(0, small.length - 12), 'noend.png'), /truncated: no IEND chunk/);
    refuses(() => decodeImage(png([ihdr(5, 3), chunk('IEND', [])]), 'nodata.png'), /no IDAT chunk/);
  });

  it('a 1 KB 16-bit PNG claiming 8192 x 8192 is refused by the budget', () => {
    // A real zlib stream (a megabyte of zero scanlines) in a file whose header claims 128 MiB of them.
    const file = png([ihdr(8192, 8192, 16, 0), chunk('IDAT', deflateSync(new Uint8Array(1 << 20), { level: 9 })), chunk('IEND', [])]);
    expect(file.length).toBeGreaterThan(900);
    expect(file.length).toBeLessThan(1200);
    refuses(
      () => decodeImage(file, 'bomb.png'),
      /^bomb\.png: a corrupt PNG file \(a 8192 x 8192 16-bit grey image is 134225920 bytes of scanlines, but \d+ bytes of compressed data inflate to at most \d+ \(deflate expands at most 1032:1\): truncated or forged\)$/,
    );
    // The same for RGBA, interlaced.
    const interlaced = png([ihdr(8192, 8192, 16, 6, 1), chunk('IDAT', deflateSync(new Uint8Array(1 << 20), { level: 9 })), chunk('IEND', [])]);
    refuses(() => decodeImage(interlaced, 'bomb2.png'), /8192 x 8192 16-bit RGBA interlaced image is \d+ bytes of scanlines/);
  });

  it('an interlaced PNG with far more compressed data than its image can use', () => {
    // pngjs inflates interlaced images without an output cap: 300 KB of zlib (up to 300 MB inflated) for 16 x 16.
    const file = png([ihdr(16, 16, 8, 6, 1), chunk('IDAT', new Uint8Array(300_000)), chunk('IEND', [])]);
    refuses(() => decodeImage(file, 'fat.png'), /300000 bytes of compressed data for a 16 x 16 8-bit RGBA interlaced image of \d+ bytes of scanlines, more than the \d+ it can use/);
  });

  it('the raw size: rows x (filter byte + packed pixels), summed over the Adam7 passes', () => {
    expect(pngRawBytes(5, 3, 32, false)).toEqual({ bytes: 3 * 21, rows: 3 });
    expect(pngRawBytes(8192, 8192, 1, false).bytes).toBe(8192 * 1025);
    // 1 x 1: only the first pass. 8 x 8 RGBA: passes of 1x1, 1x1, 2x1, 2x2, 4x2, 4x4, 8x4.
    expect(pngRawBytes(1, 1, 32, true)).toEqual({ bytes: 5, rows: 1 });
    expect(pngRawBytes(8, 8, 32, true).bytes).toBe(5 + 5 + 9 + 2 * 9 + 2 * 17 + 4 * 17 + 4 * 33);
    expect(pngRawBytes(8, 8, 32, true).bytes).toBeGreaterThan(pngRawBytes(8, 8, 32, false).bytes);
  });

  it('the key false positive: a 4096 x 4096 solid-colour PNG from pngjs decodes', () => {
    const file = solidPng(4096, 4096, [200, 100, 50, 255]);
    const head = inspectPng(file, 'solid.png');
    expect(head.rawBytes).toBe(4096 * (1 + 4096 * 4));
    // The margin: how far below deflate's ceiling this file's ratio is.
    const ratio = head.rawBytes / head.idatBytes;
    console.log(`solid 4096 x 4096 RGBA from pngjs: ${file.length} bytes, ${head.idatBytes} of IDAT, ratio ${ratio.toFixed(1)}:1`);
    expect(ratio).toBeLessThan(PNG_MAX_DEFLATE_RATIO);
    const img = decodeImage(file, 'solid.png');
    expect([img.width, img.height]).toEqual([4096, 4096]);
    expect([...img.data.subarray(img.data.length - 4)]).toEqual([200, 100, 50, 255]);
  });

  it('zlib at its best (level 9, all zeros) is within the budget at the largest sizes', () => {
    // Checked without decoding (the budget is all that differs): 8192 x 8192 grey, 1-bit and 8-bit,
    // and 16384 x 4096 grey interlaced.
    for (const [w, h, depth, interlace] of [[8192, 8192, 1, 0], [8192, 8192, 8, 0], [16384, 4096, 8, 1]]) {
      const raw = pngRawBytes(w, h, depth, interlace === 1).bytes;
      const file = pngOf(w, h, depth, 0, interlace, new Uint8Array(raw));
      const head = inspectPng(file, 'zeros.png');
      expect(head.rawBytes).toBe(raw);
      expect(raw / head.idatBytes).toBeLessThan(PNG_MAX_DEFLATE_RATIO);
    }
  });

  it('an interlaced PNG of zeros and a small PNG round trip decode', () => {
    const raw = new Uint8Array(pngRawBytes(300, 200, 32, true).bytes);
    const img = decodeImage(pngOf(300, 200, 8, 6, 1, raw), 'adam7.png');
    expect([img.width, img.height, img.data.length]).toEqual([300, 200, 300 * 200 * 4]);
    const p = new PNG({ width: 37, height: 23 });
    for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 7919) % 251;
    const back = decodeImage(PNG.sync.write(p), 'small.png');
    expect([back.width, back.height]).toEqual([37, 23]);
    expect(Buffer.from(back.data)).toEqual(p.data);
  });
});

describe('image limits: JPEG', () => {
  it('a 777-byte JPEG whose frame header claims 8192 x 8192 is refused by the budget', () => {
    const file = Uint8Array.from(jpegOf(8, 8, () => [90, 90, 90, 255]));
    const sof = sofAt(file);
    file.set([0x20, 0x00, 0x20, 0x00], sof + 5); // height, width
    expect(file.length).toBeLessThan(1000);
    refuses(
      () => decodeImage(file, 'bomb.jpg'),
      new RegExp(
        `^bomb\\.jpg: a corrupt JPEG file \\(a 8192 x 8192 image has 1048576 8x8 blocks in a component, which take at least 131072 bytes ` +
          `\\(${JPEG_MIN_BITS_PER_BLOCK} bit a block\\), but the file is ${file.length} bytes: truncated or forged\\)$`,
      ),
    );
  });

  it('over-limit and zero sizes, and malformed or unsupported markers', () => {
    const base = jpegOf(8, 8, () => [90, 90, 90, 255]);
    const sof = sofAt(base);
    const patched = (at: number, bytes: number[]) => {
      const b = Uint8Array.from(base);
      b.set(bytes, at);
      return b;
    };
    refuses(() => decodeImage(patched(sof + 5, [0xff, 0xff, 0, 1]), 'tall.jpg'), /^tall\.jpg: 1 x 65535 pixels is more than the 16384 accepted on a side$/);
    refuses(() => decodeImage(patched(sof + 5, [0, 8, 0, 0]), 'zero.jpg'), /found 0 x 8/);
    refuses(() => decodeImage(patched(sof + 5, [0, 0, 0, 8]), 'dnl.jpg'), /height is left to a DNL marker/);
    refuses(() => decodeImage(patched(sof + 1, [0xcb]), 'arith.jpg'), /unsupported JPEG coding \(frame marker 0xffcb/);
    refuses(() => decodeImage(patched(sof + 9, [5]), 'five.jpg'), /a frame header of 17 bytes for 5 components/);
    refuses(() => decodeImage(patched(sof + 11, [0x51]), 'samp.jpg'), /sampling factors 5 x 1, not 1 to 4/);
    // The first segment's length pointing past the end, and a file cut before its frame header.
    refuses(() => decodeImage(patched(4, [0x7f, 0xff]), 'len.jpg'), /marker 0xffe0 at byte 2 claims 32767 bytes, past the end of the \d+-byte file/);
    refuses(() => decodeImage(patched(4, [0, 1]), 'len1.jpg'), /claims a length of 1, less than 2/);
    refuses(() => decodeImage(base.subarray(0, sof + 6), 'cut.jpg'), /marker 0xffc0 at byte \d+ claims 17 bytes, past the end/);
    refuses(() => decodeImage(base.subarray(0, sof + 1), 'cut2.jpg'), /truncated: marker 0xffc0 at byte \d+ has no length|no frame header/);
    refuses(() => decodeImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0, 2]), 'sos.jpg'), /marker 0xffda at byte 2 before any frame header/);
    refuses(() => decodeImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]), 'empty.jpg'), /marker 0xffd9 at byte 2 before any frame header/);
  });

  it('the frame header of a progressive 4:2:0 JPEG: blocks of its largest component, jpeg-js\'s memory need', () => {
    const small = Uint8Array.from(jpegOf(16, 16, () => [0, 0, 0, 255]));
    const sof = sofAt(small);
    small.set([0xc2], sof + 1); // progressive
    small.set([0x0c, 0x00, 0x0a, 0x00], sof + 5); // height 3072, width 2560
    small.set([0x22], sof + 11); // luma sampled 2 x 2, chroma 1 x 1
    // The floor is for the largest component, luma's 320 x 384 blocks: 15360 bytes.
    refuses(() => decodeImage(small, 'p.jpg'), /a 2560 x 3072 image has 122880 8x8 blocks in a component, which take at least 15360 bytes/);
    const file = new Uint8Array(15360);
    file.set(small);
    const head = inspectJpeg(file, 'p.jpg');
    expect(head.sof).toBe(0xc2);
    expect(head.components.map((c) => `${c.h}x${c.v}`)).toEqual(['2x2', '1x1', '1x1']);
    expect(head.blocks).toBe(320 * 384);
    // As jpeg-js counts: coefficient blocks (luma 320 x 384, each chroma 160 x 192; 256 bytes
    // each), sample lines (as many bytes as blocks x 64), the 3 component planes, the RGBA
    // output, and a table allowance.
    const pixels = 2560 * 3072;
    expect(head.decodeBytes).toBe(1.5 * 122880 * 256 + 1.5 * 122880 * 64 + pixels * 7 + 4 * file.length + 2 ** 20);
  });

  it('a flat 2048 x 2048 JPEG from jpeg-js decodes, and a small one round-trips', () => {
    const flat = jpegOf(2048, 2048, () => [30, 160, 220, 255], 75);
    const head = inspectJpeg(flat, 'flat.jpg');
    expect(head.blocks).toBe(256 * 256);
    console.log(`flat 2048 x 2048 JPEG from jpeg-js: ${flat.length} bytes against a floor of ${Math.ceil(head.blocks / 8)}`);
    const img = decodeImage(flat, 'flat.jpg');
    expect([img.width, img.height]).toEqual([2048, 2048]);
    const mid = (1024 * 2048 + 1024) * 4;
    for (const [c, want] of [30, 160, 220, 255].entries()) expect(Math.abs(img.data[mid + c] - want)).toBeLessThanOrEqual(3);

    const grad = jpegOf(40, 30, (x, y) => [x * 6, y * 8, 128, 255], 95);
    const back = decodeImage(grad, 'grad.jpg');
    expect([back.width, back.height]).toEqual([40, 30]);
    let worst = 0;
    for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) {
      const at = (y * 40 + x) * 4;
      worst = Math.max(worst, Math.abs(back.data[at] - x * 6), Math.abs(back.data[at + 1] - y * 8), Math.abs(back.data[at + 2] - 128));
    }
    expect(worst).toBeLessThan(12);
  });
});
