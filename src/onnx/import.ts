/**
 * ONNX import: a ModelProto (decoded by protobufjs) becomes a webconv {@link Graph}.
 *
 * Nodes are visited in topological order. Every tensor is either *runtime* (a graph input
 * or the output of an IR node; float32, its shape inferred as the node is added) or
 * *constant* (an initializer, a Constant, or anything computed only from constants and
 * shapes). Shape plumbing on constants is folded here and never becomes a node; constants
 * that feed an IR node become initializers. Unsupported nodes are collected, not thrown
 * one by one, so the single error names all of them.
 *
 * This module must not import Node built-ins: it is part of the browser bundle.
 */
import { OnnxError, OptionError } from '../graph/errors.js';
import type { Graph, GraphInput, Initializer, Node, OpType, Shape } from '../graph/graph.js';
import { finalizeGraph } from '../graph/validate.js';
import { opDef } from '../ops/registry.js';
import { Attributes, nodeLabel } from './attributes.js';
import * as fold from './fold.js';
import { DataType, dataTypeName, decodeModelProto, type GraphMessage, type ModelMessage, type NodeMessage, type TensorMessage } from './schema.js';
import { checkedShape, elementCount, MAX_ELEMENTS, tensorFromMessage, type ConstTensor } from './tensor-proto.js';

/** Options of {@link importOnnx}. */
export interface OnnxImportOptions {
  /** Graph name; default the ONNX graph's name. */
  name?: string;
  /** Size given to a symbolic first (batch) dimension of the inputs; default 1. */
  batch?: number;
  /** Full shapes of inputs, by name: needed when an input has symbolic non-batch dimensions. */
  inputShapes?: Record<string, number[]>;
}

/** The oldest default-domain opset webconv reads (older semantics are handled per op). */
export const MIN_OPSET = 1;
/** The newest default-domain opset webconv reads; newer ones may have changed an op. */
export const MAX_OPSET = 18;

/**
 * Imports an ONNX model (the bytes of a `.onnx` file) as a webconv graph with inferred
 * shapes. Shape plumbing (Shape, Gather, Unsqueeze, Concat, ... on constants) is folded;
 * Gemm/MatMul with constant weights become `fc`; batch norm statistics are
 * non-trainable initializers; elementwise ops join the cost-table row of their producer.
 *
 * @throws {OnnxError} `kind: 'invalid'` for bytes that are not (or no longer) an ONNX
 *   model, an undefined input, a cycle or a wrongly typed attribute; `kind: 'unsupported'`
 *   naming every node webconv cannot run (op type, 1-D/3-D conv, training mode, ...) or a
 *   data type it does not compute in
 * @throws {OptionError} for a non-positive batch or `inputShapes` naming no input
 * @throws {ShapeError} / {AttributeError} when a node's shapes or attributes are inconsistent
 */
export function importOnnx(bytes: Uint8Array, options: OnnxImportOptions = {}): Graph {
  const model = parseModel(bytes);
  // A folded constant (ConstantOfShape, broadcasting arithmetic) may not outgrow what the
  // file could hold by much: a few bytes of shape must not become gigabytes of zeros.
  const foldLimit = Math.min(MAX_ELEMENTS, Math.max(2 ** 22, bytes.length));
  return new Importer(model, options, foldLimit).run();
}

function parseModel(bytes: Uint8Array): ModelMessage & { graph: GraphMessage } {
  if (!(bytes instanceof Uint8Array)) throw new OnnxError('invalid', 'expected the bytes of an ONNX file (a Uint8Array)');
  if (bytes.length === 0) throw new OnnxError('invalid', 'not an ONNX model: the file is empty');
  let model: ModelMessage;
  try {
    model = decodeModelProto(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new OnnxError('invalid', `not an ONNX model, or a truncated one: protobuf decoding failed (${why})`);
  }
  if (!(model.ir_version >= 1)) throw new OnnxError('invalid', 'not an ONNX model: no ir_version (ModelProto field 1)');
  const graph = model.graph;
  if (!graph) throw new OnnxError('invalid', 'not an ONNX model: no graph (ModelProto field 7)');
  if (graph.node.length === 0) throw new OnnxError('invalid', `ONNX graph '${graph.name}' has no nodes`);
  return { ...model, graph };
}

/** The version of the default ONNX domain ('' or 'ai.onnx') the model imports. */
function defaultOpset(model: ModelMessage): number {
  const entry = model.opset_import.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!entry) {
    // IR versions before 3 had no opset_import and meant opset 1.
    if (model.ir_version < 3) return 1;
    throw new OnnxError('invalid', 'ONNX model imports no opset of the default domain (opset_import)');
  }
  if (!Number.isInteger(entry.version) || entry.version < MIN_OPSET) {
    throw new OnnxError('invalid', `ONNX model imports opset ${entry.version} of the default domain`);
  }
  if (entry.version > MAX_OPSET) {
    throw new OnnxError('unsupported', `ONNX opset ${entry.version} is newer than webconv reads (${MIN_OPSET} to ${MAX_OPSET}); re-export with opset ${MAX_OPSET} or older`);
  }
  return entry.version;
}

const isDefaultDomain = (d: string) => d === '' || d === 'ai.onnx';

/** One node being imported: its inputs, attributes and what the importer can do with it. */
class Step {
  readonly attrs: Attributes;
  /** "node 'conv1' (Conv)", for messages. */
  readonly where: string;

