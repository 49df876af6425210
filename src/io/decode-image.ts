/**
 * PNG and JPEG files to RGBA pixels in Node, with pngjs and jpeg-js (pure JavaScript; in
 * browsers an `<img>` or `createImageBitmap` and a canvas give `ImageData` instead). The
 * format is found by its magic bytes and the size read from the header and checked before
 * anything is decoded.
 */
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ImageError } from '../graph/errors.js';
import { MAX_IMAGE_PIXELS, checkImage, type RgbaImage } from './image.js';

const isPng = (b: Uint8Array) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** Decodes PNG or JPEG bytes to RGBA; {@link ImageError} for anything else or a corrupt file. */
export function decodeImage(bytes: Uint8Array, source = 'image'): RgbaImage {
  let img: RgbaImage;
  if (isPng(bytes)) {
    if (bytes.length < 24) throw new ImageError(`${source}: a PNG file truncated in its header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const width = view.getUint32(16, false);
    const height = view.getUint32(20, false);
    if (width * height > MAX_IMAGE_PIXELS) throw new ImageError(`${source}: ${width} x ${height} pixels is more than the ${MAX_IMAGE_PIXELS} accepted`);
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      img = { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw new ImageError(`${source}: a corrupt PNG file (${(e as Error).message})`);
    }
  } else if (isJpeg(bytes)) {
    try {
      const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
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
