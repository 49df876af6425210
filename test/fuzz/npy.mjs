/**
 * .npy cases: valid float32 files in the many spellings numpy (and older numpy) writes, then
 * header-aware mutations (dtype, fortran_order, shape, keys, header length fields, version)
 * and truncations. An unmutated file must parse to exactly the generated values.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function generateNpy(rng) {
  const rank = rng.weighted([[0, 1], [1, 3], [2, 3], [3, 2], [4, 3], [5, 0.5]]);
  const shape = Array.from({ length: rank }, () => rng.weighted([[0, 0.5], [1, 2], [2, 2], [3, 2], [rng.int(4, 9), 2]]));
  const count = shape.reduce((a, d) => a * d, 1);
  const data = rng.floats(count, -10, 10);
  if (count && rng.bool(0.2)) data[rng.int(0, count - 1)] = rng.pick([NaN, Infinity, -0, 1e-40]);
  return {
    major: rng.weighted([[1, 6], [2, 1], [3, 1]]),
    minor: 0,
    header: {
      descr: "'<f4'",
      fortran_order: 'False',
      shape: null, // written from `shape`
    },
    shape,
    order: rng.pick([['descr', 'fortran_order', 'shape'], ['shape', 'descr', 'fortran_order'], ['fortran_order', 'shape', 'descr']]),
    quote: rng.bool(0.85) ? "'" : '"',
    trailingComma: rng.bool(0.7),
    spaces: rng.bool(0.85) ? ' ' : rng.pick(['', '  ', '\t']),
    longSuffix: rng.bool(0.1),
    align: rng.weighted([[64, 5], [16, 1], [0, 1]]),
    data,
    tail: 0, // bytes of data cut (negative) or added (positive)
    headerLengthDelta: 0,
    headerLengthOverride: undefined,
    extraKeys: [],
    raw: undefined, // a header text used as is
  };
}

function shapeText(spec) {
  const L = spec.longSuffix ? 'L' : '';
  if (typeof spec.shapeText === 'string') return spec.shapeText;
  if (spec.shape.length === 1) return `(${spec.shape[0]}${L},)`;
  return `(${spec.shape.map((d) => `${d}${L}`).join(', ')})`;
}

/** The header dict as text (without the padding and newline). */
function headerText(spec) {
  if (spec.raw !== undefined) return spec.raw;
  const q = spec.quote;
  const sp = spec.spaces;
  const values = { descr: spec.header.descr, fortran_order: spec.header.fortran_order, shape: shapeText(spec) };
  const items = spec.order.filter((k) => values[k] !== undefined).map((k) => `${q}${k}${q}:${sp}${values[k]}`);
  for (const [k, v] of spec.extraKeys) items.push(`${k}:${sp}${v}`);
  return `{${items.join(`,${sp}`)}${spec.trailingComma ? `,${sp}` : ''}}`;
}

export function encodeNpy(spec) {
  const text = headerText(spec);
  const major = spec.major;
  const preamble = major === 1 ? 10 : 12;
  let header = text;
  const body = spec.encoding === 'utf8' ? new TextEncoder().encode(header) : Uint8Array.from(header, (c) => c.charCodeAt(0) & 0xff);
  let hb = body;
  if (spec.align > 0) {
    const total = Math.ceil((preamble + body.length + 1) / spec.align) * spec.align;
    const padded = new Uint8Array(total - preamble);
    padded.set(body);
    padded.fill(0x20, body.length, padded.length - 1);
    padded[padded.length - 1] = 0x0a;
    hb = padded;
  } else {
    hb = new Uint8Array(body.length + 1);
    hb.set(body);
    hb[body.length] = 0x0a;
  }
  const data = new Uint8Array(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength);
  const dataLen = Math.max(0, data.length + spec.tail);
  const out = new Uint8Array(preamble + hb.length + dataLen);
  out.set(MAGIC);
  out[6] = major & 0xff;
  out[7] = spec.minor & 0xff;
  const view = new DataView(out.buffer);
  const declared = spec.headerLengthOverride ?? hb.length + spec.headerLengthDelta;
  if (major === 1) view.setUint16(8, declared & 0xffff, true);
  else view.setUint32(8, declared >>> 0, true);
  out.set(hb, preamble);
  out.set(data.subarray(0, Math.min(dataLen, data.length)), preamble + hb.length);
  for (let i = data.length; i < dataLen; i++) out[preamble + hb.length + i] = 0xab;
  return out;
}

/** What an unmutated file must parse to. */
export const npyExpect = (spec) => ({ shape: spec.shape.slice(), data: spec.data.slice() });

