import { opDef } from '../ops/registry.js';
import { GraphError } from './errors.js';
import type { Graph, GraphInput, Initializer, Node, OpType, Shape } from './graph.js';
import { finalizeGraph } from './validate.js';
import { seedFor } from './weight-init.js';

/** A size given once for both axes, or as [h, w]. */
export type Size2 = number | readonly [number, number];
/** Padding: one number, [h, w] (symmetric per axis), or [top, left, bottom, right]. */
export type Padding = number | readonly [number, number] | readonly [number, number, number, number];

export interface ConvOptions {
  stride?: Size2;
  pad?: Padding;
  dilation?: Size2;
  groups?: number;
  /** Default true; torchvision's convs followed by batch norm have none. */
  bias?: boolean;
}

export interface PoolOptions {
  /** Default: the kernel size, as in PyTorch. */
  stride?: Size2;
  pad?: Padding;
  ceilMode?: boolean;
  /** Average pooling only. PyTorch's default (true). */
  countIncludePad?: boolean;
}

export interface LrnOptions {
  size?: number;
  alpha?: number;
  beta?: number;
  bias?: number;
}

function size2(v: Size2): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

function pads4(p: Padding): [number, number, number, number] {
  if (typeof p === 'number') return [p, p, p, p];
  if (p.length === 2) return [p[0], p[1], p[0], p[1]];
  return [p[0], p[1], p[2], p[3]];
}

/**
 * A tensor under construction. Its methods add the next layer and read like the
 * architecture: `x.conv('conv1', 96, 11, { stride: 4 }).relu().maxpool('pool1', 3, { stride: 2 })`.
 * Elementwise ops (relu, bn, add, ...) join the row of the layer they follow.
 */
export class Tensor {
  constructor(
    private readonly b: GraphBuilder,
    readonly name: string,
    /** The cost-table row whose output this tensor is. */
    readonly layer: string,
    readonly shape: Shape,
  ) {}

  get channels(): number {
    return this.shape[1];
  }

  conv(name: string, outChannels: number, kernel: Size2, o: ConvOptions = {}): Tensor {
    const [kh, kw] = size2(kernel);
    const groups = o.groups ?? 1;
    const cin = this.channels;
    const fanIn = (cin / groups) * kh * kw;
    const bound = Math.sqrt(6 / fanIn); // He-uniform: variance 2 / fan-in
    const inputs = [this.name, this.b.weight(`${name}.weight`, [outChannels, cin / groups, kh, kw], -bound, bound)];
    if (o.bias ?? true) {
      const bb = 1 / Math.sqrt(fanIn);
      inputs.push(this.b.weight(`${name}.bias`, [outChannels], -bb, bb));
    }
    return this.b.node(name, 'conv2d', inputs, name, {
      kernel: [kh, kw],
      stride: size2(o.stride ?? 1),
      pads: pads4(o.pad ?? 0),
      dilation: size2(o.dilation ?? 1),
      groups,
    });
  }

  maxpool(name: string, kernel: Size2, o: PoolOptions = {}): Tensor {
    return this.b.node(name, 'maxpool', [this.name], name, poolAttrs(kernel, o));
  }

  avgpool(name: string, kernel: Size2, o: PoolOptions = {}): Tensor {
    return this.b.node(name, 'avgpool', [this.name], name, {
      ...poolAttrs(kernel, o),
      countIncludePad: o.countIncludePad ?? true,
    });
  }

  globalAvgPool(name: string): Tensor {
    return this.b.node(name, 'globalavgpool', [this.name], name, {});
  }

  flatten(name = 'flatten'): Tensor {
    return this.b.node(name, 'flatten', [this.name], name, { axis: 1 });
  }

  /** Fully connected layer; flattens an NCHW input first (in this row, at no cost). */
  fc(name: string, outFeatures: number, o: { bias?: boolean } = {}): Tensor {
    const x = this.shape.length === 2 ? this : this.b.node(`${name}.flatten`, 'flatten', [this.name], name, { axis: 1 });
    const cin = x.shape[1];
    const bound = Math.sqrt(6 / cin);
    const inputs = [x.name, this.b.weight(`${name}.weight`, [outFeatures, cin], -bound, bound)];
    if (o.bias ?? true) inputs.push(this.b.weight(`${name}.bias`, [outFeatures], -1 / Math.sqrt(cin), 1 / Math.sqrt(cin)));
    return this.b.node(name, 'fc', inputs, name, {});
  }

