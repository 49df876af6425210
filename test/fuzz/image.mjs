/**
 * PNG and JPEG cases. PNGs are written by a small encoder here (every colour type and bit
 * depth PNG allows, split IDATs, ancillary chunks) so that chunk-aware mutations can act on
 * the chunks, the IHDR fields and the raw scanlines; JPEGs are encoded by jpeg-js and then
 * split into their segments, which the mutations edit (SOF dims, components, lengths,
 * tables, the scan) before the file is put back together.
 */
import { deflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { Rng, mixSeed } from './rng.mjs';
import { cat } from './bytes.mjs';

const require = createRequire(import.meta.url);
const jpeg = require('jpeg-js');

// ---- PNG ----------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(parts) {
  let c = 0xffffffff;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = CRC_TABLE[(c ^ p[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const ascii = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const be32 = (v) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, false);
  return b;
};

const PNG_DEPTHS = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function pngSpec(rng) {
  const colorType = rng.weighted([[6, 4], [2, 2], [0, 2], [3, 2], [4, 1]]);
  const bitDepth = rng.pick(PNG_DEPTHS[colorType]);
  const width = rng.int(1, 24);
  const height = rng.int(1, 24);
  const bitsPerPixel = CHANNELS[colorType] * bitDepth;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const pixels = rng.bytes(rowBytes * height);
  const palette = colorType === 3 ? rng.bytes(3 * rng.int(2 ** Math.min(bitDepth, 4), 2 ** bitDepth > 256 ? 256 : 2 ** bitDepth)) : undefined;
  if (colorType === 3) {
    // keep every index inside the palette
    const entries = palette.length / 3;
    const per = 8 / bitDepth;
    for (let i = 0; i < pixels.length; i++) {
      if (bitDepth === 8) pixels[i] %= entries;
      else {
        let byte = 0;
        for (let k = 0; k < per; k++) byte = (byte << bitDepth) | (rng.int(0, entries - 1) & ((1 << bitDepth) - 1));
        pixels[i] = byte;
      }
    }
  }
  return {
    format: 'png',
    width,
    height,
    ihdr: { width, height, bitDepth, colorType, compression: 0, filter: 0, interlace: 0 },
    rowBytes,
    pixels,
    filterBytes: new Uint8Array(height), // filter type 0 (None) on every row
    palette,
    idatSplits: rng.weighted([[1, 5], [2, 1], [5, 1]]),
    ancillary: rng.bool(0.3) ? [['tEXt', ascii('Comment\0webconv fuzz')], ['gAMA', be32(45455)]] : [],
    zlibLevel: rng.pick([0, 1, 6, 9]),
    edits: [], // chunk-level edits, applied after the chunk list is built
    rawEdit: undefined,
  };
}

function pngChunks(spec) {
  const { ihdr } = spec;
  const h = new Uint8Array(13);
  const v = new DataView(h.buffer);
  v.setUint32(0, ihdr.width >>> 0, false);
  v.setUint32(4, ihdr.height >>> 0, false);
  h[8] = ihdr.bitDepth;
  h[9] = ihdr.colorType;
  h[10] = ihdr.compression;
  h[11] = ihdr.filter;
  h[12] = ihdr.interlace;
  // the raw scanlines: a filter byte then the row
  let raw = new Uint8Array(spec.height * (spec.rowBytes + 1));
  for (let y = 0; y < spec.height; y++) {
    raw[y * (spec.rowBytes + 1)] = spec.filterBytes[y];
    raw.set(spec.pixels.subarray(y * spec.rowBytes, (y + 1) * spec.rowBytes), y * (spec.rowBytes + 1) + 1);
  }
  if (spec.rawEdit) raw = spec.rawEdit(raw);
  const z = spec.zlibOverride ?? new Uint8Array(deflateSync(raw, { level: spec.zlibLevel }));
  const chunks = [{ type: 'IHDR', data: h }];
  for (const [type, data] of spec.ancillary) chunks.push({ type, data });
  if (spec.palette) chunks.push({ type: 'PLTE', data: spec.palette });
  const per = Math.ceil(z.length / spec.idatSplits) || 1;
  for (let at = 0; at < z.length || at === 0; at += per) {
    chunks.push({ type: 'IDAT', data: z.subarray(at, at + per) });
    if (z.length === 0) break;
  }
  chunks.push({ type: 'IEND', data: new Uint8Array(0) });
  return chunks;
}

function encodePng(spec) {
  let chunks = pngChunks(spec);
  for (const edit of spec.edits) chunks = edit(chunks) ?? chunks;
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)];
  for (const c of chunks) {
    const type = ascii(c.type);
    parts.push(be32(c.length ?? c.data.length), type, c.data, be32(c.crc ?? crc32([type, c.data])));
  }
  return concat(parts);
}

