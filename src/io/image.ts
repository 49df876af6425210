/**
 * Images into a classifier's input: RGBA pixels (what `ImageData` holds, and what the
 * decoders give) converted to the model's channels, resized, padded and normalised as its
 * metadata says. Browser-safe; decoding files is src/io/decode-image.ts (Node).
 */
import { ImageError, MetadataError } from '../graph/errors.js';
import type { ModelMetadata } from '../models/metadata.js';

/** Row-major RGBA bytes: an `ImageData`, a canvas's pixels, a decoded PNG or JPEG. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array | Uint8ClampedArray;
}

/**
 * The largest image accepted: 8192 x 8192 = 67,108,864 pixels in all (256 MiB of RGBA), and
 * no side longer than {@link MAX_IMAGE_DIMENSION}. Decoded files are held to these limits
 * (and to the decode budget of src/io/decode-image.ts) from their headers, before decoding.
 */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

/**
 * The longest side accepted, 16384 pixels: twice the side of the largest square image, so
 * that a panorama of 16384 x 4096 passes while a header claiming 1 x 100000 does not.
 */
export const MAX_IMAGE_DIMENSION = 16384;

/**
 * Checks a width and height (from an image or a file header) against the limits: positive
 * integers, each side at most {@link MAX_IMAGE_DIMENSION}, their product at most
 * {@link MAX_IMAGE_PIXELS}. Each side is checked before the product, so no product of
 * unchecked 32-bit figures is ever formed.
 */
export function checkImageSize(width: number, height: number, source = 'image'): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageError(`${source}: an image needs a positive integer width and height, found ${width} x ${height}`);
  }
  if (width > MAX_IMAGE_DIMENSION || height > MAX_IMAGE_DIMENSION) {
    throw new ImageError(`${source}: ${width} x ${height} pixels is more than the ${MAX_IMAGE_DIMENSION} accepted on a side`);
  }
  if (width * height > MAX_IMAGE_PIXELS) throw new ImageError(`${source}: ${width} x ${height} pixels is more than the ${MAX_IMAGE_PIXELS} accepted`);
}

/** Checks an image's size and buffer before anything is allocated for it. */
export function checkImage(img: RgbaImage, source = 'image'): void {
  const { width, height, data } = img ?? ({} as RgbaImage);
  checkImageSize(width, height, source);
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray) || data.length !== width * height * 4) {
    throw new ImageError(`${source}: expected ${width * height * 4} RGBA bytes for ${width} x ${height}, found ${data?.length ?? 'none'}`);
  }
}

/**
 * One image as the model's input [1, C, H, W]: alpha composited over black, converted to
 * gray (ITU-R BT.601 luma) or to RGB / BGR, resized bilinearly (pixel centres aligned) to
 * the input size less the metadata's padding, padded with padValue, scaled and normalised.
 */
export function imageToInput(img: RgbaImage, meta: ModelMetadata, source = 'image'): Float32Array {
  checkImage(img, source);
  const { channels, height, width, channelOrder, scale, mean, std, pad = 0, padValue = 0 } = meta.input;
  const h = height - 2 * pad;
  const w = width - 2 * pad;
  if (h < 1 || w < 1) throw new MetadataError(`padding ${pad} leaves no room in a ${height}x${width} input`);
  const out = new Float32Array(channels * height * width);
  const pick: readonly number[] = channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < channels; c++) {
    const norm = (v: number) => (v * scale - mean[c]) / std[c];
    out.fill(norm(padValue), c * height * width, (c + 1) * height * width);
  }
  const sample = (x: number, y: number, c: number) => {
    const at = (y * img.width + x) * 4;
    const a = img.data[at + 3] / 255;
    if (channelOrder === 'gray') return (0.299 * img.data[at] + 0.587 * img.data[at + 1] + 0.114 * img.data[at + 2]) * a;
    return img.data[at + pick[c]] * a;
  };
  const sy = img.height / h;
  const sx = img.width / w;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const ty = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const tx = fx - x0;
      for (let c = 0; c < channels; c++) {
        const top = sample(x0, y0, c) * (1 - tx) + sample(x1, y0, c) * tx;
        const bottom = sample(x0, y1, c) * (1 - tx) + sample(x1, y1, c) * tx;
        const v = top * (1 - ty) + bottom * ty;
        out[(c * height + y + pad) * width + x + pad] = (v * scale - mean[c]) / std[c];
      }
    }
  }
  return out;
}