  relu(): Tensor {
    return this.elementwise('relu', [this.name], {});
  }

  relu6(): Tensor {
    return this.elementwise('relu6', [this.name], { min: 0, max: 6 }, 'clip');
  }

  tanh(): Tensor {
    return this.elementwise('tanh', [this.name], {});
  }

  sigmoid(): Tensor {
    return this.elementwise('sigmoid', [this.name], {});
  }

  softmax(): Tensor {
    return this.elementwise('softmax', [this.name], {});
  }

  dropout(ratio = 0.5): Tensor {
    return this.elementwise('dropout', [this.name], { ratio });
  }

  /** Local response normalisation; defaults are AlexNet's (size 5, alpha 1e-4, beta 0.75, k 2). */
  lrn(o: LrnOptions = {}): Tensor {
    return this.elementwise('lrn', [this.name], { size: o.size ?? 5, alpha: o.alpha ?? 1e-4, beta: o.beta ?? 0.75, bias: o.bias ?? 2 });
  }

  /** Batch norm with seeded, non-trivial statistics; PyTorch's epsilon by default. */
  bn(epsilon = 1e-5): Tensor {
    const c = this.channels;
    const base = `${this.layer}.bn`;
    const stem = this.b.uniqueName(base);
    const inputs = [
      this.name,
      this.b.weight(`${stem}.weight`, [c], 0.5, 1.5),
      this.b.weight(`${stem}.bias`, [c], -0.2, 0.2),
      this.b.weight(`${stem}.running_mean`, [c], -0.2, 0.2, false),
      this.b.weight(`${stem}.running_var`, [c], 0.5, 1.5, false),
    ];
    return this.b.node(stem, 'batchnorm', inputs, this.layer, { epsilon });
  }

  /** Residual connection: this + other, in this tensor's row. */
  add(other: Tensor): Tensor {
    return this.elementwise('add', [this.name, other.name], {});
  }

  /** this * other, broadcast (NumPy rules): a squeeze-and-excitation scale [N, C, 1, 1] over [N, C, H, W]. */
  mul(other: Tensor): Tensor {
    return this.elementwise('mul', [this.name, other.name], {});
  }

  /** HardSigmoid: clip(alpha * x + beta, 0, 1); PyTorch's nn.Hardsigmoid is alpha 1/6, beta 0.5 (ONNX's defaults are 0.2, 0.5). */
  hardsigmoid(alpha = 1 / 6, beta = 0.5): Tensor {
    return this.elementwise('hardsigmoid', [this.name], { alpha, beta });
  }

  /** HardSwish: x * relu6(x + 3) / 6 (MobileNetV3). */
  hardswish(): Tensor {
    return this.elementwise('hardswish', [this.name], {});
  }

  /** The 8-bit grid of `scale` and `zeroPoint` and back (ONNX QuantizeLinear -> DequantizeLinear). */
  qdq(scale: number, zeroPoint = 0, type: 'int8' | 'uint8' = 'int8'): Tensor {
    return this.elementwise('qdq', [this.name], { scale, zeroPoint, type });
  }

  /** GELU, exact (the Erf form): x * (1 + erf(x / sqrt 2)) / 2. */
  gelu(): Tensor {
    return this.elementwise('gelu', [this.name], {});
  }

  /** Channels [start, end) of an NCHW tensor (ShuffleNetV2's chunk). */
  channelSlice(name: string, start: number, end: number): Tensor {
    return this.b.node(this.b.uniqueName(name), 'slice', [this.name], this.layer, { starts: [start], ends: [end], axes: [1], steps: [1] });
  }

  /** ShuffleNet's channel shuffle: [N, g, C/g, H, W] transposed to [N, C/g, g, H, W], in groups g. */
  channelShuffle(groups: number): Tensor {
    return this.elementwise('shuffle', [this.name], { groups }, 'channelshuffle');
  }

  /**
   * Layer norm over the channels of an NCHW tensor, each pixel's C values alone (ConvNeXt's
   * LayerNorm2d, and its channels-last LayerNorm run channels-first), with a learned scale
   * and bias of C.
   */
  layerNorm2d(epsilon = 1e-6): Tensor {
    const c = this.channels;
    const stem = this.b.uniqueName(`${this.layer}.ln`);
    const inputs = [this.name, this.b.weight(`${stem}.weight`, [c], 0.5, 1.5), this.b.weight(`${stem}.bias`, [c], -0.2, 0.2)];
    return this.b.node(stem, 'layernorm', inputs, this.layer, { axis: 1, count: 1, epsilon });
  }