const concat = (parts) => cat(...parts);

/** zlib streams of n zero bytes (memoised: deflating 16 MiB takes a while) */
const BOMBS = new Map();
function zerosDeflated(n) {
  if (!BOMBS.has(n)) BOMBS.set(n, new Uint8Array(deflateSync(new Uint8Array(n), { level: 9 })));
  return BOMBS.get(n);
}

const hugeDim = (rng) => rng.pick([0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 65535, 65536, 8192, 8193, 100000, 16384]);

const PNG_MUTATORS = {
  ihdrDims(spec, rng) {
    const which = rng.pick(['width', 'height', 'both']);
    if (which !== 'height') spec.ihdr.width = hugeDim(rng);
    if (which !== 'width') spec.ihdr.height = hugeDim(rng);
    return `IHDR ${spec.ihdr.width} x ${spec.ihdr.height} (data for ${spec.width} x ${spec.height})`;
  },
  ihdrSmaller(spec, rng) {
    spec.ihdr.width = rng.int(1, spec.width);
    spec.ihdr.height = rng.int(1, spec.height + 3);
    return `IHDR ${spec.ihdr.width} x ${spec.ihdr.height} (data for ${spec.width} x ${spec.height})`;
  },
  ihdrField(spec, rng) {
    const field = rng.pick(['bitDepth', 'colorType', 'compression', 'filter', 'interlace']);
    const value = field === 'bitDepth' ? rng.pick([0, 1, 2, 3, 4, 7, 8, 16, 32, 255]) : field === 'colorType' ? rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 255]) : rng.pick([1, 2, 255]);
    spec.ihdr[field] = value;
    return `IHDR ${field} = ${value}`;
  },
  chunkLength(spec, rng) {
    const pick = rng.u32();
    const value = rng.pick([0, 1, 0x7fffffff, 0xffffffff, -1, +1, 1000]);
    spec.edits.push((chunks) => {
      const c = chunks[pick % chunks.length];
      c.length = value === -1 ? Math.max(0, c.data.length - 1) : value === 1 && rng.bool(0.5) ? c.data.length + 1 : value;
    });
    return `chunk #${pick % 8} length field = ${value}`;
  },
  crc(spec, rng) {
    const pick = rng.u32();
    spec.edits.push((chunks) => {
      chunks[pick % chunks.length].crc = rng.u32();
    });
    return `chunk #${pick % 8} with a wrong CRC`;
  },
  dropChunk(spec, rng) {
    const type = rng.pick(['IHDR', 'IDAT', 'IEND', 'PLTE']);
    spec.edits.push((chunks) => chunks.filter((c) => c.type !== type));
    return `no ${type} chunk`;
  },
  duplicateChunk(spec, rng) {
    const type = rng.pick(['IHDR', 'IDAT', 'PLTE', 'IEND']);
    spec.edits.push((chunks) => {
      const k = chunks.findIndex((c) => c.type === type);
      if (k >= 0) chunks.splice(k, 0, { ...chunks[k] });
    });
    return `${type} twice`;
  },
  reorder(spec, rng) {
    const what = rng.pick(['idatFirst', 'iendFirst', 'plteAfterIdat', 'reverse']);
    spec.edits.push((chunks) => {
      if (what === 'reverse') return chunks.reverse();
      const move = (type, to) => {
        const k = chunks.findIndex((c) => c.type === type);
        if (k < 0) return;
        const [c] = chunks.splice(k, 1);
        chunks.splice(to === 'end' ? chunks.length : to, 0, c);
      };
      if (what === 'idatFirst') move('IDAT', 0);
      else if (what === 'iendFirst') move('IEND', 1);
      else move('PLTE', chunks.length - 1);
      return chunks;
    });
    return `chunks reordered: ${what}`;
  },
  unknownChunk(spec, rng) {
    const type = rng.pick(['abCD', 'ABCD', 'zzzz', 'IHDr', 'tRNS', 'iCCP', 'acTL', 'fdAT']);
    const data = rng.bytes(rng.pick([0, 1, 13, 100]));
    spec.edits.push((chunks) => {
      chunks.splice(1 + (data.length % Math.max(1, chunks.length - 1)), 0, { type, data });
    });
    return `chunk '${type}' of ${data.length} bytes inserted`;
  },
  idatBytes(spec, rng) {
    const n = rng.int(1, 4);
    const seeds = Array.from({ length: n }, () => rng.u32());
    spec.edits.push((chunks) => {
      const idat = chunks.find((c) => c.type === 'IDAT');
      if (!idat || idat.data.length === 0) return;
      idat.data = idat.data.slice();
      for (const s of seeds) idat.data[s % idat.data.length] ^= 1 + (s >>> 24) % 255;
    });
    return `${n} IDAT bytes changed (CRC recomputed)`;
  },
  filterByte(spec, rng) {
    const y = rng.int(0, spec.height - 1);
    const v = rng.pick([1, 2, 3, 4, 5, 255]);
    spec.filterBytes[y] = v;
    return `row ${y} filter type ${v}`;
  },
  rawLength(spec, rng) {
    const delta = rng.pick([-1, -spec.rowBytes, 1, 1000, -1000000]);
    spec.rawEdit = (raw) => {
      const n = Math.max(0, raw.length + delta);
      const out = new Uint8Array(n);
      out.set(raw.subarray(0, Math.min(n, raw.length)));
      return out;
    };
    return `decompressed scanlines ${delta > 0 ? '+' : ''}${delta} bytes`;
  },
  zlib(spec, rng) {
    const what = rng.pick(['empty', 'garbage', 'bomb', 'noZlibHeader', 'truncated']);
    if (what === 'empty') spec.zlibOverride = new Uint8Array(0);
    else if (what === 'garbage') spec.zlibOverride = rng.bytes(rng.int(1, 64));
    else if (what === 'bomb') spec.zlibOverride = zerosDeflated(rng.pick([1 << 20, 1 << 24]));
    else if (what === 'noZlibHeader') spec.zlibOverride = new Uint8Array(deflateSync(new Uint8Array(spec.height * (spec.rowBytes + 1)))).subarray(2);
    else {
      const z = new Uint8Array(deflateSync(new Uint8Array(spec.height * (spec.rowBytes + 1))));
      spec.zlibOverride = z.subarray(0, Math.max(2, z.length >> 1));
    }
    return `IDAT zlib stream: ${what}`;
  },
  palette(spec, rng) {
    const what = rng.pick(['short', 'empty', 'long', 'notMultipleOf3']);
    const n = what === 'short' ? 3 : what === 'empty' ? 0 : what === 'long' ? 3 * 300 : 7;
    spec.palette = rng.bytes(n);
    return `PLTE of ${n} bytes`;
  },
};

