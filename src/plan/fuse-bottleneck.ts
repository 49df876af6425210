/**
 * The bottleneck pass: MobileNetV2's inverted residual (and MobileNetV3's and MNASNet's
 * blocks without squeeze-excite, ShuffleNetV2's 1x1 -> depthwise -> 1x1 branch) found in an
 * optimised graph (BN folded, activations and the residual add in the conv epilogues) and
 * run as one `invertedresidual` node (src/ops/inverted-residual.ts), so a backend with a
 * fused kernel never holds the expanded tensor whole. Run by the backends that have the
 * kernel (wasm, WebGPU), after optimizeGraph; the others run the convs as they are. Where
 * squeeze-excite sits between depthwise and project (EfficientNet, MobileNetV3), only the
 * first half (expand -> depthwise) fuses.
 */
import type { Graph, Node } from '../graph/graph.js';
import { finalizeGraph } from '../graph/validate.js';
import { typed, type NodeOf } from '../ops/attrs.js';
import { onlyReader, Rewriter } from './rewriter.js';

export interface FusedBottlenecks {
  readonly graph: Graph;
  /** The fused nodes, each named after its project conv (the node giving the block's result). */
  readonly blocks: readonly string[];
  /** Expand -> depthwise fused without the projection (squeeze-excite between), named after the depthwise conv. */
  readonly halves: readonly string[];
}

/**
 * Rewrites every chain [1x1 conv] -> depthwise conv -> 1x1 conv [+ residual] whose
 * intermediate tensors have no other reader (and are no graph output) into one
 * invertedresidual node. The 1x1 convs must be plain (stride 1, no padding, one group), the
 * depthwise conv one output channel per input channel; every weight and bias a constant.
 * Without a qualifying expand conv before it, the depthwise conv reads the block's input
 * (expansion 1). A residual is fused only when it is the block's input. Then an expand conv
 * read only by a depthwise conv whose output goes elsewhere (squeeze-excite's pool and gate)
 * fuses with it alone (`project: false`): the expanded tensor goes, the depthwise output
 * stays whole for the squeeze-excite. Linear in the nodes.
 */
export function fuseBottlenecks(graph: Graph): FusedBottlenecks {
  const g = new Rewriter(graph.nodes);
  const outputs = new Set(graph.outputs);
  const constant = (t: string | undefined) => t !== undefined && graph.initializers.has(t);
  const conv = (i: number | undefined): NodeOf<'conv2d'> | undefined => {
    const n = i === undefined ? undefined : g.node(i);
    const t = n && typed(n);
    return t?.op === 'conv2d' ? t : undefined;
  };
  const pointwise = (c: NodeOf<'conv2d'>) => {
    const a = c.attrs;
    return a.kernel.every((k) => k === 1) && a.stride.every((s) => s === 1) && a.pads.every((p) => p === 0) && a.groups === 1 &&
      constant(c.inputs[1]) && constant(c.inputs[2]);
  };
  /** A depthwise conv with constant weights and bias, one output channel per input channel. */
  const depthwise = (dw: NodeOf<'conv2d'>) => {
    const ce = graph.shape(dw.inputs[0])[1];
    const wd = graph.shape(dw.inputs[1]);
    return dw.inputs.length === 3 && dw.attrs.groups === ce && ce >= 2 && wd[0] === ce && !dw.attrs.ceilMode && constant(dw.inputs[1]) && constant(dw.inputs[2]);
  };
  const blocks: string[] = [];
  const halves: string[] = [];
  for (const pi of g.indicesOf('conv2d')) {
    const project = conv(pi);
    if (!project || !pointwise(project)) continue;
    const di = g.producer(project.inputs[0]);
    const dw = conv(di);
    if (di === undefined || !dw || !depthwise(dw) || onlyReader(g, outputs, dw.outputs[0]) !== pi) continue;
    const ei = g.producer(dw.inputs[0]);
    const ex = conv(ei);
    const expand = ei !== undefined && ex !== undefined && ex.inputs.length === 3 && pointwise(ex) && onlyReader(g, outputs, ex.outputs[0]) === di;
    const x = expand ? ex!.inputs[0] : dw.inputs[0];
    const res = project.inputs[3];
    if (res !== undefined && res !== x) continue;
    const a = dw.attrs;
    const fused: Node = {
      name: project.name,
      op: 'invertedresidual',
      inputs: [x, ...(expand ? ex!.inputs.slice(1, 3) : []), dw.inputs[1], dw.inputs[2], project.inputs[1], project.inputs[2]],
      outputs: [project.outputs[0]],
      attrs: {
        kernel: a.kernel, stride: a.stride, pads: a.pads, dilation: a.dilation, expand, residual: res !== undefined,
        ...(expand && ex!.attrs.activation ? { expandActivation: ex!.attrs.activation } : {}),
        ...(a.activation ? { dwActivation: a.activation } : {}),
        ...(project.attrs.activation ? { projectActivation: project.attrs.activation } : {}),
      },
      // Its cost row is the block's: the three convs' FLOPs under the block's name.
      layer: project.block ?? project.layer,
      ...(project.block !== undefined ? { block: project.block } : {}),
    };
    g.replace(pi, fused);
    g.remove(di);
    if (expand) g.remove(ei!);
    blocks.push(project.name);
  }
  // Then the first halves: an expand conv whose only reader is a depthwise conv whose output
  // goes elsewhere than one plain 1x1 conv (squeeze-excite reads it twice: pool and gate).
  for (const di of g.indicesOf('conv2d')) {
    const dw = conv(di);
    if (!dw || !depthwise(dw)) continue;
    const ei = g.producer(dw.inputs[0]);
    const ex = conv(ei);
    if (ei === undefined || !ex || ex.inputs.length !== 3 || !pointwise(ex) || onlyReader(g, outputs, ex.outputs[0]) !== di) continue;
    const a = dw.attrs;
    g.replace(di, {
      name: dw.name,
      op: 'invertedresidual',
      inputs: [ex.inputs[0], ex.inputs[1], ex.inputs[2], dw.inputs[1], dw.inputs[2]],
      outputs: [dw.outputs[0]],
      attrs: {
        kernel: a.kernel, stride: a.stride, pads: a.pads, dilation: a.dilation, expand: true, residual: false, project: false,
        ...(ex.attrs.activation ? { expandActivation: ex.attrs.activation } : {}),
        ...(a.activation ? { dwActivation: a.activation } : {}),
      },
      layer: dw.layer,
      ...(dw.block !== undefined ? { block: dw.block } : {}),
    });
    g.remove(ei);
    halves.push(dw.name);
  }
  if (!blocks.length && !halves.length) return { graph, blocks, halves };
  return { graph: finalizeGraph(graph.name, graph.inputs, graph.outputs, g.nodes(), graph.initializers), blocks, halves };
}

