/**
 * What an op handler sees of the ONNX importer: the {@link Step} (one node being imported)
 * and the {@link OpHandler} contract, each handler declaring its own inputs
 * ({@link InputSpec}) next to the code that reads them. The driver (import.ts) checks a
 * node against its handler's spec ({@link checkInputs}) before running the handler.
 *
 * This module imports no handler and not the driver, so handlers and driver both import
 * it without a cycle.
 */
import { OnnxError } from '../graph/errors.js';
import type { OpType } from '../graph/graph.js';
import { Attributes, nodeLabel } from './attributes.js';
import * as fold from './fold.js';
import { DataType, dataTypeName, type NodeMessage } from './schema.js';
import type { ConstTensor } from './tensor-proto.js';

/** The grid of an 8-bit activation: its float value is (q - zeroPoint) * scale, q an integer of `type`. */
export interface ActivationGrid {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly type: 'int8' | 'uint8';
}

/** The part of the importer a {@link Step} and the handlers use. */
export interface ImportContext {
  /** Values known at import (lazily decoded initializers included). */
  readonly consts: Map<string, ConstTensor>;
  /** Most elements a folded constant may have. */
  readonly foldLimit: number;
  isConst(name: string): boolean;
  isUsed(name: string): boolean;
  isGraphOutput(name: string): boolean;
  /** The nodes that read a tensor. */
  readersOf(name: string): readonly NodeMessage[];
  /**
   * QuantizeLinear outputs not materialized (ops/quantize.ts): each the 8-bit form of a float
   * tensor, which only the DequantizeLinear nodes reading it turn back into a tensor.
   */
  readonly quantized: Map<string, ActivationGrid & { readonly input: string }>;
  /**
   * The 8-bit tensors of the QOperator form (ops/qlinear.ts): each ONNX tensor an op computes
   * on integers is represented by an IR float tensor on its grid, a qdq node's output.
   */
  readonly eightBit: Map<string, { readonly tensor: string; readonly grid: ActivationGrid }>;
  /** Whether a graph input or an IR node computes the tensor. */
  isComputed(name: string): boolean;
  /** The value of a constant tensor (an initializer is decoded on first use). */
  konst(name: string, step: Step | undefined): ConstTensor;
  shapeOf(name: string, step: Step): readonly number[];
  /** A tensor name used nowhere in the model. */
  freshTensorName(base: string): string;
  /** A new initializer (a transposed weight, an expanded bias) under a fresh name. */
  addInit(base: string, shape: readonly number[], data: Float32Array, trainable: boolean): string;
  /** Adds one IR node and infers its output shape now, so later nodes (and Shape) see it. */
  addNode(
    base: string,
    op: OpType,
    inputs: readonly string[],
    output: string,
    attrs: Record<string, unknown>,
    frozen: readonly number[],
    where: string,
  ): void;
  markUnsupported(n: NodeMessage, label: string): void;
}

/** One node being imported: its inputs, attributes and what the importer can do with it. */
export class Step {
  readonly attrs: Attributes;
  /** "node 'conv1' (Conv)", for messages. */
  readonly where: string;

  constructor(
    readonly im: ImportContext,
    readonly msg: NodeMessage,
    readonly opset: number,
  ) {
    this.attrs = new Attributes(msg);
    this.where = `node '${nodeLabel(msg)}' (${msg.op_type})`;
  }

