import type { GraphBuilder, Tensor } from '../graph/builder.js';

/** One inverted residual as MobileNetV2/V3, MNASNet and EfficientNet write it. */
export interface InvertedResidualSpec {
  /** Channels of the expanded tensor; equal to the input's: no expand conv (expansion 1). */
  readonly expanded: number;
  readonly out: number;
  readonly kernel: number;
  readonly stride: number;
  /** The activation after the expand and depthwise convs (ReLU6, ReLU, hardswish, SiLU). */
  readonly act: (t: Tensor) => Tensor;
  /** The batch norm after each conv (PyTorch's default epsilon, or 1e-3 for V3 and EfficientNet). */
  readonly bn: (t: Tensor) => Tensor;
  /** Squeeze-and-excitation after the depthwise conv: the spatial mean, a 1x1 to `squeeze` channels, `act`, a 1x1 back, `gate`, the scale. */
  readonly se?: { readonly squeeze: number; readonly act: (t: Tensor) => Tensor; readonly gate: (t: Tensor) => Tensor };
}

/**
 * The block `id` (one composite row of the cost table): [1x1 expand + bn + act] -> k x k
 * depthwise + bn + act -> [squeeze-excite] -> linear 1x1 project + bn, plus the input where
 * the shape allows (stride 1, as many channels out as in). Layers are named `${id}.expand`,
 * `.dw`, `.se.pool`, `.se.fc1`, `.se.fc2`, `.project`, as torchvision's tables are compared.
 */
export function invertedResidual(b: GraphBuilder, input: Tensor, id: string, s: InvertedResidualSpec): Tensor {
  return b.block(id, () => {
    let y: Tensor = input;
    if (s.expanded !== input.channels) y = s.act(s.bn(y.conv(`${id}.expand`, s.expanded, 1, { bias: false })));
    y = s.act(s.bn(y.conv(`${id}.dw`, s.expanded, s.kernel, { stride: s.stride, pad: s.kernel >> 1, groups: s.expanded, bias: false })));
    if (s.se) {
      const gate = s.se.gate(s.se.act(y.globalAvgPool(`${id}.se.pool`).conv(`${id}.se.fc1`, s.se.squeeze, 1)).conv(`${id}.se.fc2`, s.expanded, 1));
      y = y.mul(gate);
    }
    y = s.bn(y.conv(`${id}.project`, s.out, 1, { bias: false }));
    return s.stride === 1 && input.channels === s.out ? y.add(input) : y;
  });
}
