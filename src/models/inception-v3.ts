import { GraphBuilder, type Size2, type Padding, type Tensor } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import { resolveOptions, type ModelOptions } from './model-options.js';

/**
 * Inception v3 (Szegedy et al. 2016) in torchvision's layout, on 299x299, without the
 * auxiliary head: every conv is conv (no bias) + batch norm (eps 1e-3) + ReLU. Modules
 * A (35x35: a 5x5 branch and a 5x5 factorised into two 3x3), B (grid reduction to 17x17),
 * C (17x17: 7x7 factorised into 1x7 and 7x1), D (grid reduction to 8x8) and E (8x8:
 * 3x3 split into parallel 1x3 and 3x1) each form one composite row.
 */
export function inceptionV3(options: ModelOptions = {}): Graph {
  const o = resolveOptions(options, 299);
  const b = new GraphBuilder('inception-v3', o.seed);
  const conv = (x: Tensor, name: string, out: number, k: Size2, stride: Size2 = 1, pad: Padding = 0) =>
    x.conv(name, out, k, { stride, pad, bias: false }).bn(1e-3).relu();

  const A = (x: Tensor, id: string, poolFeatures: number) =>
    b.block(id, () =>
      b.concat(id, [
        conv(x, `${id}.1x1`, 64, 1),
        conv(conv(x, `${id}.5x5_1`, 48, 1), `${id}.5x5_2`, 64, 5, 1, 2),
        conv(conv(conv(x, `${id}.3x3dbl_1`, 64, 1), `${id}.3x3dbl_2`, 96, 3, 1, 1), `${id}.3x3dbl_3`, 96, 3, 1, 1),
        conv(x.avgpool(`${id}.pool`, 3, { stride: 1, pad: 1 }), `${id}.pool_proj`, poolFeatures, 1),
      ]),
    );
  const B = (x: Tensor, id: string) =>
    b.block(id, () =>
      b.concat(id, [
        conv(x, `${id}.3x3`, 384, 3, 2),
        conv(conv(conv(x, `${id}.3x3dbl_1`, 64, 1), `${id}.3x3dbl_2`, 96, 3, 1, 1), `${id}.3x3dbl_3`, 96, 3, 2),
        x.maxpool(`${id}.pool`, 3, { stride: 2 }),
      ]),
    );
  const C = (x: Tensor, id: string, c7: number) =>
    b.block(id, () => {
      const s7 = conv(conv(conv(x, `${id}.7x7_1`, c7, 1), `${id}.7x7_2`, c7, [1, 7], 1, [0, 3]), `${id}.7x7_3`, 192, [7, 1], 1, [3, 0]);
      let d = conv(x, `${id}.7x7dbl_1`, c7, 1);
      d = conv(d, `${id}.7x7dbl_2`, c7, [7, 1], 1, [3, 0]);
      d = conv(d, `${id}.7x7dbl_3`, c7, [1, 7], 1, [0, 3]);
      d = conv(d, `${id}.7x7dbl_4`, c7, [7, 1], 1, [3, 0]);
      d = conv(d, `${id}.7x7dbl_5`, 192, [1, 7], 1, [0, 3]);
      const p = conv(x.avgpool(`${id}.pool`, 3, { stride: 1, pad: 1 }), `${id}.pool_proj`, 192, 1);
      return b.concat(id, [conv(x, `${id}.1x1`, 192, 1), s7, d, p]);
    });
  const D = (x: Tensor, id: string) =>
    b.block(id, () => {
      const s3 = conv(conv(x, `${id}.3x3_1`, 192, 1), `${id}.3x3_2`, 320, 3, 2);
      let s7 = conv(x, `${id}.7x7x3_1`, 192, 1);
      s7 = conv(s7, `${id}.7x7x3_2`, 192, [1, 7], 1, [0, 3]);
      s7 = conv(s7, `${id}.7x7x3_3`, 192, [7, 1], 1, [3, 0]);
      s7 = conv(s7, `${id}.7x7x3_4`, 192, 3, 2);
      return b.concat(id, [s3, s7, x.maxpool(`${id}.pool`, 3, { stride: 2 })]);
    });
  const E = (x: Tensor, id: string) =>
    b.block(id, () => {
      const s3 = conv(x, `${id}.3x3_1`, 384, 1);
      const split3 = b.concat(`${id}.3x3`, [
        conv(s3, `${id}.3x3_2a`, 384, [1, 3], 1, [0, 1]),
        conv(s3, `${id}.3x3_2b`, 384, [3, 1], 1, [1, 0]),
      ]);
      const d = conv(conv(x, `${id}.3x3dbl_1`, 448, 1), `${id}.3x3dbl_2`, 384, 3, 1, 1);
      const splitD = b.concat(`${id}.3x3dbl`, [
        conv(d, `${id}.3x3dbl_3a`, 384, [1, 3], 1, [0, 1]),
        conv(d, `${id}.3x3dbl_3b`, 384, [3, 1], 1, [1, 0]),
      ]);
      const p = conv(x.avgpool(`${id}.pool`, 3, { stride: 1, pad: 1 }), `${id}.pool_proj`, 192, 1);
      return b.concat(id, [conv(x, `${id}.1x1`, 320, 1), split3, splitD, p]);
    });

  let x = b.input('input', [o.batch, 3, o.height, o.width]);
  x = conv(x, 'conv1', 32, 3, 2);
  x = conv(x, 'conv2', 32, 3);
  x = conv(x, 'conv3', 64, 3, 1, 1);
  x = x.maxpool('pool1', 3, { stride: 2 });
  x = conv(x, 'conv4', 80, 1);
  x = conv(x, 'conv5', 192, 3);
  x = x.maxpool('pool2', 3, { stride: 2 });
  x = A(x, 'mixed5b', 32);
  x = A(x, 'mixed5c', 64);
  x = A(x, 'mixed5d', 64);
  x = B(x, 'mixed6a');
  x = C(x, 'mixed6b', 128);
  x = C(x, 'mixed6c', 160);
  x = C(x, 'mixed6d', 160);
  x = C(x, 'mixed6e', 192);
  x = D(x, 'mixed7a');
  x = E(x, 'mixed7b');
  x = E(x, 'mixed7c');
  const y = x.globalAvgPool('avgpool').dropout(0.5).fc('fc1', 1000);
  return b.build([y]);
}