  /** Name of input i; '' when absent (ONNX marks a skipped optional input with ''). */
  input(i: number): string {
    return this.msg.input[i] ?? '';
  }
  has(i: number): boolean {
    return this.input(i) !== '';
  }
  isConst(i: number): boolean {
    return this.im.isConst(this.input(i));
  }
  konst(i: number): ConstTensor {
    return this.im.konst(this.input(i), this);
  }
  shape(i: number): readonly number[] {
    return this.im.shapeOf(this.input(i), this);
  }
  /** The integer values of constant input i, or undefined when it is not a constant. */
  constInts(i: number): number[] | undefined {
    return this.isConst(i) ? fold.intValues(this.konst(i), `${this.where}, input '${this.input(i)}'`) : undefined;
  }
  /** Whether output k exists and something reads it (a node or the graph's outputs). */
  outputUsed(k: number): boolean {
    const t = this.msg.output[k];
    return t !== undefined && t !== '' && this.im.isUsed(t);
  }
  /** Output 0 is the constant `value`. */
  define(value: ConstTensor): void {
    this.im.consts.set(this.output0(), value);
  }
  private output0(): string {
    return this.msg.output[0] || this.invalid('output 0 is absent');
  }
  /** Output 0 is computed by one IR node. BN statistics and the like are `frozen` inputs. */
  emit(op: OpType, inputs: readonly string[], attrs: Record<string, unknown>, frozen: readonly number[] = []): void {
    const extra = this.msg.output.findIndex((_, k) => k > 0 && this.outputUsed(k));
    if (extra > 0) return this.unsupported(`${this.msg.op_type} output ${extra}`);
    const out = this.output0();
    this.im.addNode(this.msg.name || out, op, inputs, out, attrs, frozen, this.where);
  }
  unsupported(label: string): void {
    this.im.markUnsupported(this.msg, label);
  }
  invalid(message: string): never {
    throw new OnnxError('invalid', `${this.where}: ${message}`);
  }
}

/**
 * The inputs of an op as its opset defines them: their names in the ONNX operator docs
 * (for messages), and how many lead the list as required. The rest are optional: skipped
 * with '' or left off the end. Concat's inputs are variadic, each required.
 */
export interface InputSpec {
  readonly names: readonly string[];
  readonly required: number;
  readonly variadic?: boolean;
}

/**
 * The importer of one ONNX op type: its inputs at an opset (checked by the driver before
 * `run`), and `run`, which folds the node, emits one IR node, or marks it unsupported.
 */
export interface OpHandler {
  readonly inputs: (opset: number) => InputSpec;
  /** Whether `run` reads 8-bit tensors (ImportContext.eightBit) itself; others see them only through ops/qlinear.ts. */
  readonly reads8bit?: boolean;
  readonly run: (s: Step) => void;
}

/** An {@link InputSpec} from space-separated names; all required unless `required` says how many. */
export function spec(names: string, required?: number): InputSpec {
  const list = names ? names.split(' ') : [];
  return { names: list, required: required ?? list.length };
}

/**
 * Checks a node's inputs against its handler's {@link InputSpec}: not too many, and no
 * required one missing or skipped with ''. (An optional input skipped with '' is fine.)
 */
export function checkInputs(s: Step, handler: OpHandler): void {
  const { names, required, variadic } = handler.inputs(s.opset);
  const op = s.msg.op_type;
  const found = s.msg.input;
  const takes = names.length === 0
    ? 'no inputs'
    : variadic
      ? `one or more ${names[0]}`
      : names.slice(0, required).join(', ') + (required < names.length ? `, and optionally ${names.slice(required).join(', ')}` : '');
  const opName = `${op} (opset ${s.opset})`;
  if (!variadic && found.length > names.length) {
    const list = found.map((t) => `'${t}'`).join(', ');
    s.invalid(`has ${found.length} input${found.length > 1 ? 's' : ''} (${list}), but ${opName} takes ${names.length === 0 ? 'none' : `at most ${names.length}: ${takes}`}`);
  }
  const n = variadic ? Math.max(found.length, required) : required;
  for (let i = 0; i < n; i++) {
    if (found[i]) continue;
    const name = variadic ? `${names[0]}[${i}]` : names[i];
    const state = i < found.length ? "is empty ('')" : 'is missing';
    s.invalid(`input ${i} (${name}) ${state}, but required: ${opName} takes ${takes}`);
  }
}

/** Float values of a constant for an initializer; integer tensors do not flow into IR ops. */
export function toFloat32(c: ConstTensor, what: string): Float32Array {
  if (c.data instanceof Float32Array) return c.data;
  if (c.dtype === DataType.DOUBLE || c.dtype === DataType.FLOAT16 || c.dtype === DataType.BFLOAT16) return Float32Array.from(c.data);
  throw new OnnxError('unsupported', `${what} is ${dataTypeName(c.dtype)}; webconv computes in float32 only`);
}