// ---- JPEG ---------------------------------------------------------------------------------

/**
 * jpeg-js builds its tables anew for every encode (tens of milliseconds), so the base JPEGs
 * come from a memoised set of 48, each from its own seed; the mutations give the variety.
 */
const JPEG_BASES = new Map();
function jpegSpec(rng) {
  const key = rng.int(0, 47);
  if (!JPEG_BASES.has(key)) {
    const r = new Rng(mixSeed('jpeg-base', key));
    const width = r.int(1, 40);
    const height = r.int(1, 40);
    const data = r.bool(0.5) ? r.bytes(width * height * 4) : smooth(width, height, r);
    const enc = jpeg.encode({ width, height, data }, r.pick([10, 50, 75, 90, 100]));
    JPEG_BASES.set(key, { width, height, bytes: new Uint8Array(enc.data) });
  }
  const base = JPEG_BASES.get(key);
  return { format: 'jpeg', width: base.width, height: base.height, segments: splitJpeg(base.bytes), tailEdits: [] };
}

function smooth(w, h, rng) {
  const out = new Uint8Array(w * h * 4);
  const [a, b, c] = [rng.range(0, 20), rng.range(0, 20), rng.range(0, 255)];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = 4 * (y * w + x);
    out[i] = (a * x + c) & 255;
    out[i + 1] = (b * y + c) & 255;
    out[i + 2] = (a * x + b * y) & 255;
    out[i + 3] = 255;
  }
  return out;
}

