import type { Graph, Node } from '../graph/graph.js';
import { typed } from '../ops/attrs.js';

/**
 * Winograd F(4x4, 3x3), as the wasm backend runs it (src/backends/wasm/kernels/winograd.ts,
 * assembly/winograd.ts): which convs it runs, the multiplications it executes and the weight
 * bytes it stores. Declared here, once, so the cost model and the backend cannot disagree
 * about either. The lecture's FLOPs of those convs stay what they are (2 x 9 C per output);
 * these are the figures beside them.
 */

/** Shape of a conv as Winograd sees it (per image). */
export interface WinogradShape {
  C: number; H: number; W: number; M: number; OH: number; OW: number;
}

/** Whether F(4x4, 3x3) computes this conv: 3x3, stride 1, dilation 1, groups 1 (any padding). */
export function winogradComputes(node: Node): boolean {
  const n = typed(node);
  if (n.op !== 'conv2d') return false;
  const a = n.attrs;
  return a.kernel[0] === 3 && a.kernel[1] === 3 && a.stride[0] === 1 && a.stride[1] === 1 &&
    a.dilation[0] === 1 && a.dilation[1] === 1 && a.groups === 1;
}

/** A conv node's shape, per image. */
export function winogradShapeOf(node: Node, graph: Graph): WinogradShape {
  const [, C, H, W] = graph.shape(node.inputs[0]);
  const [, M, OH, OW] = graph.shape(node.outputs[0]);
  return { C, H, W, M, OH, OW };
}

/** Tiles of 4x4 outputs: per row, rows of them, and in all (per image). */
export function winogradTiles(s: { OH: number; OW: number }): { TW: number; TH: number; tiles: number } {
  const TW = Math.ceil(s.OW / 4), TH = Math.ceil(s.OH / 4);
  return { TW, TH, tiles: TW * TH };
}

/**
 * Whether Winograd is worth it for this shape (measured by bench/winograd.bench.mjs,
 * bench/results/winograd.json, one thread, direct / Winograd ratio of min times): it needs
 * input and output channels to spread its transforms over (the input transform is per tile
 * and input channel, the output transform per tile and output channel, while the saved
 * multiplications are per tile and both): VGG-16's first conv (3 -> 64 channels at 224x224)
 * ran 0.6-0.65x, 16 -> 32 channels at 28x28 1.5-1.6x. And it needs tiles to spread its
 * weights over: they are 4x the direct path's (36 per 3x3 kernel), streamed once per block
 * of tiles, and stored. ResNet's 7x7 layers of 512 channels (4 tiles) still ran 1.4-1.7x
 * faster, but for 28 MB more weights each (ResNet-18's weights would go from 45 to 153 MB
 * for some 3 ms a layer); with at least 16 tiles (outputs of 13x13 and up) the trade is
 * 0.5-10 ms saved per MB (2.3-3.6x on ResNet's 14x14 to 56x56 layers and VGG-16's).
 */
export function winogradPays(s: WinogradShape): boolean {
  return s.C >= 16 && s.M >= 16 && winogradTiles(s).tiles >= 16;
}

/** Whether the wasm backend runs this conv by Winograd when asked to where it pays (the default): F(4x4, 3x3) computes it and its shape pays. */
export function runsWinogradByDefault(node: Node, graph: Graph): boolean {
  return winogradComputes(node) && graph.initializers.has(node.inputs[1]) && winogradPays(winogradShapeOf(node, graph));
}

/**
 * Multiplications F(4x4, 3x3) executes for a conv (the elementwise products of the
 * transformed domain, summed over input channels: 36 C per 4x4 tile and output channel,
 * against the direct 16 x 9 C), for the whole batch; the transforms' few multiplications by
 * constants are not counted (they are additions, mostly). The kernel's MAC counter counts
 * the same products with its block padding (output channels rounded up to 4, tiles per block
 * to 8).
 */
export function winogradMultiplications(node: Node, graph: Graph): number {
  const s = winogradShapeOf(node, graph);
  const n = graph.shape(node.inputs[0])[0];
  return n * 36 * s.C * s.M * winogradTiles(s).tiles;
}

/**
 * Bytes Winograd's transformed weights add to a conv's: 36 values per (output, input) channel
 * pair instead of 9, output channels rounded up to 4 (the micro-kernel's panels).
 */
export function winogradExtraWeightBytes(node: Node, graph: Graph): number {
  const s = winogradShapeOf(node, graph);
  return (36 * s.C * Math.ceil(s.M / 4) * 4 - 9 * s.C * s.M) * 4;
}

/** The extra weight bytes of every conv a graph runs by Winograd on the wasm backend by default (its inference memory beside the cost model's weights). */
export function winogradExtraWeightBytesOf(graph: Graph): number {
  let bytes = 0;
  for (const node of graph.nodes) if (runsWinogradByDefault(node, graph)) bytes += winogradExtraWeightBytes(node, graph);
  return bytes;
}
