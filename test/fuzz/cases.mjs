/**
 * Cases: (kind, case seed, plan) -> the bytes to feed the SDK, deterministically.
 *
 * A case is a generated valid input (an ONNX model, a .npy file, a PNG or JPEG) then a plan:
 * structure-aware mutations applied to the generator's spec, then byte-level mutations of
 * the encoded file. Each mutation carries its own seed, so the reducer can drop one from the
 * chain and the others still do what they did (as far as the input they see allows).
 */
import { BYTE_MUTATORS, BYTE_MUTATOR_NAMES } from './bytes.mjs';
import { Rng, mixSeed } from './rng.mjs';
import { ModelProto } from './onnx-schema.mjs';
import { generateSpec, encodeSpec, dropNode, constantOutputs, ONNX_MUTATORS, ONNX_MUTATOR_NAMES } from './onnx.mjs';
import { generateNpy, encodeNpy, npyExpect, NPY_MUTATORS, NPY_MUTATOR_NAMES } from './npy.mjs';
import { generateImage, encodeImage, imageExpect, imageMutators } from './image.mjs';

export const KINDS = ['onnx', 'npy', 'image'];

/** ONNX mutators that change the values (or the reading) of initializers. */
const WEIGHT_MUTATORS = new Set(['specialValues', 'rawLength', 'dataFields', 'initType', 'initDims']);

const KIND_DEFS = {
  onnx: {
    generate: generateSpec,
    encode: (spec) => encodeSpec(spec, ModelProto),
    mutators: () => ONNX_MUTATORS,
    // share of cases left valid, with structural mutations, with byte mutations
    mix: { valid: 0.35, structural: 0.45, bytes: 0.2 },
    // graph outputs that name an initializer must give exactly its values (also when mutated)
    expect: (spec) => constantOutputs(spec),
    always: true,
    drop: dropNode,
    nodeCount: (spec) => spec.nodes.length,
  },
  npy: {
    generate: generateNpy,
    encode: encodeNpy,
    mutators: () => NPY_MUTATORS,
    mix: { valid: 0.25, structural: 0.5, bytes: 0.25 },
    expect: npyExpect,
  },
  image: {
    generate: generateImage,
    encode: encodeImage,
    mutators: imageMutators,
    mix: { valid: 0.2, structural: 0.55, bytes: 0.25 },
    expect: imageExpect,
  },
};

/** The seed of case `index` of a run with seed `seed`. */
export const caseSeed = (seed, kind, index) => mixSeed('webconv-fuzz', seed, kind, index);

/** Chooses the mutation plan of a case (from its own stream, apart from generation's). */
export function choosePlan(kind, seed, spec) {
  const def = KIND_DEFS[kind];
  const rng = new Rng(mixSeed('plan', seed));
  const names = Object.keys(def.mutators(spec));
  const r = rng.float();
  const plan = { structural: [], bytes: [], drop: [] };
  if (r < def.mix.valid) return plan;
  const structural = r < def.mix.valid + def.mix.structural;
  if (structural) {
    const n = rng.weighted([[1, 6], [2, 3], [3, 1]]);
    for (let i = 0; i < n; i++) plan.structural.push({ name: rng.pick(names), seed: rng.u32() });
    if (rng.bool(0.15)) plan.bytes.push({ name: rng.pick(BYTE_MUTATOR_NAMES), seed: rng.u32() });
  } else {
    const n = rng.weighted([[1, 5], [2, 3], [4, 1], [8, 1]]);
    for (let i = 0; i < n; i++) plan.bytes.push({ name: rng.pick(BYTE_MUTATOR_NAMES), seed: rng.u32() });
  }
  return plan;
}

/**
 * Builds a case. Throws (a fuzzer bug, reported as such) only if a generator or mutator
 * itself fails. Returns { bytes, plan, chain, expect, nodes, weightsMutated }.
 */
export function buildCase(kind, seed, plan) {
  const def = KIND_DEFS[kind];
  if (!def) throw new Error(`unknown kind '${kind}'`);
  const spec = def.generate(new Rng(seed));
  plan ??= choosePlan(kind, seed, spec);
  const chain = [];
  for (const k of plan.drop ?? []) {
    def.drop(spec, k);
    chain.push(`drop node ${k}`);
  }
  const nodes = def.nodeCount?.(spec);
  const mutators = def.mutators(spec);
  for (const m of plan.structural) {
    const fn = mutators[m.name];
    if (!fn) throw new Error(`unknown ${kind} mutator '${m.name}'`);
    chain.push(`${m.name}: ${fn(spec, new Rng(m.seed))}`);
  }
  let bytes = def.encode(spec);
  for (const m of plan.bytes) {
    const r = BYTE_MUTATORS[m.name](bytes, new Rng(m.seed));
    bytes = r.bytes;
    chain.push(`${m.name}: ${r.desc}`);
  }
  const mutated = plan.structural.length > 0 || plan.bytes.length > 0;
  // Byte mutations may change any value, the ones an expectation was computed from included.
  const expect = plan.bytes.length > 0 || (mutated && !def.always) ? undefined : def.expect(spec);
  // Weights whose values were mutated (special values, raw bytes): backends may then differ
  // as IEEE arithmetic lets them (float32 overflow near 3.4e38 where the reference sums in
  // float64), which is reported apart from disagreements on unmutated weights.
  const weightsMutated = kind === 'onnx' && (plan.bytes.length > 0 || plan.structural.some((m) => WEIGHT_MUTATORS.has(m.name)));
  return { bytes, plan, chain, expect, nodes, weightsMutated };
}

export const MUTATOR_NAMES = { onnx: ONNX_MUTATOR_NAMES, npy: NPY_MUTATOR_NAMES, bytes: BYTE_MUTATOR_NAMES };
