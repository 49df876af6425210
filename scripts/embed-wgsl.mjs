#!/usr/bin/env node
// Embeds each kernels/<name>.wgsl as a string in src/backends/webgpu/shaders/<name>.ts, so
// the package loads its shaders in Node, browsers and workers with no fetch and no bundler
// plugin (as scripts/build-wasm.mjs does for wasm). Every `const NAME: u32 = Nu;` at the top
// level of a shader is exported too, so no constant is copied by hand between TS and WGSL.
//
// Parameter blocks: kernels/params.json holds, for every kernel that declares a
// `struct Params`, that block's fields in declaration order:
//   { "<kernel>": [["<field>", "u32" | "i32" | "f32"], ...], ... }
// (a key is a kernels/<kernel>.wgsl; every field is a 4-byte scalar, as the WGSL structs
// declare them: per-axis values are numbered scalars, d0..d5, not arrays or vectors, so a
// field's byte offset is 4 x its index). Each kernel's `struct Params` is parsed and
// checked against its schema (names, order, types), and the build fails on any difference
// before writing anything; then src/backends/webgpu/params.generated.ts gets one typed packer per block
// (`conv2dParams({ C, H, ... })`, through packBlock in src/backends/params.ts), which the
// hosts in src/backends/webgpu/kernels/ build their `params` with.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const outDir = 'src/backends/webgpu/shaders';
mkdirSync(outDir, { recursive: true });
const camel = (s) => s.replace(/[-_](\w)/g, (_, c) => c.toUpperCase());
const upper = (s) => s.toUpperCase().replace(/-/g, '_');
const sources = new Map();
for (const file of readdirSync('kernels').filter((f) => f.endsWith('.wgsl')).sort()) {
  sources.set(basename(file, '.wgsl'), readFileSync(`kernels/${file}`, 'utf8'));
}

// --- Parameter blocks: check each WGSL `struct Params` against kernels/params.json. ---
const SCALARS = new Set(['u32', 'i32', 'f32']);
const schemaFile = 'kernels/params.json';
const fail = (msg) => {
  console.error(`embed-wgsl: ${msg}`);
  process.exit(1);
};
let schema;
try {
  schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
} catch (e) {
  fail(`${schemaFile}: ${e.message}`);
}
/** A kernel's `struct Params` fields as [name, type] pairs, or undefined if it declares none. */
function structParams(name, source) {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const m = /\bstruct\s+Params\s*\{([^}]*)\}/.exec(code);
  if (!m) return undefined;
  return m[1].split(',').map((f) => f.trim()).filter(Boolean).map((f) => {
    const field = /^(\w+)\s*:\s*(\w+)$/.exec(f);
    if (!field || !SCALARS.has(field[2])) fail(`kernels/${name}.wgsl: struct Params field '${f}' is not a u32, i32 or f32 scalar (${schemaFile} describes 4-byte scalar fields only)`);
    return [field[1], field[2]];
  });
}
const show = (fields) => fields.map(([n, t]) => `${n}: ${t}`).join(', ');
const errors = [];
const blocks = [];
for (const [name, source] of sources) {
  const wgsl = structParams(name, source);
  const declared = schema[name];
  if (!wgsl) {
    if (declared) errors.push(`${schemaFile} has a block '${name}', but kernels/${name}.wgsl declares no struct Params`);
    continue;
  }
  if (!declared) {
    errors.push(`kernels/${name}.wgsl declares struct Params, but ${schemaFile} has no block '${name}'`);
    continue;
  }
  if (!Array.isArray(declared) || !declared.every((f) => Array.isArray(f) && f.length === 2 && /^\w+$/.test(f[0]) && SCALARS.has(f[1]))) {
    errors.push(`${schemaFile} '${name}': every field must be ["name", "u32" | "i32" | "f32"]`);
    continue;
  }
  const seen = new Set();
  for (const [n] of declared) {
    if (seen.has(n)) errors.push(`${schemaFile} '${name}': field '${n}' twice`);
    seen.add(n);
  }
  const n = Math.max(wgsl.length, declared.length);
  for (let i = 0; i < n; i++) {
    const [wn, wt] = wgsl[i] ?? [];
    const [sn, st] = declared[i] ?? [];
    if (wn !== sn || wt !== st) {
      errors.push(
        `kernels/${name}.wgsl struct Params differs from ${schemaFile} at field ${i}: ` +
          `the shader has ${wn ? `${wn}: ${wt}` : 'nothing'}, the schema ${sn ? `${sn}: ${st}` : 'nothing'}\n` +
          `    shader: ${show(wgsl)}\n    schema: ${show(declared)}`,
      );
      break;
    }
  }
  blocks.push([name, declared]);
}
for (const name of Object.keys(schema)) {
  if (!sources.has(name)) errors.push(`${schemaFile} has a block '${name}', but there is no kernels/${name}.wgsl`);
}
if (errors.length) fail(`parameter blocks do not match their schema:\n  ${errors.join('\n  ')}`);

// --- Embed the shaders (only once every block matches its schema). ---
// Comments and indentation are cut from the embedded text (comments were half of its
// gzipped size: 6 KB of the SDK's bundle); every line stays where it was, so a compiler's
// line numbers still match kernels/. WGSL has no string literals: `//` always starts a
// comment (and no shader uses /* */), and whitespace only separates tokens.
const withoutComments = (source) => source.replace(/[ \t]*\/\/.*$/gm, '').replace(/^[ \t]+/gm, '').replace(/[ \t]{2,}/g, ' ');
for (const [name, source] of sources) {
  const file = `${name}.wgsl`;
  const constants = [...source.matchAll(/^const (\w+)\s*:\s*u32\s*=\s*(\d+)u\s*;/gm)].map(([, k, v]) => `  ${k}: ${v},`);
  const ts = `// Generated by scripts/embed-wgsl.mjs from kernels/${file}: do not edit.
export const ${upper(name)}_WGSL = ${JSON.stringify(withoutComments(source))};
${constants.length ? `\n/** The \`const\` u32 values of kernels/${file}. */\nexport const ${camel(name)}Constants = {\n${constants.join('\n')}\n} as const;\n` : ''}`;
  writeFileSync(`${outDir}/${name}.ts`, ts);
  console.log(`wgsl ${name}: ${source.length} chars${constants.length ? `, ${constants.length} constants` : ''}`);
}

const pascal = (s) => camel(s).replace(/^\w/, (c) => c.toUpperCase());
const packers = blocks.map(([name, fields]) => {
  const FIELDS = `${upper(name)}_FIELDS`;
  return `const ${FIELDS} = [${fields.map(([n, t]) => `['${n}', '${t}']`).join(', ')}] as const satisfies Fields;

/** The values of kernels/${name}.wgsl's \`struct Params\`, by field (an f32 field as a plain number). */
export type ${pascal(name)}Params = {
${fields.map(([n, t]) => `  /** ${t} */ ${n}: number;`).join('\n')}
};

/** kernels/${name}.wgsl's parameter block, packed in field order. */
export const ${camel(name)}Params = (v: ${pascal(name)}Params): Param[] => packBlock('${name}', ${FIELDS}, v);
`;
});
const generated = `// Generated by scripts/embed-wgsl.mjs from kernels/params.json (checked against each kernel's
// \`struct Params\`): do not edit.
import { packBlock, type FieldType, type Param } from '../params.js';

type Fields = readonly (readonly [string, FieldType])[];

${packers.join('\n')}`;
writeFileSync('src/backends/webgpu/params.generated.ts', generated);
console.log(`wgsl params: ${blocks.length} blocks match ${schemaFile}`);