export const NPY_MUTATORS = {
  descr(spec, rng) {
    spec.header.descr = rng.pick(["'<f8'", "'>f4'", "'|u1'", "'<i4'", "'=f4'", "'f4'", "'<f2'", "'<c8'", "'<f4 '", "''", '1', 'None', "[('a', '<f4')]", "'<f9999999999'", "'<f4"]);
    return `descr = ${spec.header.descr}`;
  },
  fortran(spec, rng) {
    spec.header.fortran_order = rng.pick(['True', '1', '0', 'None', "'False'", 'false', 'Fals']);
    return `fortran_order = ${spec.header.fortran_order}`;
  },
  shape(spec, rng) {
    const d = () => rng.pick(['-1', '0', '2147483648', '4294967296', '9007199254740993', '99999999999999999999', '1.5', "'3'", 'None', '(2,)', '1e3', '0x10', '-0', '3L']);
    const what = rng.pick(['dim', 'list', 'int', 'empty', 'nested', 'unclosed', 'huge']);
    const dims = spec.shape.map(String);
    if (what === 'dim') {
      if (!dims.length) dims.push('1');
      dims[rng.int(0, dims.length - 1)] = d();
      spec.shapeText = `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
    } else if (what === 'list') spec.shapeText = `[${dims.join(', ')}]`;
    else if (what === 'int') spec.shapeText = String(spec.shape[0] ?? 1);
    else if (what === 'empty') spec.shapeText = rng.pick(['()', '(,)', '( )', '']);
    else if (what === 'nested') spec.shapeText = '('.repeat(rng.pick([2, 40, 5000])) + ')'.repeat(rng.pick([0, 2, 40]));
    else if (what === 'unclosed') spec.shapeText = `(${dims.join(', ')}`;
    else spec.shapeText = `(${rng.pick(['65536, 65536, 65536', '1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1', '4294967296, 0', '0, 4294967296, 4294967296, 4294967296', '3037000500, 3037000500'])})`;
    return `shape text = ${spec.shapeText.length > 60 ? spec.shapeText.slice(0, 60) + '...' : spec.shapeText}`;
  },
  /** the shape in the header no longer matches the data: more, fewer, or a zero */
  shapeCount(spec, rng) {
    const what = rng.pick(['grow', 'shrink', 'zero', 'rank']);
    const s = spec.shape.slice();
    if (what === 'grow') s.length ? (s[rng.int(0, s.length - 1)] += rng.pick([1, 1000, 2 ** 30])) : s.push(2);
    else if (what === 'shrink' && s.length) s[rng.int(0, s.length - 1)] = Math.max(0, s[0] - 1);
    else if (what === 'zero') s.push(0);
    else s.push(1, 1);
    spec.shapeText = s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`;
    return `header shape ${spec.shapeText} for data of [${spec.shape}]`;
  },
  keys(spec, rng) {
    const what = rng.pick(['drop', 'extra', 'duplicate', 'nonstring', 'unquoted']);
    const q = spec.quote;
    if (what === 'drop') spec.order = spec.order.filter((k) => k !== rng.pick(spec.order));
    else if (what === 'extra') spec.extraKeys.push([`${q}extra${q}`, rng.pick(['1', "'x'", '()', '{}'])]);
    else if (what === 'duplicate') spec.extraKeys.push([`${q}shape${q}`, '(1,)']);
    else if (what === 'nonstring') spec.extraKeys.push([rng.pick(['1', 'None', '(1,)']), '1']);
    else spec.extraKeys.push(['descr', "'<f4'"]);
    return `header keys: ${what}`;
  },
  syntax(spec, rng) {
    const text = headerText(spec);
    const what = rng.pick(['noBrace', 'noClose', 'escape', 'garbage', 'utf8', 'nul', 'empty', 'python2long', 'semicolon']);
    if (what === 'noBrace') spec.raw = text.slice(1);
    else if (what === 'noClose') spec.raw = text.slice(0, -1);
    else if (what === 'escape') spec.raw = text.replace("'<f4'", "'<f\\x34'");
    else if (what === 'garbage') spec.raw = `${text} trailing`;
    else if (what === 'utf8') {
      spec.raw = text.replace('descr', 'd\u00e9scr\u{1F600}');
      spec.encoding = 'utf8';
    } else if (what === 'nul') spec.raw = text.replace(':', ':\u0000');
    else if (what === 'empty') spec.raw = '';
    else if (what === 'python2long') spec.longSuffix = true;
    else spec.raw = text.replace(/,/g, ';');
    return `header syntax: ${what}`;
  },
  version(spec, rng) {
    const what = rng.pick(['major', 'minor', 'v1-long-header', 'v2']);
    if (what === 'major') spec.major = rng.pick([0, 4, 255]);
    else if (what === 'minor') spec.minor = rng.pick([1, 255]);
    else if (what === 'v1-long-header') spec.extraKeys.push([`${spec.quote}pad${spec.quote}`, `'${'x'.repeat(rng.pick([70000, 100]))}'`]);
    else spec.major = 2;
    return `version ${what}: ${spec.major}.${spec.minor}`;
  },
  headerLength(spec, rng) {
    const what = rng.pick(['delta', 'zero', 'max16', 'max32', 'huge']);
    if (what === 'delta') spec.headerLengthDelta = rng.pick([-1, 1, -64, 64, 4, -4]);
    else if (what === 'zero') spec.headerLengthOverride = 0;
    else if (what === 'max16') spec.headerLengthOverride = 0xffff;
    else if (what === 'max32') spec.headerLengthOverride = 0xffffffff;
    else spec.headerLengthOverride = rng.pick([0x10000, 0x7fffffff, 0x80000000]);
    return `header length field ${what} (${spec.headerLengthOverride ?? spec.headerLengthDelta})`;
  },
  dataLength(spec, rng) {
    const n = spec.data.byteLength;
    spec.tail = rng.pick([-1, -3, -4, 1, 4, 64, -n, 4096].filter((d) => n + d >= 0));
    return `data ${n} -> ${n + spec.tail} bytes`;
  },
};

export const NPY_MUTATOR_NAMES = Object.keys(NPY_MUTATORS);