/** SOI, then segments { marker, data } (data without the length field), the scan, EOI. */
function splitJpeg(b) {
  const segments = [];
  let i = 2;
  while (i < b.length) {
    const marker = b[i + 1];
    if (marker === 0xd9) break;
    const len = (b[i + 2] << 8) | b[i + 3];
    const data = b.slice(i + 4, i + 2 + len);
    i += 2 + len;
    if (marker === 0xda) {
      let j = i;
      while (j + 1 < b.length && !(b[j] === 0xff && b[j + 1] !== 0 && !(b[j + 1] >= 0xd0 && b[j + 1] <= 0xd7))) j++;
      segments.push({ marker, data, scan: b.slice(i, j) });
      i = j;
      continue;
    }
    segments.push({ marker, data });
  }
  return segments;
}

function encodeJpeg(spec) {
  const parts = [Uint8Array.of(0xff, 0xd8)];
  for (const s of spec.segments) {
    const len = s.length ?? s.data.length + 2;
    parts.push(Uint8Array.of(0xff, s.marker, (len >> 8) & 0xff, len & 0xff), s.data);
    if (s.scan) parts.push(s.scan);
  }
  if (!spec.noEoi) parts.push(Uint8Array.of(0xff, 0xd9));
  return concat(parts);
}

const isSof = (m) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

