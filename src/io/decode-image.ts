/**
 * PNG and JPEG files to RGBA pixels in Node, with pngjs and jpeg-js (pure JavaScript; in
 * browsers an `<img>` or `createImageBitmap` and a canvas give `ImageData` instead). The
 * format is found by its magic bytes; the header is parsed and checked, and the file held to
 * a decode budget, before anything is decoded.
 *
 * ## Limits and decode budget
 *
 * - Size: width and height are positive, each at most {@link MAX_IMAGE_DIMENSION} (16384),
 *   and width x height at most {@link MAX_IMAGE_PIXELS} (8192 x 8192), from the header.
 * - Budget: the decoders allocate from what the header claims, so a file is refused when it
 *   is too small to hold the image its header claims, i.e. when no valid file of that size
 *   could decode to that image:
 *   - PNG: the IDAT chunks hold a zlib stream whose inflated size is exactly the filtered
 *     scanlines, height x (1 + ceil(width x channels x bit depth / 8)) bytes (summed over
 *     the 7 passes when Adam7-interlaced). Deflate cannot expand more than 1032:1 (a 258-byte
 *     match coded in 2 bits; zlib's technical details: "the limit is 1032:1"), so a file
 *     whose IDAT bytes x {@link PNG_MAX_DEFLATE_RATIO} (+ 4 KiB) fall short of that is
 *     refused. An interlaced PNG (which pngjs inflates without an output cap) is also
 *     refused when its IDAT is more than twice the scanlines + 8 bytes a row + 64 KiB, so
 *     it cannot inflate to much more than its image.
 *   - JPEG: each component of a frame is coded in some scan, and each 8x8 block costs at
 *     least one bit (its DC Huffman code; Huffman codes are 1 to 16 bits, and only Huffman
 *     coding, SOF0/1/2, is decoded). A file smaller than (blocks of its largest component) /
 *     8 bytes, {@link JPEG_MIN_BITS_PER_BLOCK} bit a block, is refused: with the whole file
 *     counted, not only its scan data, and baseline needing two bits (DC + end of block),
 *     this has a wide margin. jpeg-js is also given `maxResolutionInMP` from
 *     {@link MAX_IMAGE_PIXELS} and a `maxMemoryUsageInMB` of what this frame needs, so a
 *     second frame header cannot allocate more.
 *
 * Valid files are inside these bounds by construction, and in practice by a margin: a
 * solid-colour 4096 x 4096 RGBA PNG written by pngjs has 72 KB of IDAT (933:1) against a
 * floor of 65 KB; zlib's best (level 9 on zeros) reaches about 1029:1, still inside; a flat
 * 2048 x 2048 JPEG from jpeg-js is 115 KB against a floor of 8 KB. Every refusal is an
 * {@link ImageError} naming the file, the figure and the limit, before any large allocation.
 */
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ImageError } from '../graph/errors.js';
import { MAX_IMAGE_DIMENSION, MAX_IMAGE_PIXELS, checkImage, checkImageSize, type RgbaImage } from './image.js';

export { MAX_IMAGE_DIMENSION, MAX_IMAGE_PIXELS };

/** Deflate's largest expansion: 258 bytes from a 2-bit length/distance pair, 1032:1. */
export const PNG_MAX_DEFLATE_RATIO = 1032;
/** Bytes allowed above {@link PNG_MAX_DEFLATE_RATIO} x the IDAT size (zlib header, first literals). */
const PNG_DEFLATE_SLACK = 4096;
/** The fewest bits a Huffman-coded JPEG spends on one 8x8 block of a component. */
export const JPEG_MIN_BITS_PER_BLOCK = 1;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const isPng = (b: Uint8Array) => b.length >= 4 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** PNG colour type -> [name, channels, allowed bit depths]. */
const PNG_COLOUR: Record<number, readonly [string, number, readonly number[]]> = {
  0: ['grey', 1, [1, 2, 4, 8, 16]],
  2: ['RGB', 3, [8, 16]],
  3: ['palette', 1, [1, 2, 4, 8]],
  4: ['grey + alpha', 2, [8, 16]],
  6: ['RGBA', 4, [8, 16]],
};
/** Adam7 passes: [x0, y0, dx, dy]. */
const ADAM7: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
];