/**
 * The inverse of {@link fuseBottlenecks}: every invertedresidual node back into its convs
 * ([1x1 expand] -> depthwise -> [1x1 project, the residual in its epilogue]), with the same
 * fused activations, so a backend without the fused kernel runs any graph that holds one
 * (WebGPU: the nodes its kernel has no tile for, or all of them when told not to fuse). Only
 * the nodes `lower` picks (default all). The same graph when there is none.
 */
export function lowerInvertedResiduals(graph: Graph, lower: (node: Node) => boolean = () => true): Graph {
  if (!graph.nodes.some((n) => n.op === 'invertedresidual' && lower(n))) return graph;
  const taken = new Set<string>([...graph.shapes.keys(), ...graph.initializers.keys(), ...graph.inputs.map((i) => i.name)]);
  const fresh = (base: string) => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}.${k}`;
    taken.add(name);
    return name;
  };
  const pointwise = { kernel: [1, 1], stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false, groups: 1 };
  const act = (a: unknown) => (a ? { activation: a } : {});
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    const t = typed(node);
    if (t.op !== 'invertedresidual' || !lower(node)) {
      nodes.push(node);
      continue;
    }
    const a = t.attrs;
    const [x, ...w] = node.inputs;
    const meta = { layer: node.layer, ...(node.block !== undefined ? { block: node.block } : {}) };
    let k = 0;
    let dwIn = x;
    if (a.expand) {
      dwIn = fresh(`${node.name}/expand:0`);
      nodes.push({ name: fresh(`${node.name}/expand`), op: 'conv2d', inputs: [x, w[k++], w[k++]], outputs: [dwIn], attrs: { ...pointwise, ...act(a.expandActivation) }, ...meta });
    }
    const ce = graph.shape(w[k])[0];
    const dwOut = a.project ? fresh(`${node.name}/depthwise:0`) : node.outputs[0];
    nodes.push({
      name: a.project ? fresh(`${node.name}/depthwise`) : node.name,
      op: 'conv2d',
      inputs: [dwIn, w[k++], w[k++]],
      outputs: [dwOut],
      attrs: { kernel: a.kernel, stride: a.stride, pads: a.pads, dilation: a.dilation, ceilMode: a.ceilMode, groups: ce, ...act(a.dwActivation) },
      ...meta,
    });
    if (a.project) {
      nodes.push({ name: node.name, op: 'conv2d', inputs: [dwOut, w[k++], w[k++], ...(a.residual ? [x] : [])], outputs: [node.outputs[0]], attrs: { ...pointwise, ...act(a.projectActivation) }, ...meta });
    }
  }
  return finalizeGraph(graph.name, graph.inputs, graph.outputs, nodes, graph.initializers);
}
