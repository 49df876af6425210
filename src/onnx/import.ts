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
 * This module is the driver; each op type's handler, with the inputs it takes, lives in
 * ./ops/ (the table: ./ops/index.ts), and what handlers see of a node is ./step.ts.
 *
 * This module must not import Node built-ins: it is part of the browser bundle.
 */
import { OnnxError, OptionError } from '../graph/errors.js';
import { sizeOf, type Graph, type GraphInput, type Initializer, type Node, type OpType, type Shape } from '../graph/graph.js';
import { finalizeGraph } from '../graph/validate.js';
import { opDef } from '../ops/registry.js';
import { nodeLabel } from './attributes.js';
import { handlerFor, HANDLERS, isDefaultDomain, MICROSOFT_HANDLERS } from './ops/index.js';
import { onEightBit } from './ops/qlinear.js';
import { DataType, dataTypeName, decodeModelProto, type GraphMessage, type ModelMessage, type NodeMessage, type TensorMessage } from './schema.js';
import { checkInputs, Step, toFloat32, type ImportContext } from './step.js';
import { checkedShape, lazyFloat32, MAX_ELEMENTS, tensorFromMessage, type ConstTensor } from './tensor-proto.js';

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
/**
 * The newest default-domain opset webconv reads; newer ones may have changed an op. Opsets 19
 * and 20 changed, of the ops imported here, only AveragePool (a `dilations` attribute, which
 * the pooling window already honours), Pad (mode 'wrap', refused as every non-constant mode
 * is), and Cast / Reshape / Constant / Shape / Identity / ConstantOfShape / ReduceMax (new
 * element types: float8 and bool, refused or folded as constants); opset 20 added Gelu.
 */
export const MAX_OPSET = 20;

/** Elementwise arithmetic, whose one-element constant operands are not counted as parameters. */
const ARITHMETIC: ReadonlySet<OpType> = new Set<OpType>(['add', 'sub', 'mul', 'div', 'pow']);

