/**
 * Typed errors. Every error webconv throws on bad input is a {@link WebconvError} with a
 * stable `code`, so callers (and the CLI) can tell a user mistake from a bug.
 */
export class WebconvError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An attribute of a node is out of range or of the wrong kind (e.g. a zero stride). */
export class AttributeError extends WebconvError {
  constructor(
    readonly node: string,
    readonly attribute: string,
    readonly expected: string,
    readonly found: unknown,
  ) {
    super('E_ATTRIBUTE', `node '${node}': attribute '${attribute}' must be ${expected}, found ${fmt(found)}`);
  }
}

/** Shape inference failed: the node, what was expected and what was found. */
export class ShapeError extends WebconvError {
  constructor(
    readonly node: string,
    readonly expected: string,
    readonly found: unknown,
    readonly attribute?: string,
  ) {
    super(
      'E_SHAPE',
      `node '${node}'${attribute ? ` (attribute '${attribute}')` : ''}: expected ${expected}, found ${fmt(found)}`,
    );
  }
}

/** The graph itself is malformed: unknown tensor, duplicate name, cycle, missing weight. */
export class GraphError extends WebconvError {
  constructor(message: string) {
    super('E_GRAPH', message);
  }
}

/** A caller-supplied option is invalid (unknown model, non-positive batch, bad input size). */
export class OptionError extends WebconvError {
  constructor(message: string) {
    super('E_OPTION', message);
  }
}

function fmt(v: unknown): string {
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  return String(v);
}

/**
 * A backend cannot run some nodes (and fallback was not asked for): it has no kernel for
 * their op, or its kernel does not support this node (a broadcast over too many axes, a
 * grid past the adapter's limits), each with the kernel's reason.
 */
export class UnsupportedOpError extends WebconvError {
  constructor(
    readonly backend: string,
    /** node name -> op type */
    readonly nodes: ReadonlyMap<string, string>,
    /** node name -> why the backend's kernel refuses it (absent: no kernel for the op) */
    readonly reasons: ReadonlyMap<string, string> = new Map(),
  ) {
    const missing = [...nodes].filter(([n]) => !reasons.has(n));
    const ops = [...new Set(missing.map(([, op]) => op))].sort();
    const names = missing.map(([n]) => n);
    const parts: string[] = [];
    if (missing.length) {
      parts.push(
        `no kernel for op${ops.length > 1 ? 's' : ''} ${ops.join(', ')} ` +
          `(node${names.length > 1 ? 's' : ''} ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''})`,
      );
    }
    const refused = [...reasons].map(([n, why]) => `node '${n}' (${nodes.get(n)}): ${why}`);
    if (refused.length) parts.push(`${refused.slice(0, 5).join('; ')}${refused.length > 5 ? `; and ${refused.length - 5} more` : ''}`);
    super('E_UNSUPPORTED', `backend '${backend}' cannot run ${nodes.size === 1 ? 'a node' : `${nodes.size} nodes`}: ${parts.join('; ')}; compile with { fallback: true } to run ${nodes.size === 1 ? 'it' : 'them'} on the reference backend`);
  }
}

/** This JavaScript engine lacks what a backend needs: WebAssembly SIMD, say. */
export class EngineError extends WebconvError {
  constructor(message: string) {
    super('E_ENGINE', message);
  }
}

/** Input given to a run does not match the model (unknown name, wrong shape or size). */
export class InputError extends WebconvError {
  constructor(message: string) {
    super('E_INPUT', message);
  }
}

/**
 * A model (at this batch) needs more than a limit allows: wasm32's 4 GiB memory, the GPU
 * adapter's largest buffer, the reference backend's arena. Thrown at compile, before the
 * large allocation; names the model, the figure and the limit.
 */
export class LimitError extends WebconvError {
  constructor(
    readonly model: string,
    /** What was measured, e.g. 'wasm memory (arena + weights + scratch)'. */
    readonly what: string,
    /** Bytes needed. */
    readonly figure: number,
    /** Bytes allowed. */
    readonly limit: number,
    advice = 'use a smaller batch or input size',
  ) {
    super('E_LIMIT', `model '${model}': ${what} needs ${formatBytes(figure)}, more than the ${formatBytes(limit)} allowed; ${advice}`);
  }
}

/** Bytes as MiB or GiB with the exact figure beside. */
export function formatBytes(n: number): string {
  const unit = n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${unit} (${n} bytes)`;
}

/** The executable was disposed, or its device was lost. */
export class ExecutableError extends WebconvError {
  constructor(message: string) {
    super('E_EXECUTABLE', message);
  }
}

/** A .npy file is malformed or holds something other than little-endian float32 in C order. */
export class NpyError extends WebconvError {
  constructor(message: string) {
    super('E_NPY', message);
  }
}

/** An IDX file (MNIST, Fashion-MNIST) is malformed or holds something other than unsigned bytes. */
export class IdxError extends WebconvError {
  constructor(message: string) {
    super('E_IDX', message);
  }
}

/** An image cannot be decoded or used: not PNG or JPEG, corrupt, empty, or absurdly large. */
export class ImageError extends WebconvError {
  constructor(message: string) {
    super('E_IMAGE', message);
  }
}

/** A model's metadata (input size, scaling, labels) is malformed or does not match the model. */
export class MetadataError extends WebconvError {
  constructor(message: string) {
    super('E_METADATA', message);
  }
}

/**
 * An ONNX model (or TensorProto) cannot be imported. `kind` tells a file that is broken
 * ('invalid': truncated, not ONNX, an undefined input, a cycle, a wrong attribute type)
 * from a valid model that uses what webconv lacks ('unsupported': an op, a data type, a
 * 3-D convolution, external data, training mode).
 */
export class OnnxError extends WebconvError {
  constructor(
    readonly kind: 'invalid' | 'unsupported',
    message: string,
  ) {
    super('E_ONNX', message);
  }
}

/**
 * WebGPU is unavailable or failed: no `navigator.gpu`, no adapter (and why: no SwiftShader
 * ICD, the `webgpu` package missing in Node), a device request refused, or a device lost.
 */
export class GpuError extends WebconvError {
  constructor(message: string) {
    super('E_GPU', message);
  }
}
