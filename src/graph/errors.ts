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