const JPEG_MUTATORS = {
  sofDims(spec, rng) {
    const sof = spec.segments.find((s) => isSof(s.marker));
    if (!sof) return 'sofDims: no SOF';
    sof.data = sof.data.slice();
    const v = new DataView(sof.data.buffer);
    const which = rng.pick(['width', 'height', 'both']);
    const d = () => rng.pick([0, 1, 65535, 8192, 8193, 16384, 2, 40000]);
    if (which !== 'width') v.setUint16(1, d(), false);
    if (which !== 'height') v.setUint16(3, d(), false);
    return `SOF ${v.getUint16(3, false)} x ${v.getUint16(1, false)} (data for ${spec.width} x ${spec.height})`;
  },
  sofFields(spec, rng) {
    const sof = spec.segments.find((s) => isSof(s.marker));
    if (!sof) return 'sofFields: no SOF';
    sof.data = sof.data.slice();
    const what = rng.pick(['precision', 'components', 'sampling', 'quantId', 'componentId']);
    if (what === 'precision') sof.data[0] = rng.pick([0, 12, 16, 255]);
    else if (what === 'components') sof.data[5] = rng.pick([0, 1, 2, 4, 255]);
    else if (what === 'sampling') sof.data[7 + 3 * rng.int(0, Math.max(0, sof.data[5] - 1))] = rng.pick([0x00, 0x55, 0xff, 0x41, 0x14, 0x22]);
    else if (what === 'quantId') sof.data[8 + 3 * rng.int(0, Math.max(0, sof.data[5] - 1))] = rng.pick([3, 4, 15, 255]);
    else sof.data[6] = sof.data[9] ?? 0; // two components with the same id
    return `SOF ${what}`;
  },
  sofType(spec, rng) {
    const sof = spec.segments.find((s) => isSof(s.marker));
    if (!sof) return 'sofType: no SOF';
    sof.marker = rng.pick([0xc1, 0xc2, 0xc3, 0xc5, 0xc9, 0xcb, 0xcf]);
    return `SOF marker 0x${sof.marker.toString(16)}`;
  },
  segmentLength(spec, rng) {
    const s = rng.pick(spec.segments);
    const delta = rng.pick([-1, 1, -2, 2, 100]);
    s.length = rng.bool(0.3) ? rng.pick([0, 1, 2, 0xffff]) : Math.max(0, s.data.length + 2 + delta);
    return `segment 0x${s.marker.toString(16)} length field ${s.length} (payload ${s.data.length})`;
  },
  tableBytes(spec, rng) {
    const tables = spec.segments.filter((s) => s.marker === 0xdb || s.marker === 0xc4 || s.marker === 0xdd);
    if (!tables.length) return 'tableBytes: none';
    const t = rng.pick(tables);
    t.data = t.data.slice();
    const n = rng.int(1, 3);
    for (let k = 0; k < n; k++) t.data[rng.int(0, t.data.length - 1)] = rng.pick([0, 0xff, 0x10, 0x13, rng.int(0, 255)]);
    return `${n} bytes of table 0x${t.marker.toString(16)} changed`;
  },
  dropSegment(spec, rng) {
    const marker = rng.pick([0xdb, 0xc4, 0xc0, 0xda, 0xe0]);
    spec.segments = spec.segments.filter((s) => s.marker !== marker);
    return `no 0x${marker.toString(16)} segment`;
  },
  duplicateSegment(spec, rng) {
    const k = rng.int(0, spec.segments.length - 1);
    spec.segments.splice(k, 0, { ...spec.segments[k] });
    return `segment 0x${spec.segments[k].marker.toString(16)} twice`;
  },
  restart(spec, rng) {
    const interval = rng.pick([0, 1, 2, 0xffff]);
    const k = spec.segments.findIndex((s) => s.marker === 0xda);
    spec.segments.splice(Math.max(0, k), 0, { marker: 0xdd, data: Uint8Array.of(interval >> 8, interval & 0xff) });
    return `DRI restart interval ${interval}`;
  },
  scanBytes(spec, rng) {
    const sos = spec.segments.find((s) => s.scan);
    if (!sos) return 'scanBytes: no scan';
    const what = rng.pick(['truncate', 'flip', 'rst', 'empty', 'extend']);
    if (what === 'truncate') sos.scan = sos.scan.slice(0, rng.int(0, sos.scan.length));
    else if (what === 'flip' && sos.scan.length) {
      sos.scan = sos.scan.slice();
      sos.scan[rng.int(0, sos.scan.length - 1)] ^= 1 << rng.int(0, 7);
    } else if (what === 'rst') sos.scan = concat([sos.scan.subarray(0, sos.scan.length >> 1), Uint8Array.of(0xff, 0xd0 + rng.int(0, 7)), sos.scan.subarray(sos.scan.length >> 1)]);
    else if (what === 'empty') sos.scan = new Uint8Array(0);
    else sos.scan = concat([sos.scan, rng.bytes(rng.int(1, 5000)).map((b) => (b === 0xff ? 0 : b))]);
    return `scan data: ${what}`;
  },
  sosHeader(spec, rng) {
    const sos = spec.segments.find((s) => s.marker === 0xda);
    if (!sos) return 'sosHeader: no SOS';
    sos.data = sos.data.slice();
    const what = rng.pick(['count', 'tables', 'spectral', 'approx']);
    const n = sos.data[0];
    if (what === 'count') sos.data[0] = rng.pick([0, 2, 4, 255]);
    else if (what === 'tables') sos.data[2 + 2 * rng.int(0, Math.max(0, n - 1))] = rng.pick([0x44, 0xff, 0x10, 0x01]);
    else if (what === 'spectral') {
      sos.data[1 + 2 * n] = rng.pick([0, 1, 63, 64, 255]);
      sos.data[2 + 2 * n] = rng.pick([0, 63, 64, 255]);
    } else sos.data[3 + 2 * n] = rng.pick([0x11, 0xff, 0x0f]);
    return `SOS ${what}`;
  },
  noEoi(spec) {
    spec.noEoi = true;
    return 'no EOI';
  },
};

// ---- the kind -----------------------------------------------------------------------------

export function generateImage(rng) {
  return rng.bool(0.55) ? pngSpec(rng) : jpegSpec(rng);
}

export function encodeImage(spec) {
  return spec.format === 'png' ? encodePng(spec) : encodeJpeg(spec);
}

/** What an unmutated image must decode to (pixels exactly for 8-bit RGBA PNGs). */
export function imageExpect(spec) {
  const out = { width: spec.width, height: spec.height };
  if (spec.format === 'png' && spec.ihdr.colorType === 6 && spec.ihdr.bitDepth === 8) out.pixels = spec.pixels.slice();
  return out;
}

/** Mutators for the spec's format (the chooser draws from this list). */
export function imageMutators(spec) {
  return spec.format === 'png' ? PNG_MUTATORS : JPEG_MUTATORS;
}

export const IMAGE_MUTATOR_NAMES = { png: Object.keys(PNG_MUTATORS), jpeg: Object.keys(JPEG_MUTATORS) };
