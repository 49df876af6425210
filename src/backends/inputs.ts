import { InputError } from '../graph/errors.js';
import type { GraphInput } from '../graph/graph.js';
import { sizeOf } from '../graph/graph.js';
import type { TensorData } from './backend.js';

/**
 * Checks the inputs of a run against the model's: every input given once, by name, with
 * exactly its shape (a bare Float32Array only for a single-input model, of the right
 * length). Returns [name, data] pairs; throws {@link InputError} naming the problem.
 */
export function readInputs(
  expected: readonly GraphInput[],
  given: Record<string, TensorData | Float32Array> | Float32Array,
): [string, Float32Array][] {
  if (given instanceof Float32Array) {
    if (expected.length !== 1) {
      throw new InputError(`the model has ${expected.length} inputs (${expected.map((i) => i.name).join(', ')}); pass them by name`);
    }
    given = { [expected[0].name]: given };
  }
  if (typeof given !== 'object' || given === null) throw new InputError('inputs must be an object of named tensors or a Float32Array');
  const known = new Set(expected.map((i) => i.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) throw new InputError(`unknown input '${name}'; the model's inputs are: ${[...known].join(', ')}`);
  }
  return expected.map((inp) => {
    const t = given[inp.name];
    if (t === undefined) throw new InputError(`missing input '${inp.name}' of shape [${inp.shape.join(', ')}]`);
    const data = t instanceof Float32Array ? t : t.data;
    if (!(data instanceof Float32Array)) throw new InputError(`input '${inp.name}': expected a Float32Array`);
    if (!(t instanceof Float32Array)) {
      const same = t.shape.length === inp.shape.length && t.shape.every((d, i) => d === inp.shape[i]);
      if (!same) throw new InputError(`input '${inp.name}': expected shape [${inp.shape.join(', ')}], found [${[...t.shape].join(', ')}]`);
    }
    if (data.length !== sizeOf(inp.shape)) {
      throw new InputError(`input '${inp.name}': expected ${sizeOf(inp.shape)} values for shape [${inp.shape.join(', ')}], found ${data.length}`);
    }
    return [inp.name, data];
  });
}
