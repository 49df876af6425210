/**
 * What crosses between a page and the worker that runs its model (worker-executable.ts on the
 * page, serve-worker.ts in the worker): requests by id, a graph as plain data, and typed
 * errors as their class name and fields, rebuilt on the page as the same class.
 */
import * as errors from '../graph/errors.js';
import { Graph, type GraphInput, type Initializer, type Node, type Shape } from '../graph/graph.js';
import type { WeightInit } from '../graph/weight-init.js';
import type { BackendInfo, MemoryReport, NodeTiming } from '../backends/backend.js';
import type { WasmCompileOptions } from '../backends/wasm/wasm-backend.js';
import type { WebgpuCompileOptions } from '../backends/webgpu/webgpu-backend.js';
import type { ModelMetadata } from '../models/metadata.js';
import type { OnnxImportOptions } from '../onnx/import.js';

/** A graph as structured-clonable data: initializers by value, or by seed when they have no values yet. */
export interface GraphData {
  readonly name: string;
  readonly inputs: readonly GraphInput[];
  readonly outputs: readonly string[];
  readonly nodes: readonly Node[];
  readonly initializers: readonly { name: string; shape: Shape; trainable: boolean; data?: Float32Array; init?: WeightInit }[];
  readonly shapes: ReadonlyMap<string, Shape>;
}

/** A backend's compile options that can cross to a worker: all but a GPU device, which stays in its thread. */
export type BackendOptions = Omit<WasmCompileOptions & WebgpuCompileOptions, 'gpu'>;

/** The model a worker compiles: a graph, or the bytes of an ONNX file it imports itself. */
export type ModelSource = { readonly graph: GraphData } | { readonly onnx: Uint8Array; readonly options?: OnnxImportOptions };

/** What the page asks of the worker; sent with an id its reply carries back. */
export type RequestBody =
  | { readonly type: 'compile'; readonly model: ModelSource; readonly backend: string; readonly options: BackendOptions; readonly metadata?: unknown }
  | { readonly type: 'run'; readonly inputs: Record<string, { shape: Shape; data: Float32Array }> }
  | { readonly type: 'counters'; readonly inputs: Record<string, { shape: Shape; data: Float32Array }> };
export type Request = RequestBody & { readonly id: number };

export interface Compiled {
  readonly inputs: readonly GraphInput[];
  readonly outputs: readonly { readonly name: string; readonly shape: Shape }[];
  readonly info: BackendInfo;
  readonly memory: MemoryReport;
  readonly counters: boolean;
  /** The metadata, checked against the model, when a classifier asked for it. */
  readonly metadata?: ModelMetadata;
}

export interface RunResult {
  readonly outputs: Record<string, { shape: Shape; data: Float32Array }>;
  readonly profile: NodeTiming[];
  readonly memory: MemoryReport;
}

export type Reply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: ErrorData };

/** An error as data: its class, name, message, stack and own fields (a typed error's `code`, `node`, `kind`, ...). */
export interface ErrorData {
  /** The class by its exported name ('InputError', 'TypeError'), which minifiers leave alone; undefined for another class. */
  readonly cls?: string;
  /** Whether the error is of that class itself, not of a subclass unknown to the page. */
  readonly exact?: boolean;
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly fields: Record<string, unknown>;
}

/**
 * A graph's data: its initializers' values are copied when they are views on a larger buffer
 * (an ONNX file decoded lazily: cloning a view clones its whole buffer), and sent by seed when
 * nothing has generated them yet (a zoo model: a few numbers instead of megabytes).
 */
export function graphToData(graph: Graph): GraphData {
  const initializers = [...graph.initializers.values()].map((i: Initializer) => {
    const base = { name: i.name, shape: i.shape, trainable: i.trainable };
    if (!i.data && !i.derive && i.init) return { ...base, init: i.init };
    const data = graph.weight(i.name);
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    return { ...base, data: whole ? data : data.slice() };
  });
  return { name: graph.name, inputs: graph.inputs, outputs: graph.outputs, nodes: graph.nodes, initializers, shapes: graph.shapes };
}

/** The graph again, with the shapes it was sent with (validated and inferred once, on the page). */
export function graphFromData(d: GraphData): Graph {
  const initializers = new Map<string, Initializer>(d.initializers.map((i) => [i.name, { ...i }]));
  const graph = new Graph(d.name, d.inputs, d.outputs, d.nodes, initializers);
  for (const [name, shape] of d.shapes) graph.shapes.set(name, shape);
  return graph;
}

type ErrorClass = new (...args: never[]) => Error;

/**
 * The error classes a worker's error is rebuilt as: webconv's typed errors and JavaScript's
 * own, by the names they are exported as (a class's own `name` may be a minifier's).
 */
const CLASSES: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ...(Object.entries(errors) as [string, unknown][]).filter((e): e is [string, ErrorClass] => typeof e[1] === 'function' && e[1].prototype instanceof Error),
  ...Object.entries({ Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError }),
]);

/** An error thrown in the worker, as data that survives postMessage. */
export function errorToData(e: unknown): ErrorData {
  if (!(e instanceof Error)) return { cls: 'Error', exact: true, name: 'Error', message: String(e), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(e)) {
    const v = (e as unknown as Record<string, unknown>)[key];
    if (typeof v !== 'function' && key !== 'name' && key !== 'message' && key !== 'stack') fields[key] = v;
  }
  // The nearest class the page knows: a subclass of WebconvError declared elsewhere crosses as a WebconvError.
  let cls: string | undefined;
  let depth = 0;
  for (let proto: object | null = Object.getPrototypeOf(e) as object | null; proto; proto = Object.getPrototypeOf(proto) as object | null, depth++) {
    cls = [...CLASSES].find(([, c]) => c.prototype === proto)?.[0];
    if (cls) break;
  }
  const exact = depth === 0;
  return { cls, exact, name: e.name, message: e.message, stack: e.stack, fields };
}

/**
 * The error again, of the class it was thrown as (so `instanceof InputError` holds on the
 * page), with its fields; a class unknown here becomes a {@link errors.WebconvError} when it
 * has a code, else an Error, with the name it had.
 */
export function errorFromData(d: ErrorData): Error {
  const cls = (d.cls === undefined ? undefined : CLASSES.get(d.cls)) ?? (typeof d.fields.code === 'string' ? errors.WebconvError : Error);
  // Reflect.construct with Error as the target makes a real Error (stack and all) whose
  // prototype is the class's, without calling the class's constructor and its own arguments.
  const e = Reflect.construct(Error, [d.message], cls) as Error;
  Object.assign(e, d.fields);
  const name = d.exact && d.cls !== undefined && CLASSES.has(d.cls) ? d.cls : d.name;
  Object.defineProperty(e, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  if (d.stack) e.stack = `${d.stack}\n    (in the worker)`;
  return e;
}