/** What a PNG's header and chunk layout say, checked against the limits and the budget. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colourType: number;
  readonly interlaced: boolean;
  /** Bytes in all IDAT chunks. */
  readonly idatBytes: number;
  /** Bytes of filtered scanlines the header implies (what the IDAT stream must inflate to). */
  readonly rawBytes: number;
}

/** The filtered scanline bytes of a PNG: rows x (filter byte + packed pixels), per Adam7 pass. */
export function pngRawBytes(width: number, height: number, bitsPerPixel: number, interlaced: boolean): { bytes: number; rows: number } {
  const row = (w: number) => 1 + Math.ceil((w * bitsPerPixel) / 8);
  if (!interlaced) return { bytes: height * row(width), rows: height };
  let bytes = 0;
  let rows = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = width > x0 ? Math.ceil((width - x0) / dx) : 0;
    const h = height > y0 ? Math.ceil((height - y0) / dy) : 0;
    if (w > 0 && h > 0) {
      bytes += h * row(w);
      rows += h;
    }
  }
  return { bytes, rows };
}

const chunkName = (b: Uint8Array, at: number) => {
  const t = b.subarray(at, at + 4);
  return [...t].every((c) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))
    ? `'${String.fromCharCode(...t)}'`
    : `0x${[...t].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
};

/**
 * Parses a PNG's IHDR and walks its chunks (each length checked against the file) without
 * decoding; {@link ImageError} when the header is malformed, the size is outside the limits
 * or the file is too small for the image it claims (see the module comment).
 */
export function inspectPng(bytes: Uint8Array, source = 'image'): PngHeader {
  const corrupt = (detail: string) => new ImageError(`${source}: a corrupt PNG file (${detail})`);
  const n = bytes.length;
  if (n < 8 || PNG_SIGNATURE.some((c, i) => bytes[i] !== c)) throw corrupt('a bad signature: not PNG, or line endings converted in transfer');
  if (n < 33) throw corrupt(`truncated in its header: ${n} bytes, an IHDR chunk ends at byte 33`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (chunkName(bytes, 12) !== "'IHDR'") throw corrupt(`the first chunk is ${chunkName(bytes, 12)}, not 'IHDR'`);
  if (view.getUint32(8) !== 13) throw corrupt(`the IHDR chunk is ${view.getUint32(8)} bytes long, not 13`);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  checkImageSize(width, height, source);
  const bitDepth = bytes[24];
  const colourType = bytes[25];
  const interlace = bytes[28];
  const colour = PNG_COLOUR[colourType];
  if (!colour) throw corrupt(`colour type ${colourType}, not one of 0, 2, 3, 4, 6`);
  const [colourName, channels, depths] = colour;
  if (!depths.includes(bitDepth)) throw corrupt(`bit depth ${bitDepth} for ${colourName}, not one of ${depths.join(', ')}`);
  if (bytes[26] !== 0 || bytes[27] !== 0) throw corrupt(`compression method ${bytes[26]} / filter method ${bytes[27]}, not 0 / 0`);
  if (interlace > 1) throw corrupt(`interlace method ${interlace}, not 0 or 1`);

  // Walk the chunks: each takes 12 bytes or more, so at most n / 12 steps.
  let at = 8;
  let idatBytes = 0;
  let idatChunks = 0;
  let ended = false;
  while (at < n) {
    if (n - at < 12) throw corrupt(`truncated: ${n - at} bytes left at byte ${at}, less than a chunk's 12`);
    const length = view.getUint32(at);
    const name = chunkName(bytes, at + 4);
    if (length > 0x7fffffff) throw corrupt(`chunk ${name} at byte ${at} claims ${length} bytes, more than the 2^31 - 1 a chunk may hold`);
    if (length > n - at - 12) throw corrupt(`chunk ${name} at byte ${at} claims ${length} bytes, past the end of the ${n}-byte file`);
    if (name === "'IDAT'") {
      idatBytes += length;
      idatChunks++;
    }
    at += 12 + length;
    if (name === "'IEND'") {
      ended = true;
      break;
    }
  }
  if (idatChunks === 0) throw corrupt('no IDAT chunk: no image data');
  if (!ended) throw corrupt(`truncated: no IEND chunk in ${n} bytes`);

  const interlaced = interlace === 1;
  const raw = pngRawBytes(width, height, channels * bitDepth, interlaced);
  const inflatable = PNG_MAX_DEFLATE_RATIO * idatBytes + PNG_DEFLATE_SLACK;
  const what = `${width} x ${height} ${bitDepth}-bit ${colourName}${interlaced ? ' interlaced' : ''}`;
  if (raw.bytes > inflatable) {
    throw corrupt(
      `a ${what} image is ${raw.bytes} bytes of scanlines, but ${idatBytes} bytes of compressed data inflate to at most ` +
        `${inflatable} (deflate expands at most ${PNG_MAX_DEFLATE_RATIO}:1): truncated or forged`,
    );
  }
  if (interlaced) {
    const most = 2 * raw.bytes + 8 * raw.rows + 65536;
    if (idatBytes > most) throw corrupt(`${idatBytes} bytes of compressed data for a ${what} image of ${raw.bytes} bytes of scanlines, more than the ${most} it can use`);
  }
  return { width, height, bitDepth, colourType, interlaced, idatBytes, rawBytes: raw.bytes };
}

