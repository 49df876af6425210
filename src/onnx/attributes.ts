import { OnnxError } from '../graph/errors.js';
import { AttributeType, attributeTypeName, type AttributeMessage, type NodeMessage, type TensorMessage } from './schema.js';

/** The label of a node in messages: its name, or its first output when it has none. */
export function nodeLabel(n: NodeMessage): string {
  return n.name || n.output[0] || n.op_type;
}

/**
 * Typed, checked access to a node's attributes. A wrong attribute type is an
 * {@link OnnxError} naming the node, the attribute, the expected and the found type.
 */
export class Attributes {
  private readonly byName = new Map<string, AttributeMessage>();

  constructor(private readonly node: NodeMessage) {
    for (const a of node.attribute) this.byName.set(a.name, a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const a = this.get(name, AttributeType.INT);
    return a ? a.i : fallback;
  }

  float(name: string, fallback: number): number;
  float(name: string): number | undefined;
  float(name: string, fallback?: number): number | undefined {
    const a = this.get(name, AttributeType.FLOAT);
    return a ? a.f : fallback;
  }

  ints(name: string, fallback: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, fallback?: number[]): number[] | undefined {
    const a = this.get(name, AttributeType.INTS);
    return a ? a.ints : fallback;
  }

  floats(name: string): number[] | undefined {
    return this.get(name, AttributeType.FLOATS)?.floats;
  }

  string(name: string, fallback: string): string {
    const a = this.get(name, AttributeType.STRING);
    return a ? new TextDecoder().decode(a.s) : fallback;
  }

  tensor(name: string): TensorMessage | undefined {
    return this.get(name, AttributeType.TENSOR)?.t ?? undefined;
  }

  /** The attribute, checked to be of `type`; undefined when absent. */
  private get(name: string, type: number): AttributeMessage | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    if (a.ref_attr_name) {
      throw new OnnxError('unsupported', `node '${nodeLabel(this.node)}' (${this.node.op_type}): attribute '${name}' refers to a function attribute; webconv does not import ONNX functions`);
    }
    const found = a.type === AttributeType.UNDEFINED ? inferType(a) : a.type;
    if (found !== type || (type === AttributeType.TENSOR && !a.t)) {
      throw new OnnxError(
        'invalid',
        `node '${nodeLabel(this.node)}' (${this.node.op_type}): attribute '${name}' must be of type ${attributeTypeName(type)}, found ${attributeTypeName(found)}`,
      );
    }
    return a;
  }
}

/** IR version 1 files may leave `type` unset: infer it from the field that holds a value. */
function inferType(a: AttributeMessage): number {
  if (a.ints.length) return AttributeType.INTS;
  if (a.floats.length) return AttributeType.FLOATS;
  if (a.strings.length) return AttributeType.STRINGS;
  if (a.tensors.length) return AttributeType.TENSORS;
  if (a.t) return AttributeType.TENSOR;
  if (a.s.length) return AttributeType.STRING;
  if (a.f !== 0) return AttributeType.FLOAT;
  return AttributeType.INT;
}
