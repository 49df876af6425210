// f32 fully connected: Y[n, m] = act(sum_k W[m, k] * X[n, k] + bias[m]), as XNNPACK lays it
// out: a GEMM with A = X (rows = the batch, one splat of X[n, k] per k) and B = W packed at
// compile time into panels of 8 output channels (packFcWeights, src/backends/wasm/kernels/fc.ts):
// per panel its 8 biases, then K rows of 8 weights, zero past M. Per panel, the batch goes
// through the micro-kernels of assembly/gemm-ukernel.ts four rows at a time (the panel is
// read from cache by every group of rows), the last one to three rows by the 1x8 kernel (one
// row) or the 4x8 kernel with its extra rows clamped. At batch 1 this is the matrix-vector
// product bound by reading W once, which 1x8 streams.
import { f32_gemm_ukernel_1x8, f32_gemm_ukernel_4x8 } from './gemm-ukernel';
import { activate, pf, pi, pp } from './params';
import { Fc } from './params.generated';

// Parameter block: Fc (assembly/params.json). The share of the work this call does: the
// panels [PANEL0, PANEL1).

@inline const MR = 4;
@inline const NR = 8;

/** f32_fc_4x8__wasmsimd: panels of 8 output channels (threads split them) by rows of 4 (or 1) inputs. */
export function f32_fc_4x8__wasmsimd(p: usize): void {
  const x = pp(p, Fc.X), w = pp(p, Fc.W), y = pp(p, Fc.Y), block = pp(p, Fc.BLOCK);
  const batch = pi(p, Fc.N), Kd = pi(p, Fc.K), Md = pi(p, Fc.M), act = pi(p, Fc.ACT);
  const a0 = f32x4.splat(pf(p, Fc.A0)), a1 = f32x4.splat(pf(p, Fc.A1));
  const xRow = <usize>Kd << 2, yRow = <usize>Md << 2;
  const panelBytes = <usize>(Kd + 1) * (NR * 4);
  const panel1 = pi(p, Fc.PANEL1);
  for (let j = pi(p, Fc.PANEL0); j < panel1; j++) {
    const panel = w + <usize>j * panelBytes;
    const m0 = j * NR;
    const cols = min(NR, Md - m0);
    const vb0 = v128.load(panel), vb1 = v128.load(panel, 16);
    for (let n = 0; n < batch; n += MR) {
      const rows = min(MR, batch - n);
      const xn = x + <usize>n * xRow;
      if (rows == 1) f32_gemm_ukernel_1x8(Kd, xn, 4, panel + NR * 4, NR * 4, block);
      else f32_gemm_ukernel_4x8(rows, Kd, xn, xRow, 4, panel + NR * 4, NR * 4, block, false);
      for (let r = 0; r < rows; r++) {
        const row = block + (<usize>r << 5);
        const v0 = activate(f32x4.add(v128.load(row), vb0), act, a0, a1);
        const v1 = activate(f32x4.add(v128.load(row, 16), vb1), act, a0, a1);
        const yr = y + <usize>(n + r) * yRow + (<usize>m0 << 2);
        if (cols == NR) {
          v128.store(yr, v0);
          v128.store(yr, v1, 16);
        } else {
          // The last panel of an M not divisible by 8: its valid columns only.
          v128.store(row, v0);
          v128.store(row, v1, 16);
          for (let c = 0; c < cols; c++) store<f32>(yr + (<usize>c << 2), load<f32>(row + (<usize>c << 2)));
        }
      }
    }
  }
}