/** What a JPEG's frame header says, checked against the limits and the budget. */
export interface JpegHeader {
  readonly width: number;
  readonly height: number;
  /** The SOF marker: 0xc0 baseline, 0xc1 extended, 0xc2 progressive. */
  readonly sof: number;
  readonly components: readonly { readonly id: number; readonly h: number; readonly v: number }[];
  /** 8x8 blocks of the component with the most. */
  readonly blocks: number;
  /** Bytes jpeg-js will ask for to decode this frame (its own accounting). */
  readonly decodeBytes: number;
}

/**
 * Walks a JPEG's markers up to its frame header (SOF0, SOF1 or SOF2; each segment length
 * checked against the file) without decoding; {@link ImageError} when the markers are
 * malformed, the coding unsupported, the size outside the limits or the file too small for
 * the image it claims (see the module comment).
 */
export function inspectJpeg(bytes: Uint8Array, source = 'image'): JpegHeader {
  const corrupt = (detail: string) => new ImageError(`${source}: a corrupt JPEG file (${detail})`);
  const n = bytes.length;
  const hex = (m: number) => `0xff${m.toString(16).padStart(2, '0')}`;
  let at = 2;
  // Each step moves on by one byte at least, so at most n steps.
  while (at < n) {
    if (bytes[at] !== 0xff) {
      at++; // stray bytes between segments: skipped, as libjpeg does
      continue;
    }
    while (at < n && bytes[at] === 0xff) at++; // fill bytes
    if (at >= n) break;
    const marker = bytes[at];
    const start = at - 1;
    at++;
    if (marker === 0x00 || marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) throw corrupt(`marker ${hex(marker)} at byte ${start} before any frame header (SOF)`);
    if (n - at < 2) throw corrupt(`truncated: marker ${hex(marker)} at byte ${start} has no length`);
    const length = (bytes[at] << 8) | bytes[at + 1];
    if (length < 2) throw corrupt(`marker ${hex(marker)} at byte ${start} claims a length of ${length}, less than 2`);
    if (length > n - at) throw corrupt(`marker ${hex(marker)} at byte ${start} claims ${length} bytes, past the end of the ${n}-byte file`);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (!isSof) {
      at += length;
      continue;
    }
    if (marker > 0xc2) {
      throw new ImageError(
        `${source}: an unsupported JPEG coding (frame marker ${hex(marker)}: lossless, hierarchical or arithmetic-coded); ` +
          'only baseline, extended and progressive Huffman JPEGs (SOF0, SOF1, SOF2) are decoded',
      );
    }
    const p = at + 2;
    const count = length >= 8 ? bytes[p + 5] : -1;
    if (length < 8 || length !== 8 + 3 * count) throw corrupt(`a frame header of ${length} bytes for ${count < 0 ? 'no' : count} components`);
    const height = (bytes[p + 1] << 8) | bytes[p + 2];
    const width = (bytes[p + 3] << 8) | bytes[p + 4];
    if (height === 0) throw new ImageError(`${source}: a JPEG whose height is left to a DNL marker (0 in its frame header) is not supported`);
    checkImageSize(width, height, source);
    if (count < 1 || count > 4) throw corrupt(`${count} components, not 1 to 4`);
    const components: { id: number; h: number; v: number }[] = [];
    for (let i = 0; i < count; i++) {
      const q = p + 6 + 3 * i;
      const h = bytes[q + 1] >> 4;
      const v = bytes[q + 1] & 15;
      if (h < 1 || h > 4 || v < 1 || v > 4) throw corrupt(`component ${bytes[q]} has sampling factors ${h} x ${v}, not 1 to 4`);
      components.push({ id: bytes[q], h, v });
    }
    const maxH = Math.max(...components.map((c) => c.h));
    const maxV = Math.max(...components.map((c) => c.v));
    // Blocks each component must code (ITU-T T.81 A.1.1: its size is ceil(X * h / maxH) x ceil(Y * v / maxV)).
    const blocks = Math.max(...components.map((c) => Math.ceil(Math.ceil((width * c.h) / maxH) / 8) * Math.ceil(Math.ceil((height * c.v) / maxV) / 8)));
    const least = Math.ceil((blocks * JPEG_MIN_BITS_PER_BLOCK) / 8);
    if (n < least) {
      throw corrupt(
        `a ${width} x ${height} image has ${blocks} 8x8 blocks in a component, which take at least ${least} bytes ` +
          `(${JPEG_MIN_BITS_PER_BLOCK} bit a block), but the file is ${n} bytes: truncated or forged`,
      );
    }
    // What jpeg-js 0.4 asks its memory limit for: coefficient blocks (256 bytes each, padded
    // to whole MCUs), sample lines, the component samples, the RGBA output; plus tables.
    const mcusPerLine = Math.ceil(width / 8 / maxH);
    const mcusPerColumn = Math.ceil(height / 8 / maxV);
    let decodeBytes = width * height * (count + 4) + 4 * n + (1 << 20);
    for (const c of components) {
      decodeBytes += mcusPerLine * c.h * mcusPerColumn * c.v * 256;
      decodeBytes += Math.ceil((Math.ceil(width / 8) * c.h) / maxH) * 8 * Math.ceil((Math.ceil(height / 8) * c.v) / maxV) * 8;
    }
    return { width, height, sof: marker, components, blocks, decodeBytes };
  }
  throw corrupt(`no frame header (SOF) in ${n} bytes`);
}

/** Decodes PNG or JPEG bytes to RGBA; {@link ImageError} for anything else, a corrupt file or one outside the limits. */
export function decodeImage(bytes: Uint8Array, source = 'image'): RgbaImage {
  let img: RgbaImage;
  if (isPng(bytes)) {
    inspectPng(bytes, source);
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      img = { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw new ImageError(`${source}: a corrupt PNG file (${(e as Error).message})`);
    }
  } else if (isJpeg(bytes)) {
    const header = inspectJpeg(bytes, source);
    try {
      const j = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
        maxMemoryUsageInMB: Math.ceil(header.decodeBytes / 2 ** 20),
      });
      img = { width: j.width, height: j.height, data: j.data };
    } catch (e) {
      throw new ImageError(`${source}: a corrupt JPEG file (${(e as Error).message})`);
    }
  } else {
    throw new ImageError(`${source}: not a PNG or JPEG file`);
  }
  checkImage(img, source);
  return img;
}

/** Reads and decodes an image file. */
export function readImageFile(path: string): RgbaImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new ImageError(`image file '${path}' not found or unreadable`);
  }
  return decodeImage(bytes, path);
}