/**
 * Imports an ONNX model (the bytes of a `.onnx` file) as a webconv graph with inferred
 * shapes. Shape plumbing (Shape, Gather, Unsqueeze, Concat, ... on constants) is folded;
 * Gemm/MatMul with constant weights become `fc`; batch norm statistics are
 * non-trainable initializers; elementwise ops join the cost-table row of their producer.
 *
 * Float32 weights are not copied: the graph keeps views of `bytes` and decodes each when a
 * backend first asks for it (cold start). Changing `bytes` afterwards changes those weights;
 * pass a copy (`bytes.slice()`) if the buffer will be reused.
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

class Importer implements ImportContext {
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
  private readonly readers = new Map<string, NodeMessage[]>();
  readonly quantized: ImportContext['quantized'] = new Map();
  readonly eightBit: ImportContext['eightBit'] = new Map();
  private readonly nodes: Node[] = [];
  private readonly nodeNames = new Set<string>();
  private readonly inits = new Map<string, Initializer>();
  /** Every tensor name in the ONNX graph or created here, so a new name never collides. */
  private readonly taken = new Set<string>();
  /** Unsupported label -> node labels; tensors downstream of them are `poisoned`. */
  private readonly unsupported = new Map<string, string[]>();
  private readonly poisoned = new Set<string>();
  private readonly skipped = new Set<NodeMessage>();
  private readonly graphOutputs: ReadonlySet<string>;

  constructor(
    model: ModelMessage & { graph: GraphMessage },
    private readonly options: OnnxImportOptions,
    /** Most elements a folded constant may have. */
    readonly foldLimit: number,
  ) {
    this.graph = model.graph;
    this.model = model;
    this.name = options.name ?? (this.graph.name || 'onnx-model');
    this.graphOutputs = new Set(this.graph.output.map((o) => o.name));
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
      for (const t of new Set(n.input)) if (t) (this.readers.get(t) ?? this.readers.set(t, []).get(t)!).push(n);
      for (const t of n.output) this.taken.add(t);
    }
    const order = this.topologicalOrder();
    for (const n of order) if (!handlerFor(n.domain, n.op_type)) this.markUnsupported(n, opTypeLabel(n));

    let inputs: GraphInput[];
    let outputs: string[];
    try {
      const opset = defaultOpset(this.model);
      inputs = this.readInputs();
      this.checkOutputTypes();
      const readers = this.readerCounts(order);
      for (const msg of order) {
        this.importNode(msg, opset);
        this.releaseConsts(msg, readers);
      }
      outputs = this.readOutputs();
    } catch (e) {
      // The list of unsupported ops says more about a model than an error they lead to.
      throw this.unsupported.size ? this.unsupportedError() : e;
    }
    if (this.unsupported.size) throw this.unsupportedError();
    return finalizeGraph(this.name, inputs, outputs, this.nodes, this.inits);
  }

  private importNode(msg: NodeMessage, opset: number): void {
    if (this.skipped.has(msg)) return; // an op type with no mapping, marked above
    if (msg.input.some((t) => this.poisoned.has(t))) {
      for (const t of msg.output) if (t) this.poisoned.add(t);
      return;
    }
    const handler = handlerFor(msg.domain, msg.op_type)!;
    const step = new Step(this, msg, opset);
    checkInputs(step, handler);
    // An 8-bit tensor of the QOperator form reaches only the handlers that read one.
    if (!handler.reads8bit && msg.input.some((t) => this.eightBit.has(t))) return onEightBit(step, handler);
    handler.run(step);
  }

  /** How many nodes read each tensor (a node reading it twice counts once). */
  private readerCounts(order: readonly NodeMessage[]): Map<string, number> {
    const readers = new Map<string, number>();
    for (const n of order) for (const t of new Set(n.input)) if (t) readers.set(t, (readers.get(t) ?? 0) + 1);
    return readers;
  }

  /**
   * Forgets the decoded value of each constant `msg` was the last reader of. A weight that
   * became an initializer is held by the graph anyway; one that was rewritten (a MatMul's
   * weight, transposed for fc) would otherwise stay decoded beside its rewrite until the
   * import ends: a second copy of most of ConvNeXt's weights at the peak.
   */
  private releaseConsts(msg: NodeMessage, readers: Map<string, number>): void {
    for (const t of new Set(msg.input)) {
      if (!t) continue;
      const left = readers.get(t)! - 1;
      readers.set(t, left);
      if (left === 0 && !this.graphOutputs.has(t)) this.consts.delete(t);
    }
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

  isComputed(name: string): boolean {
    return this.runtime.has(name);
  }

  isUsed(name: string): boolean {
    return this.used.has(name);
  }

  isGraphOutput(name: string): boolean {
    return this.graphOutputs.has(name);
  }

  readersOf(name: string): readonly NodeMessage[] {
    return this.readers.get(name) ?? [];
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
    // An initializer no handler has read stays undecoded until a backend asks for it.
    const msg = this.consts.has(name) ? undefined : this.initMsgs.get(name);
    const lazy = msg && lazyFloat32(msg, `initializer '${name}'`);
    if (lazy) {
      this.inits.set(name, { name, shape: lazy.shape, trainable, derive: lazy.values });
      return name;
    }
    const c = this.konst(name, undefined);
    this.inits.set(name, { name, shape: c.shape, trainable, data: toFloat32(c, `${where}: input '${name}'`), ...(c.storedBytes !== undefined ? { storedBytes: c.storedBytes } : {}), ...(c.quantized ? { quantized: c.quantized } : {}) });
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
    // A one-element constant in arithmetic (the 0.5, 1 and sqrt 2 of torch's GELU, the 2 and
    // epsilon of its LayerNorm) is a constant of the formula, not a parameter of the model.
    const scalarOperand = (t: string) =>
      ARITHMETIC.has(op) && !this.runtime.has(t) && sizeOf(this.inits.get(t)?.shape ?? this.konst(t, undefined).shape) === 1;
    const irInputs = inputs.map((t, i) => this.materialize(t, !frozen.includes(i) && !scalarOperand(t), where));
    const name = fresh(base, this.nodeNames);
    const def = opDef(op);
    const producerLayer = this.layerOf.get(irInputs[0]);
    const layer = def.elementwise && producerLayer !== undefined ? producerLayer : name;
    const raw: Node = { name, op, inputs: irInputs, outputs: [output], attrs, layer };
    const node: Node = { ...raw, attrs: def.attrs(raw) };
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

/** The ONNX op types {@link importOnnx} maps or folds: the default domain's, then com.microsoft's as `com.microsoft.<op>`. */
export const SUPPORTED_ONNX_OPS: readonly string[] = [...Object.keys(HANDLERS).sort(), ...Object.keys(MICROSOFT_HANDLERS).sort().map((op) => `com.microsoft.${op}`)];
