import { GraphError } from './errors.js';
import { seededValues, type WeightInit } from './weight-init.js';

/** A tensor shape, NCHW for images, [N, C] after flattening. */
export type Shape = readonly number[];

/** The ops of the IR. Each is declared once in `src/ops/`. */
export type OpType =
  | 'conv2d'
  | 'maxpool'
  | 'avgpool'
  | 'globalavgpool'
  | 'globalmaxpool'
  | 'fc'
  | 'flatten'
  | 'relu'
  | 'clip'
  | 'tanh'
  | 'sigmoid'
  | 'lrn'
  | 'batchnorm'
  | 'leakyrelu'
  | 'add'
  | 'mul'
  | 'concat'
  | 'softmax'
  | 'dropout'
  | 'identity'
  | 'pad'
  | 'reshape'
  | 'gemm'
  | 'hardsigmoid'
  | 'hardswish'
  | 'silu'
  | 'gelu'
  | 'erf'
  | 'sqrt'
  | 'qdq'
  | 'sub'
  | 'div'
  | 'pow'
  | 'reducemean'
  | 'reducesum'
  | 'reducemax'
  | 'layernorm'
  | 'matmul'
  | 'transpose'
  | 'slice'
  | 'channelshuffle'
  | 'invertedresidual'
  | 'qconv2d';

/**
 * One operation. Inputs and outputs name tensors; weights are inputs that name
 * initializers (as in ONNX), so an imported model and a zoo model look alike.
 */
export interface Node<A extends object = object> {
  readonly name: string;
  readonly op: OpType;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: A;
  /** The cost-table row (a layer: a main op and the elementwise ops that follow it). */
  readonly layer: string;
  /** The composite row (an inception module, a residual block) the layer belongs to. */
  readonly block?: string;
}

/** A constant tensor: a weight, a bias, batch-norm statistics. */
export interface Initializer {
  readonly name: string;
  readonly shape: Shape;
  /** Trainable parameters are counted as params; batch-norm running statistics are not. */
  readonly trainable: boolean;
  /** Values, when known (imported models, or after {@link Graph.weight}). */
  data?: Float32Array;
  /**
   * Bytes the model stores it in, when not 4 per value: a quantized model's int8 weights
   * (1 per value, plus their scales and zero points) and int32 biases. The cost model's
   * inference parameter memory counts these; the backends compute with the float32 values.
   */
  readonly storedBytes?: number;
  /**
   * The integer grid the float values were dequantized from (a quantized model's weights):
   * value = (q - zeroPoint[i]) * scale[i]. The int8 pass (src/plan/fuse-int8.ts) runs a conv
   * on the integers when its weights carry one, after checking the values lie on it.
   */
  readonly quantized?: QuantGrid;
  /** How to generate deterministic seeded values when `data` is absent. */
  readonly init?: WeightInit;
  /**
   * Computes the values on first use (weights rewritten by a graph pass, e.g. BN folding; ONNX
   * weights, decoded from the file when first asked for). `into`, when given, is an array of
   * the right length the values may be written to instead of a new one (a backend's reused
   * staging buffer: cold start); the values are returned either way.
   */
  readonly derive?: (into?: Float32Array) => Float32Array;
}

/** Scales and zero points of an integer tensor: one per tensor, or one per index along `axis`. */
export interface QuantGrid {
  readonly type: 'int8' | 'uint8' | 'int32';
  readonly scale: Float32Array;
  readonly zeroPoint: Float64Array;
  /** The axis the scales run along when there is more than one. */
  readonly axis: number;
}

export interface GraphInput {
  readonly name: string;
  readonly shape: Shape;
}

/** Number of elements of a shape. */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The values of an initializer: its data, or computed once (derived by a graph pass, or
 * generated from its seed) and kept. `init` undefined is a missing initializer.
 */
export function initializerValues(init: Initializer | undefined, name: string, graphName: string): Float32Array {
  if (!init) throw new GraphError(`graph '${graphName}': missing initializer '${name}'`);
  if (!init.data) {
    if (init.derive) init.data = init.derive();
    else if (init.init) init.data = seededValues(init.init, sizeOf(init.shape));
    else throw new GraphError(`graph '${graphName}': initializer '${name}' has no values`);
  }
  return init.data;
}

/**
 * A model: inputs, nodes in topological order, initializers and the inferred shape of
 * every tensor. Build one with {@link GraphBuilder} or import it from ONNX.
 */
export class Graph {
  readonly shapes = new Map<string, Shape>();

  constructor(
    readonly name: string,
    readonly inputs: readonly GraphInput[],
    readonly outputs: readonly string[],
    readonly nodes: readonly Node[],
    readonly initializers: ReadonlyMap<string, Initializer>,
  ) {}

  /** The inferred shape of a tensor (an input, an initializer or a node output). */
  shape(tensor: string): Shape {
    const s = this.shapes.get(tensor) ?? this.initializers.get(tensor)?.shape;
    if (!s) throw new GraphError(`graph '${this.name}': no tensor named '${tensor}'`);
    return s;
  }

  /** The values of an initializer, generated from its seed on first use. */
  weight(name: string): Float32Array {
    return initializerValues(this.initializers.get(name), name, this.name);
  }

  /** Total number of trainable parameters. */
  paramCount(): number {
    let n = 0;
    for (const i of this.initializers.values()) if (i.trainable) n += sizeOf(i.shape);
    return n;
  }
}