  /** this times a learned per-channel scale [C, 1, 1] (ConvNeXt's layer scale). */
  channelScale(): Tensor {
    const stem = this.b.uniqueName(`${this.layer}.gamma`);
    return this.b.node(stem, 'mul', [this.name, this.b.weight(`${stem}.scale`, [this.channels, 1, 1], 0.05, 0.15)], this.layer, {});
  }

  /** SiLU (swish): x * sigmoid(x). */
  silu(): Tensor {
    return this.mul(this.sigmoid());
  }

  private elementwise(suffix: string, inputs: string[], attrs: Record<string, unknown>, op: OpType = suffix as OpType): Tensor {
    return this.b.node(this.b.uniqueName(`${this.layer}.${suffix}`), op, inputs, this.layer, attrs);
  }
}

function poolAttrs(kernel: Size2, o: PoolOptions) {
  return {
    kernel: size2(kernel),
    stride: size2(o.stride ?? kernel),
    pads: pads4(o.pad ?? 0),
    dilation: [1, 1],
    ceilMode: o.ceilMode ?? false,
  };
}

/**
 * Builds a {@link Graph} layer by layer, inferring shapes as it goes, so a mistake is
 * reported at the line that makes it. Weights are declared with a seed, not generated:
 * building VGG-16 allocates nothing until its weights are asked for.
 *
 * @example
 * const b = new GraphBuilder('tiny');
 * const y = b.input('input', [1, 3, 32, 32]).conv('conv1', 8, 3, { pad: 1 }).relu()
 *   .globalAvgPool('pool').fc('fc', 10);
 * const graph = b.build([y]);
 */
export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly inits = new Map<string, Initializer>();
  private readonly inputs: GraphInput[] = [];
  private readonly shapes = new Map<string, Shape>();
  private readonly names = new Set<string>();
  private blockName: string | undefined;

  constructor(
    readonly name: string,
    readonly seed = 1,
  ) {}

  input(name: string, shape: Shape): Tensor {
    this.inputs.push({ name, shape });
    this.shapes.set(name, shape);
    return new Tensor(this, name, 'input', shape);
  }

  /** Nodes added inside `fn` form one composite row (an inception module, a residual block). */
  block<R>(name: string, fn: () => R): R {
    const outer = this.blockName;
    this.blockName = name;
    try {
      return fn();
    } finally {
      this.blockName = outer;
    }
  }

  /** Channel concatenation, the join of an inception module; a row of its own. */
  concat(name: string, parts: readonly Tensor[]): Tensor {
    return this.node(name, 'concat', parts.map((p) => p.name), name, { axis: 1 });
  }

  build(outputs: readonly Tensor[]): Graph {
    return finalizeGraph(this.name, this.inputs, outputs.map((o) => o.name), this.nodes, this.inits);
  }

  /** @internal */
  uniqueName(base: string): string {
    let name = base;
    for (let k = 2; this.names.has(name) || this.shapes.has(name); k++) name = `${base}${k}`;
    return name;
  }

  /** @internal */
  weight(name: string, shape: Shape, low: number, high: number, trainable = true): string {
    if (this.inits.has(name)) throw new GraphError(`graph '${this.name}': initializer '${name}' declared twice`);
    this.inits.set(name, { name, shape, trainable, init: { seed: seedFor(this.seed, name), low, high } });
    return name;
  }

  /** @internal Adds a node and infers its output shape now. */
  node(name: string, op: OpType, inputs: string[], layer: string, attrs: Record<string, unknown>): Tensor {
    if (this.names.has(name)) throw new GraphError(`graph '${this.name}': two nodes are named '${name}'`);
    const raw: Node = { name, op, inputs, outputs: [name], attrs, layer, ...(this.blockName ? { block: this.blockName } : {}) };
    const def = opDef(op);
    const node: Node = { ...raw, attrs: def.attrs(raw) };
    const inShapes = inputs.map((t) => this.shapes.get(t) ?? this.inits.get(t)!.shape);
    const [shape] = def.inferShapes(node, inShapes);
    this.names.add(name);
    this.nodes.push(node);
    this.shapes.set(name, shape);
    return new Tensor(this, name, layer, shape);
  }
}