  constructor(
    readonly im: Importer,
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

class Importer {
  private readonly model: ModelMessage;
  private readonly graph: GraphMessage;
  private readonly name: string;
  private readonly initMsgs = new Map<string, TensorMessage>();
  /** Values known at import (lazily decoded initializers included). */
  readonly consts = new Map<string, ConstTensor>();
  /** Shapes of runtime tensors: graph inputs and IR node outputs. */
  private readonly runtime = new Map<string, Shape>();
  /** The cost-table row of the IR node producing a tensor. */
  private readonly layerOf = new Map<string, string>();
  private readonly used = new Set<string>();
  private readonly nodes: Node[] = [];
  private readonly nodeNames = new Set<string>();
  private readonly inits = new Map<string, Initializer>();
  /** Every tensor name in the ONNX graph or created here, so a new name never collides. */
  private readonly taken = new Set<string>();
  /** Unsupported label -> node labels; tensors downstream of them are `poisoned`. */
  private readonly unsupported = new Map<string, string[]>();
  private readonly poisoned = new Set<string>();
  private readonly skipped = new Set<NodeMessage>();

  constructor(
    model: ModelMessage & { graph: GraphMessage },
    private readonly options: OnnxImportOptions,
    /** Most elements a folded constant may have. */
    readonly foldLimit: number,
  ) {
    this.graph = model.graph;
    this.model = model;
    this.name = options.name ?? (this.graph.name || 'onnx-model');
  }

  run(): Graph {
    const g = this.graph;
    for (const t of g.initializer) {
      if (this.initMsgs.has(t.name)) throw new OnnxError('invalid', `initializer '${t.name}' is defined twice`);
      this.initMsgs.set(t.name, t);
      this.taken.add(t.name);
    }
    for (const o of g.output) this.used.add(o.name);
    for (const n of g.node) {
      for (const t of n.input) if (t) this.used.add(t);
      for (const t of n.output) this.taken.add(t);
    }
    const order = this.topologicalOrder();
    for (const n of order) if (!isDefaultDomain(n.domain) || !HANDLERS[n.op_type]) this.markUnsupported(n, opTypeLabel(n));

    let inputs: GraphInput[];
    let outputs: string[];
    try {
      const opset = defaultOpset(this.model);
      inputs = this.readInputs();
      this.checkOutputTypes();
      for (const msg of order) {
        if (this.skipped.has(msg)) continue; // an op type with no mapping, marked above
        if (msg.input.some((t) => this.poisoned.has(t))) {
          for (const t of msg.output) if (t) this.poisoned.add(t);
          continue;
        }
        const step = new Step(this, msg, opset);
        checkInputs(step);
        HANDLERS[msg.op_type](step);
      }
      outputs = this.readOutputs();
    } catch (e) {
      // The list of unsupported ops says more about a model than an error they lead to.
      throw this.unsupported.size ? this.unsupportedError() : e;
    }
    if (this.unsupported.size) throw this.unsupportedError();
    return finalizeGraph(this.name, inputs, outputs, this.nodes, this.inits);
  }

  /**
   * Checks every tensor is defined once and every node input is defined, then sorts the
   * nodes (Kahn's algorithm). A cycle is an error naming the nodes on it.
   */
  private topologicalOrder(): NodeMessage[] {
    const g = this.graph;
    const sources = new Set([...g.input.map((i) => i.name), ...this.initMsgs.keys()]);
    const producer = new Map<string, NodeMessage>();
    for (const n of g.node) {
      for (const t of n.output) {
        if (!t) continue;
        const other = producer.get(t);
        if (other || sources.has(t)) {
          throw new OnnxError('invalid', `tensor '${t}' is defined twice (by node '${nodeLabel(n)}'${other ? ` and node '${nodeLabel(other)}'` : ' and as a graph input or initializer'})`);
        }
        producer.set(t, n);
      }
    }
    for (const n of g.node) {
      for (const t of n.input) {
        if (t && !sources.has(t) && !producer.has(t)) {
          throw new OnnxError('invalid', `node '${nodeLabel(n)}' (${n.op_type}): input '${t}' is not defined (no initializer, graph input or node output has that name)`);
        }
      }
    }
    for (const o of g.output) {
      if (!sources.has(o.name) && !producer.has(o.name)) throw new OnnxError('invalid', `graph output '${o.name}' is not produced by any node`);
    }
    // ONNX requires nodes in topological order; keep the file's order when it is one.
    const seen = new Set(sources);
    const sorted = g.node.every((n) => {
      const ok = n.input.every((t) => !t || seen.has(t));
      for (const t of n.output) seen.add(t);
      return ok;
    });
    if (sorted) return g.node;
    const pending = new Map<NodeMessage, number>();
    const consumers = new Map<NodeMessage, NodeMessage[]>();
    for (const n of g.node) {
      const deps = new Set(n.input.map((t) => producer.get(t)).filter((p): p is NodeMessage => p !== undefined));
      pending.set(n, deps.size);
      for (const d of deps) (consumers.get(d) ?? consumers.set(d, []).get(d)!).push(n);
    }
    const ready = g.node.filter((n) => pending.get(n) === 0);
    const out: NodeMessage[] = [];
    for (let i = 0; i < ready.length; i++) {
      out.push(ready[i]);
      for (const c of consumers.get(ready[i]) ?? []) {
        const left = pending.get(c)! - 1;
        pending.set(c, left);
        if (left === 0) ready.push(c);
      }
    }
    if (out.length !== g.node.length) {
      const stuck = g.node.filter((n) => pending.get(n)! > 0).map((n) => `'${nodeLabel(n)}'`);
      throw new OnnxError('invalid', `the ONNX graph has a cycle through nodes ${stuck.slice(0, 8).join(', ')}${stuck.length > 8 ? ', ...' : ''}`);
    }
    return out;
  }

  private readInputs(): GraphInput[] {
    const batch = this.options.batch ?? 1;
    if (!Number.isInteger(batch) || batch < 1) throw new OptionError(`batch must be a positive integer, found ${batch}`);
    const given = this.options.inputShapes ?? {};
    const names = this.graph.input.map((i) => i.name).filter((n) => !this.initMsgs.has(n));
    for (const k of Object.keys(given)) {
      if (!names.includes(k)) throw new OptionError(`inputShapes names '${k}', which is not an input of the model (inputs: ${names.join(', ')})`);
    }
    const runtimeInputs = this.graph.input.filter((vi) => !this.initMsgs.has(vi.name)); // IR < 4 lists initializers among the inputs
    // Types first: a model that is not float32 is refused as such, whatever its shapes.
    for (const vi of runtimeInputs) {
      const what = `graph input '${vi.name}'`;
      const tt = vi.type?.tensor_type;
      if (!tt) throw new OnnxError('unsupported', `${what} is not a tensor`);
      if (tt.elem_type !== DataType.FLOAT) {
        throw new OnnxError('unsupported', `${what} is ${dataTypeName(tt.elem_type)}; webconv runs float32 models only`);
      }
    }
    const inputs: GraphInput[] = [];
    for (const vi of runtimeInputs) {
      const what = `graph input '${vi.name}'`;
      const tt = vi.type!.tensor_type!;
      let shape: number[];
      if (given[vi.name]) {
        shape = [...given[vi.name]];
        if (!shape.every((d) => Number.isInteger(d) && d > 0)) throw new OptionError(`inputShapes['${vi.name}'] must hold positive integers, found [${shape.join(', ')}]`);
      } else {
        if (!tt.shape) throw new OnnxError('unsupported', `${what} has no shape in the model; give it in options.inputShapes`);
        const declared = `[${tt.shape.dim.map((d) => d.dim_value ?? (d.dim_param ? `'${d.dim_param}'` : '?')).join(', ')}]`;
        shape = tt.shape.dim.map((d, axis) => {
          if (d.dim_value !== undefined && d.dim_value > 0) return d.dim_value;
          if (d.dim_value !== undefined && d.dim_value < 0) {
            throw new OnnxError('invalid', `${what} has size ${d.dim_value} on axis ${axis} (shape ${declared}); a dimension must be a non-negative integer or symbolic`);
          }
          // A 0 on the batch axis is taken as an unknown batch, as some exporters write it.
          // Elsewhere it is a valid ONNX shape (an empty tensor), but nothing to run.
          if (d.dim_value === 0 && axis > 0) {
            throw new OnnxError(
              'unsupported',
              `${what} has size 0 on axis ${axis} (shape ${declared}), so it holds no values; webconv does not run zero-size tensors (if the size is meant to be unknown, give the input's full shape in options.inputShapes)`,
            );
          }
          if (axis === 0) return batch;
          throw new OnnxError(
            'unsupported',
            `${what} has a symbolic dimension ${d.dim_param ? `'${d.dim_param}'` : '(unnamed)'} on axis ${axis}; give the input's full shape in options.inputShapes`,
          );
        });
      }
      checkedShape(shape, what);
      inputs.push({ name: vi.name, shape });
      this.runtime.set(vi.name, shape);
    }
    return inputs;
  }

  private checkOutputTypes(): void {
    for (const o of this.graph.output) {
      const t = o.type?.tensor_type?.elem_type;
      if (t !== undefined && t !== DataType.UNDEFINED && t !== DataType.FLOAT) {
        throw new OnnxError('unsupported', `graph output '${o.name}' is ${dataTypeName(t)}; webconv runs float32 models only`);
      }
    }
  }

  /** Graph outputs; a constant output gets an identity node so every output is computed. */
  private readOutputs(): string[] {
    const outputs: string[] = [];
    for (const { name } of this.graph.output) {
      if (this.poisoned.has(name)) continue;
      if (!this.runtime.has(name) && !this.inits.has(name)) {
        const c = this.konst(name, undefined);
        const value = this.addInit(`${name}.value`, c.shape, toFloat32(c, `graph output '${name}'`), false);
        this.addNode(name, 'identity', [value], name, {}, [], `graph output '${name}'`);
      }
      outputs.push(name);
    }
    return outputs;
  }

  isConst(name: string): boolean {
    return name !== '' && !this.runtime.has(name) && (this.consts.has(name) || this.initMsgs.has(name));
  }

  isUsed(name: string): boolean {
    return this.used.has(name);
  }

  /** The value of a constant tensor (an initializer is decoded on first use). */
  konst(name: string, step: Step | undefined): ConstTensor {
    const c = this.consts.get(name);
    if (c) return c;
    const msg = this.initMsgs.get(name);
    if (!msg) {
      throw new OnnxError('unsupported', `${step ? `${step.where}: ` : ''}tensor '${name}' is computed at run time, but webconv needs it to be a constant here`);
    }
    const t = tensorFromMessage(msg, `initializer '${name}'`);
    this.consts.set(name, t);
    return t;
  }

  shapeOf(name: string, step: Step): readonly number[] {
    const r = this.runtime.get(name) ?? this.inits.get(name)?.shape;
    if (r) return r;
    const msg = this.consts.has(name) ? undefined : this.initMsgs.get(name);
    if (msg) return checkedShape(msg.dims, `initializer '${name}'`);
    return this.konst(name, step).shape;
  }

  /** The IR tensor for `name`: runtime tensors as they are, constants as initializers. */
  private materialize(name: string, trainable: boolean, where: string): string {
    if (this.runtime.has(name) || this.inits.has(name)) return name;
    const c = this.konst(name, undefined);
    this.inits.set(name, { name, shape: c.shape, trainable, data: toFloat32(c, `${where}: input '${name}'`) });
    return name;
  }

  /** A tensor name used nowhere in the model. */
  freshTensorName(base: string): string {
    return fresh(base, this.taken);
  }

  /** A new initializer (a transposed weight, an expanded bias) under a fresh name. */
  addInit(base: string, shape: readonly number[], data: Float32Array, trainable: boolean): string {
    const name = this.freshTensorName(base);
    this.inits.set(name, { name, shape: [...shape], trainable, data });
    return name;
  }

  /** Adds one IR node and infers its output shape now, so later nodes (and Shape) see it. */
  addNode(
    base: string,
    op: OpType,
    inputs: readonly string[],
    output: string,
    attrs: Record<string, unknown>,
    frozen: readonly number[],
    where: string,
  ): void {
    const irInputs = inputs.map((t, i) => this.materialize(t, !frozen.includes(i), where));
    const name = fresh(base, this.nodeNames);
    const def = opDef(op);
    const producerLayer = this.layerOf.get(irInputs[0]);
    const layer = def.elementwise && producerLayer !== undefined ? producerLayer : name;
    const node: Node = { name, op, inputs: irInputs, outputs: [output], attrs, layer };
    def.validate(node);
    const inShapes = irInputs.map((t) => this.runtime.get(t) ?? this.inits.get(t)!.shape);
    inShapes.forEach((sh, i) => {
      if (sh.includes(0)) throw zeroSize(`${where}: input '${inputs[i]}'`, sh);
    });
    const [shape] = def.inferShapes(node, inShapes);
    checkedShape(shape, `${where}, output '${output}'`);
    if (shape.includes(0)) throw zeroSize(`${where}: output '${output}'`, shape);
    this.nodes.push(node);
    this.runtime.set(output, shape);
    this.layerOf.set(output, layer);
    this.taken.add(output);
  }

  markUnsupported(n: NodeMessage, label: string): void {
    const list = this.unsupported.get(label) ?? [];
    list.push(nodeLabel(n));
    this.unsupported.set(label, list);
    for (const t of n.output) if (t) this.poisoned.add(t);
    this.skipped.add(n);
  }

  private unsupportedError(): OnnxError {
    const parts = [...this.unsupported].map(([label, nodes]) => {
      const shown = nodes.slice(0, 5).map((n) => `'${n}'`).join(', ');
      const more = nodes.length > 5 ? ` and ${nodes.length - 5} more` : '';
      return `${label} (node${nodes.length > 1 ? 's' : ''} ${shown}${more})`;
    });
    return new OnnxError('unsupported', `unsupported ONNX ops: ${parts.join(', ')}`);
  }
}

/** An IR tensor with no elements: valid ONNX, but nothing webconv runs. */
function zeroSize(what: string, shape: readonly number[]): OnnxError {
  return new OnnxError('unsupported', `${what} has shape [${shape.join(', ')}], so it holds no values; webconv does not run zero-size tensors`);
}

function opTypeLabel(n: NodeMessage): string {
  return isDefaultDomain(n.domain) ? n.op_type : `${n.domain}.${n.op_type}`;
}

/** `base`, or `base.2`, `base.3`, ... : the first not in `taken` (which it joins). */
function fresh(base: string, taken: Set<string>): string {
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}.${k}`;
  taken.add(name);
  return name;
}

/** Float values of a constant for an initializer; integer tensors do not flow into IR ops. */
function toFloat32(c: ConstTensor, what: string): Float32Array {
  if (c.data instanceof Float32Array) return c.data;
  if (c.dtype === DataType.DOUBLE || c.dtype === DataType.FLOAT16 || c.dtype === DataType.BFLOAT16) return Float32Array.from(c.data);
  throw new OnnxError('unsupported', `${what} is ${dataTypeName(c.dtype)}; webconv computes in float32 only`);
}

// ---------------------------------------------------------------------------------------
// Op handlers: each folds its node, emits one IR node, or marks it unsupported.

type Handler = (s: Step) => void;

/** kernel / stride / pads / dilation of a 2-D window, auto_pad resolved against the input. */
function window2d(s: Step, input: readonly number[], kernel: number[]) {
  const stride = s.attrs.ints('strides', [1, 1]);
  const dilation = s.attrs.ints('dilations', [1, 1]);
  if (kernel.length !== 2 || stride.length !== 2 || dilation.length !== 2) {
    s.invalid(`kernel_shape, strides and dilations must have 2 values for a 2-D input, found [${kernel}], [${stride}], [${dilation}]`);
  }
  const mode = s.attrs.string('auto_pad', 'NOTSET');
  let pads: number[];
  if (mode === 'NOTSET') {
    pads = s.attrs.ints('pads', [0, 0, 0, 0]);
    if (pads.length !== 4) s.invalid(`pads must have 4 values (top, left, bottom, right), found [${pads}]`);
  } else if (mode === 'VALID') {
    pads = [0, 0, 0, 0];
  } else if (mode === 'SAME_UPPER' || mode === 'SAME_LOWER') {
    // Output ceil(in / stride); the odd pad goes at the end (UPPER) or the beginning (LOWER).
    pads = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) {
      const size = input[2 + i];
      const out = Math.ceil(size / stride[i]);
      const total = Math.max(0, (out - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - size);
      const half = Math.floor(total / 2);
      pads[i] = mode === 'SAME_UPPER' ? half : total - half;
      pads[i + 2] = total - pads[i];
    }
  } else {
    return s.invalid(`auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, found '${mode}'`);
  }
  return { kernel, stride, pads, dilation };
}

/**
 * The shape of input 0 of a conv, pool or LRN node when it is 4-D (N x C x H x W), all
 * webconv runs. ONNX defines these ops on N x C x D1 x ... x Dn, n >= 1: a lower rank is
 * an invalid model; a 1-D or 3-D one is valid and is marked unsupported (undefined).
 */
function nchwInput(s: Step): readonly number[] | undefined {
  const x = s.shape(0);
  const op = s.msg.op_type;
  if (x.length < 3) {
    return s.invalid(
      `input 0 (X) '${s.input(0)}' has shape [${x.join(', ')}] (rank ${x.length}), but ${op} needs a 4-D N x C x H x W input ` +
        `(ONNX defines ${op} on N x C x D1 x ... x Dn, rank 3 or more)`,
    );
  }
  if (x.length !== 4) {
    s.unsupported(`${op} ${x.length - 2}-D`);
    return undefined;
  }
  return x;
}

const conv: Handler = (s) => {
  const x = nchwInput(s);
  if (!x) return;
  const w = s.shape(1);
  if (w.length !== x.length) {
    return s.invalid(
      `input 1 (W) '${s.input(1)}' has shape [${w.join(', ')}] (rank ${w.length}), but a Conv of the rank-${x.length} input ` +
        `'${s.input(0)}' needs a rank-${x.length} weight (M x C/group x kH x kW)`,
    );
  }
  const win = window2d(s, x, s.attrs.ints('kernel_shape') ?? w.slice(2));
  const inputs = s.has(2) ? [s.input(0), s.input(1), s.input(2)] : [s.input(0), s.input(1)];
  s.emit('conv2d', inputs, { ...win, groups: s.attrs.int('group', 1) });
};

function pool(op: 'maxpool' | 'avgpool'): Handler {
  return (s) => {
    const x = nchwInput(s);
    if (!x) return;
    if (op === 'maxpool') {
      if (s.outputUsed(1)) return s.unsupported('MaxPool Indices output');
      if (s.attrs.int('storage_order', 0) === 1) return s.unsupported('MaxPool storage_order=1');
    }
    const kernel = s.attrs.ints('kernel_shape');
    if (!kernel) return s.invalid("attribute 'kernel_shape' is required");
    const attrs: Record<string, unknown> = { ...window2d(s, x, kernel), ceilMode: s.attrs.int('ceil_mode', 0) === 1 };
    if (op === 'avgpool') attrs.countIncludePad = s.attrs.int('count_include_pad', 0) === 1;
    s.emit(op, [s.input(0)], attrs);
  };
}

function globalPool(op: 'globalavgpool' | 'globalmaxpool'): Handler {
  return (s) => {
    if (!nchwInput(s)) return;
    s.emit(op, [s.input(0)], {});
  };
}

function transpose2d(data: Float32Array, rows: number, cols: number, scale: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = scale * data[r * cols + c];
  return out;
}

/**
 * `beta * C` as an fc bias of length n, when C is a constant that is the same for every
 * row (a scalar, [1], [n] or [1, n]); undefined otherwise (then the general gemm is used).
 */
function rowBias(s: Step, n: number, beta: number): string | undefined {
  if (!s.isConst(2)) return undefined;
  const c = s.konst(2);
  const size = c.data.length;
  const perRow = size === 1 || (size === n && c.shape.length >= 1 && c.shape[c.shape.length - 1] === n && c.shape.length <= 2);
  if (!perRow) return undefined;
  if (beta === 1 && c.data instanceof Float32Array && c.shape.length === 1 && c.shape[0] === n) return s.input(2);
  const v = toFloat32(c, `${s.where}: input '${s.input(2)}'`);
  const bias = new Float32Array(n);
  for (let j = 0; j < n; j++) bias[j] = beta * v[size === 1 ? 0 : j];
  return s.im.addInit(`${s.input(2)}.bias`, [n], bias, true);
}

/** An fc layer y = x W^T + b from a constant B of `Gemm`/`MatMul` ([K, N], or [N, K] if transB). */
function fcFromConstant(s: Step, transB: boolean, alpha: number, bias: string | undefined): void {
  const b = s.konst(1);
  const [r, c] = b.shape;
  let weight = s.input(1);
  if (!transB || alpha !== 1 || !(b.data instanceof Float32Array)) {
    const data = toFloat32(b, `${s.where}: input '${s.input(1)}'`);
    const w = transB ? data.map((v) => alpha * v) : transpose2d(data, r, c, alpha);
    weight = s.im.addInit(`${s.input(1)}.fc`, transB ? [r, c] : [c, r], w, true);
  }
  s.emit('fc', bias ? [s.input(0), weight, bias] : [s.input(0), weight], {});
}

const gemm: Handler = (s) => {
  const transA = s.attrs.int('transA', 0) === 1;
  const transB = s.attrs.int('transB', 0) === 1;
  const alpha = s.attrs.float('alpha', 1);
  const beta = s.attrs.float('beta', 1);
  const a = s.shape(0);
  const b = s.shape(1);
  if (a.length !== 2 || b.length !== 2) {
    return s.invalid(`inputs A '${s.input(0)}' and B '${s.input(1)}' must be 2-D matrices, found shapes [${a.join(', ')}] and [${b.join(', ')}]`);
  }
  if (s.isConst(1) && !transA) {
    const bias = s.has(2) ? rowBias(s, transB ? b[0] : b[1], beta) : undefined;
    if (!s.has(2) || bias) return fcFromConstant(s, transB, alpha, bias);
  }
  const inputs = s.has(2) ? [s.input(0), s.input(1), s.input(2)] : [s.input(0), s.input(1)];
  s.emit('gemm', inputs, { alpha, beta, transA, transB });
};

const matmul: Handler = (s) => {
  const a = s.shape(0);
  const b = s.shape(1);
  if (a.length !== 2 || b.length !== 2) return s.unsupported('MatMul of non-2-D tensors');
  if (s.isConst(1)) return fcFromConstant(s, false, 1, undefined);
  s.emit('gemm', [s.input(0), s.input(1)], { alpha: 1, beta: 0, transA: false, transB: false });
};

const flatten: Handler = (s) => {
  const x = s.shape(0);
  let axis = s.attrs.int('axis', 1);
  if (axis < 0) axis += x.length;
  if (axis < 0 || axis > x.length) return s.invalid(`axis ${s.attrs.int('axis', 1)} is out of range for rank ${x.length}`);
  if (s.isConst(0)) return s.define(fold.withShape(s.konst(0), fold.flattenDims(x, axis)));
  s.emit('flatten', [s.input(0)], { axis });
};

const reshape: Handler = (s) => {
  const shape = s.opset < 5 ? s.attrs.ints('shape') : s.constInts(1);
  if (!shape) return s.opset < 5 ? s.invalid("attribute 'shape' is required before opset 5") : s.unsupported('Reshape to a computed shape');
  const allowzero = s.opset >= 14 && s.attrs.int('allowzero', 0) === 1;
  if (s.isConst(0)) {
    const c = s.konst(0);
    return s.define(fold.withShape(c, checkedShape(fold.reshapeDims(c.shape, shape, allowzero, s.where), s.where)));
  }
  s.emit('reshape', [s.input(0)], { shape, allowzero });
};

/** Squeeze / Unsqueeze: a reshape to known dims (folded on constants). */
function squeeze(kind: 'Squeeze' | 'Unsqueeze'): Handler {
  return (s) => {
    const axes = s.opset < 13 ? s.attrs.ints('axes') : s.has(1) ? s.constInts(1) : undefined;
    if (s.opset >= 13 && s.has(1) && !axes) return s.unsupported(`${kind} with computed axes`);
    const x = s.shape(0);
    let dims: number[];
    if (kind === 'Squeeze') dims = fold.squeezeDims(x, axes, s.where);
    else if (!axes) return s.invalid("attribute 'axes' is required before opset 13");
    else dims = fold.unsqueezeDims(x, axes, s.where);
    if (s.isConst(0)) return s.define(fold.withShape(s.konst(0), dims));
    s.emit('reshape', [s.input(0)], { shape: dims, allowzero: false });
  };
}

function unary(op: OpType, attrs: (s: Step) => Record<string, unknown> = () => ({})): Handler {
  return (s) => s.emit(op, [s.input(0)], attrs(s));
}

/** A bound of Clip (opset 11+): absent ('' or missing) means unbounded. */
function clipBound(s: Step, i: number, unbounded: number): number | undefined {
  if (!s.has(i)) return unbounded;
  if (!s.isConst(i)) return undefined;
  return fold.scalarValue(s.konst(i), `${s.where}, input '${s.input(i)}'`);
}

const clip: Handler = (s) => {
  const min = s.opset < 11 ? s.attrs.float('min', -Infinity) : clipBound(s, 1, -Infinity);
  const max = s.opset < 11 ? s.attrs.float('max', Infinity) : clipBound(s, 2, Infinity);
  if (min === undefined || max === undefined) return s.unsupported('Clip with computed bounds');
  s.emit('clip', [s.input(0)], { min, max });
};

const lrn: Handler = (s) => {
  if (!nchwInput(s)) return;
  const size = s.attrs.int('size');
  if (size === undefined) return s.invalid("attribute 'size' is required");
  const attrs = { size, alpha: s.attrs.float('alpha', 1e-4), beta: s.attrs.float('beta', 0.75), bias: s.attrs.float('bias', 1) };
  s.emit('lrn', [s.input(0)], attrs);
};

const batchnorm: Handler = (s) => {
  if (s.attrs.int('training_mode', 0) === 1) return s.unsupported('BatchNormalization training_mode=1');
  if (s.msg.output.some((_, k) => k > 0 && s.outputUsed(k))) return s.unsupported('BatchNormalization training outputs');
  if (s.opset < 7 && s.attrs.int('is_test', 0) === 0) return s.unsupported('BatchNormalization is_test=0 (training)');
  if (s.opset < 9 && s.attrs.int('spatial', 1) === 0) return s.unsupported('BatchNormalization spatial=0');
  s.emit('batchnorm', s.msg.input.slice(0, 5), { epsilon: s.attrs.float('epsilon', 1e-5) }, [3, 4]);
};

/**
 * Before opset 7, Add/Mul/Sub/Div broadcast only with broadcast=1, B's dims matching A's
 * from `axis` on. Trailing 1s make that NumPy broadcasting, which the IR implements.
 */
function legacyBroadcast(s: Step): string | undefined {
  if (s.opset >= 7 || s.attrs.int('broadcast', 0) !== 1) return undefined;
  const a = s.shape(0);
  const b = s.shape(1);
  const axis = s.attrs.int('axis', a.length - b.length);
  const trailing = a.length - axis - b.length;
  if (axis < 0 || trailing < 0) return s.invalid(`B [${b}] does not fit A [${a}] at axis ${axis}`);
  if (trailing === 0) return undefined;
  const dims = [...b, ...new Array<number>(trailing).fill(1)];
  const out = s.im.freshTensorName(`${s.input(1)}.bcast`);
  if (s.isConst(1)) {
    s.im.consts.set(out, fold.withShape(s.konst(1), dims));
    return out;
  }
  s.im.addNode(`${nodeLabel(s.msg)}.bcast`, 'reshape', [s.input(1)], out, { shape: dims, allowzero: false }, [], s.where);
  return out;
}

function arithmetic(kind: 'Add' | 'Sub' | 'Mul' | 'Div'): Handler {
  return (s) => {
    const b = legacyBroadcast(s) ?? s.input(1);
    if (s.isConst(0) && s.im.isConst(b)) return s.define(fold.binary(kind, s.konst(0), s.im.konst(b, s), s.where, s.im.foldLimit));
    if (kind === 'Add' || kind === 'Mul') return s.emit(kind === 'Add' ? 'add' : 'mul', [s.input(0), b], {});
    s.unsupported(`${kind} of computed tensors`);
  };
}

const concat: Handler = (s) => {
  const inputs = s.msg.input; // none is '' (checkInputs)
  const rank = s.im.shapeOf(inputs[0], s).length;
  const raw = s.attrs.int('axis') ?? (s.opset < 4 ? 1 : undefined);
  if (raw === undefined) return s.invalid("attribute 'axis' is required");
  const axis = fold.normAxis(raw, rank, s.where);
  if (inputs.every((t) => s.im.isConst(t))) return s.define(fold.concat(inputs.map((t) => s.im.konst(t, s)), axis, s.where, s.im.foldLimit));
  s.emit('concat', inputs, { axis });
};

const softmax: Handler = (s) => {
  const rank = s.shape(0).length;
  const axis = fold.normAxis(s.attrs.int('axis', s.opset < 13 ? 1 : -1), Math.max(rank, 1), s.where);
  // Before opset 13 Softmax flattened the input to 2-D at `axis` and normalised rows.
  s.emit('softmax', [s.input(0)], { axis, coerce2d: s.opset < 13 });
};

const dropout: Handler = (s) => {
  if (s.outputUsed(1)) return s.unsupported('Dropout mask output');
  if (s.opset < 7 && s.attrs.int('is_test', 0) === 0) return s.unsupported('Dropout is_test=0 (training)');
  // At inference Dropout is the identity whatever the ratio, so a computed ratio is harmless.
  let ratio: number | undefined = s.attrs.float('ratio', 0.5);
  if (s.opset >= 12) {
    ratio = !s.has(1) ? 0.5 : s.isConst(1) ? fold.scalarValue(s.konst(1), `${s.where}, input 1 (ratio) '${s.input(1)}'`) : undefined;
    if (s.has(2) && (!s.isConst(2) || fold.scalarValue(s.konst(2), `${s.where}, input 2 (training_mode) '${s.input(2)}'`) !== 0)) return s.unsupported('Dropout training_mode');
  }
  if (s.isConst(0)) return s.define(s.konst(0));
  s.emit('dropout', [s.input(0)], ratio === undefined ? {} : { ratio });
};

const identity: Handler = (s) => {
  if (s.isConst(0)) return s.define(s.konst(0));
  s.emit('identity', [s.input(0)], {});
};

const pad: Handler = (s) => {
  const mode = s.attrs.string('mode', 'constant');
  if (mode !== 'constant') return s.unsupported(`Pad mode '${mode}'`);
  const rank = s.shape(0).length;
  let pads: number[] | undefined;
  let value = 0;
  if (s.opset < 11) {
    pads = s.attrs.ints('pads') ?? s.attrs.ints('paddings'); // 'paddings' in opset 1
    value = s.attrs.float('value', 0);
    if (!pads) return s.invalid("attribute 'pads' is required before opset 11");
  } else {
    pads = s.constInts(1);
    if (!pads) return s.unsupported('Pad with computed pads');
    if (s.has(2)) {
      if (!s.isConst(2)) return s.unsupported('Pad with a computed value');
      value = fold.scalarValue(s.konst(2), `${s.where}, input 2 (constant_value) '${s.input(2)}'`);
    }
    if (s.has(3)) {
      const axes = s.constInts(3);
      if (!axes) return s.unsupported('Pad with computed axes');
      if (pads.length !== 2 * axes.length) return s.invalid(`input 1 (pads) holds ${pads.length} values for the ${axes.length} axes of input 3 (axes); expected ${2 * axes.length} (a begin and an end per axis)`);
      const full = new Array<number>(2 * rank).fill(0);
      axes.forEach((a, k) => {
        const ax = fold.normAxis(a, rank, s.where);
        full[ax] = pads![k];
        full[ax + rank] = pads![k + axes.length];
      });
      pads = full;
    }
  }
  if (pads.length !== 2 * rank) return s.invalid(`pads hold ${pads.length} values, but the rank-${rank} input '${s.input(0)}' needs ${2 * rank} (a begin and an end per axis)`);
  s.emit('pad', [s.input(0)], { pads, value });
};

const constant: Handler = (s) => {
  const a = s.attrs;
  const t = a.tensor('value');
  if (t) return s.define(tensorFromMessage(t, `${s.where}, attribute 'value'`));
  const f = a.float('value_float');
  if (f !== undefined) return s.define({ dtype: DataType.FLOAT, shape: [], data: Float32Array.of(f) });
  const fs = a.floats('value_floats');
  if (fs) return s.define({ dtype: DataType.FLOAT, shape: [fs.length], data: Float32Array.from(fs) });
  const i = a.int('value_int');
  if (i !== undefined) return s.define({ dtype: DataType.INT64, shape: [], data: Float64Array.of(i) });
  const is = a.ints('value_ints');
  if (is) return s.define({ dtype: DataType.INT64, shape: [is.length], data: Float64Array.from(is) });
  const other = s.msg.attribute[0]?.name;
  if (other) return s.unsupported(`Constant ${other}`);
  s.invalid('has no value attribute (one of value, value_float, value_floats, value_int, value_ints)');
};

const constantOfShape: Handler = (s) => {
  const dims = s.constInts(0);
  if (!dims) return s.unsupported('ConstantOfShape of a computed shape');
  const shape = checkedShape(dims, s.where, s.im.foldLimit);
  const t = s.attrs.tensor('value');
  const v = t ? tensorFromMessage(t, `${s.where}, attribute 'value'`) : { dtype: DataType.FLOAT, shape: [1], data: Float32Array.of(0) };
  if (v.data.length !== 1) return s.invalid(`attribute 'value' must hold one element, found shape [${v.shape.join(', ')}]`);
  const data = fold.allocFor(v.dtype, elementCount(shape)).fill(v.data[0]);
  s.define({ dtype: v.dtype, shape, data });
};

const shape: Handler = (s) => {
  const dims = s.shape(0);
  const r = dims.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = s.opset >= 15 ? clamp(s.attrs.int('start', 0)) : 0;
  const end = s.opset >= 15 ? clamp(s.attrs.int('end', r)) : r;
  const out = dims.slice(start, Math.max(start, end));
  s.define({ dtype: DataType.INT64, shape: [out.length], data: Float64Array.from(out) });
};

const gather: Handler = (s) => {
  if (!s.isConst(0) || !s.isConst(1)) return s.unsupported('Gather of a computed tensor');
  s.define(fold.gather(s.konst(0), s.konst(1), s.attrs.int('axis', 0), s.where, s.im.foldLimit));
};

const slice: Handler = (s) => {
  if (!s.isConst(0)) return s.unsupported('Slice of a computed tensor');
  const data = s.konst(0);
  let starts: number[] | undefined;
  let ends: number[] | undefined;
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (s.opset < 10) {
    starts = s.attrs.ints('starts');
    ends = s.attrs.ints('ends');
    axes = s.attrs.ints('axes');
  } else {
    starts = s.constInts(1);
    ends = s.constInts(2);
    if (s.has(3)) axes = s.constInts(3) ?? [NaN];
    if (s.has(4)) steps = s.constInts(4) ?? [NaN];
    if (!starts || !ends || axes?.some(Number.isNaN) || steps?.some(Number.isNaN)) return s.unsupported('Slice with computed bounds');
  }
  if (!starts || !ends) return s.invalid("attributes 'starts' and 'ends' are required before opset 10");
  axes ??= starts.map((_, i) => i);
  steps ??= starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    return s.invalid(`starts, ends, axes and steps must have the same length, found ${starts.length}, ${ends.length}, ${axes.length} and ${steps.length}`);
  }
  s.define(fold.slice(data, starts, ends, axes, steps, s.where));
};

const castOp: Handler = (s) => {
  const to = s.attrs.int('to');
  if (to === undefined) return s.invalid("attribute 'to' is required");
  if (!s.isConst(0)) {
    if (to === DataType.FLOAT) return s.emit('identity', [s.input(0)], {});
    return s.unsupported(`Cast to ${dataTypeName(to)}`);
  }
  if (!fold.canCastTo(to)) return s.unsupported(`Cast to ${dataTypeName(to)}`);
  s.define(fold.cast(s.konst(0), to));
};

/**
 * The inputs of an op as its opset defines them: their names in the ONNX operator docs
 * (for messages), and how many lead the list as required. The rest are optional: skipped
 * with '' or left off the end. Concat's inputs are variadic, each required.
 */
interface InputSpec {
  readonly names: readonly string[];
  readonly required: number;
  readonly variadic?: boolean;
}

function inputSpec(op: string, opset: number): InputSpec {
  const spec = (names: string, required?: number): InputSpec => {
    const list = names ? names.split(' ') : [];
    return { names: list, required: required ?? list.length };
  };
  switch (op) {
    case 'Constant': return spec('');
    case 'Conv': return spec('X W B', 2);
    case 'Gemm': return spec('A B C', 2);
    case 'MatMul': case 'Add': case 'Mul': case 'Sub': case 'Div': return spec('A B');
    case 'Gather': return spec('data indices');
    case 'BatchNormalization': return spec(opset < 14 ? 'X scale B mean var' : 'X scale B input_mean input_var');
    case 'Concat': return { names: ['inputs'], required: 1, variadic: true };
    case 'Reshape': return spec(opset < 5 ? 'data' : 'data shape');
    case 'Squeeze': return opset < 13 ? spec('data') : spec('data axes', 1);
    case 'Unsqueeze': return spec(opset < 13 ? 'data' : 'data axes');
    case 'Clip': return opset < 11 ? spec('input') : spec('input min max', 1);
    case 'Dropout': return opset < 12 ? spec('data') : spec('data ratio training_mode', 1);
    case 'Pad': return opset < 11 ? spec('data') : spec(opset < 18 ? 'data pads constant_value' : 'data pads constant_value axes', 2);
    case 'Slice': return opset < 10 ? spec('data') : spec('data starts ends axes steps', 3);
    case 'Relu': case 'LeakyRelu': case 'Sigmoid': case 'LRN': case 'MaxPool': case 'AveragePool':
    case 'GlobalAveragePool': case 'GlobalMaxPool': return spec('X');
    case 'Shape': return spec('data');
    default: return spec('input'); // Tanh, Softmax, Flatten, Identity, ConstantOfShape, Cast
  }
}

/**
 * Checks a node's inputs against its op's {@link inputSpec}: not too many, and no
 * required one missing or skipped with ''. (An optional input skipped with '' is fine.)
 */
function checkInputs(s: Step): void {
  const { names, required, variadic } = inputSpec(s.msg.op_type, s.opset);
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

/** Every ONNX op type (default domain) webconv imports. */
const HANDLERS: Record<string, Handler> = {
  Conv: conv,
  MaxPool: pool('maxpool'),
  AveragePool: pool('avgpool'),
  GlobalAveragePool: globalPool('globalavgpool'),
  GlobalMaxPool: globalPool('globalmaxpool'),
  Gemm: gemm,
  MatMul: matmul,
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeeze('Squeeze'),
  Unsqueeze: squeeze('Unsqueeze'),
  Relu: unary('relu'),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  LeakyRelu: unary('leakyrelu', (s) => ({ alpha: s.attrs.float('alpha', 0.01) })),
  Clip: clip,
  LRN: lrn,
  BatchNormalization: batchnorm,
  Add: arithmetic('Add'),
  Mul: arithmetic('Mul'),
  Sub: arithmetic('Sub'),
  Div: arithmetic('Div'),
  Concat: concat,
  Softmax: softmax,
  Dropout: dropout,
  Identity: identity,
  Pad: pad,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Shape: shape,
  Gather: gather,
  Slice: slice,
  Cast: castOp,
};

/** The ONNX op types (default domain) {@link importOnnx} maps or folds. */
export const SUPPORTED_ONNX_OPS: readonly string[] = Object.keys(HANDLERS).sort();
