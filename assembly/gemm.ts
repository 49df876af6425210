// General matrix product Y[M, N] = alpha * A' B' + beta * C (ONNX Gemm with a computed B or
// a transposed A; constant-weight layers go to fc), on the micro-kernels of
// assembly/gemm-ukernel.ts, 8 columns of B' at a time. B' is computed at run time, so the
// kernel packs what it cannot read in place into scratch as panels of 8 columns (K rows of
// 8, zero past N): every panel of a transposed B (its transpose), and the last panel of an
// N not divisible by 8. The other panels of a plain B are read where they are, a row of B
// apart: packing them too took 1 x 512 x 1000 from 0.063 to 0.127 ms (when M is 1, packing
// costs as much as the product). So no kernel reads past B's end, whatever N is. Per panel,
// the rows of A' four at a time (4x8; a last group of 2 or 3 rows clamps its A pointers to
// the last row, as XNNPACK does, and stores only its valid rows) or one (1x8). A' is read
// through its strides, so a transposed A costs nothing.
import { f32_gemm_ukernel_1x8, f32_gemm_ukernel_4x8 } from './gemm-ukernel';
import { pf, pi, pp } from './params';
import { Gemm } from './params.generated';

// Parameter block: Gemm (assembly/params.json, which notes what each field holds).

@inline const MR = 4;
@inline const NR = 8;

/**
 * Packs into bp the panels of B' (K x N; B stored N x K when transposed) the kernel cannot
 * read in place: all of them when transposed, else only the last one of an N not divisible
 * by 8. A panel is K rows of 8 floats, zero past N.
 */
function packB(b: usize, bp: usize, Kd: i32, Nc: i32, transB: bool): void {
  const panels = (Nc + NR - 1) / NR;
  let dst = bp;
  for (let j = transB ? 0 : Nc / NR; j < panels; j++) {
    const n0 = j * NR;
    const cols = min(NR, Nc - n0);
    memory.fill(dst, 0, <usize>Kd * NR * 4);
    for (let c = 0; c < cols; c++) {
      const n = n0 + c;
      // B'[k, n]: B[k, n] at (k*N + n), or B[n, k] at (n*K + k) when transposed.
      let src = b + ((transB ? <usize>n * <usize>Kd : <usize>n) << 2);
      const step = <usize>(transB ? 1 : Nc) << 2;
      let at = dst + (<usize>c << 2);
      for (let k = 0; k < Kd; k++, src += step, at += NR * 4) store<f32>(at, load<f32>(src));
    }
    dst += <usize>Kd * NR * 4;
  }
}

/** The epilogue of one row of a block: alpha * acc + beta * C, C's element (m, n) at c + (m*cm + n*cn) floats. */
@inline function epilogue(acc: v128, c: usize, cn: i32, alpha: v128, beta: v128): v128 {
  const r = f32x4.mul(acc, alpha);
  if (!c) return r;
  const vc = cn ? v128.load(c) : v128.load32_splat(c);
  return f32x4.add(r, f32x4.mul(vc, beta));
}

/** f32_gemm_4x8__wasmsimd */
export function f32_gemm_4x8__wasmsimd(p: usize): void {
  const a = pp(p, Gemm.A), c = pp(p, Gemm.C), y = pp(p, Gemm.Y), bp = pp(p, Gemm.BP), block = pp(p, Gemm.BLOCK);
  const Mr = pi(p, Gemm.M), Nc = pi(p, Gemm.N), Kd = pi(p, Gemm.K), sam = pi(p, Gemm.SAM), sak = pi(p, Gemm.SAK);
  const cm = pi(p, Gemm.CM), cn = pi(p, Gemm.CN);
  const salpha = pf(p, Gemm.ALPHA), sbeta = pf(p, Gemm.BETA);
  const alpha = f32x4.splat(salpha), beta = f32x4.splat(sbeta);
  const b = pp(p, Gemm.B), transB = pi(p, Gemm.TRANS_B) != 0;
  packB(b, bp, Kd, Nc, transB);
  const saRow = <usize>sam << 2, saK = <usize>sak << 2;
  const panels = (Nc + NR - 1) / NR;
  const panelBytes = <usize>Kd * (NR * 4);
  for (let j = 0; j < panels; j++) {
    const n0 = j * NR;
    const cols = min(NR, Nc - n0);
    // B'[k, n0..n0 + 8): in place, a row of B apart; or packed, 8 floats apart.
    const inPlace = !transB && cols == NR;
    const panel = inPlace ? b + (<usize>n0 << 2) : bp + (transB ? <usize>j * panelBytes : 0);
    const sbK = inPlace ? <usize>Nc << 2 : NR * 4;
    for (let m0 = 0; m0 < Mr; m0 += MR) {
      const rows = min(MR, Mr - m0);
      const am = a + <usize>m0 * saRow;
      if (rows == 1) f32_gemm_ukernel_1x8(Kd, am, saK, panel, sbK, block);
      else f32_gemm_ukernel_4x8(rows, Kd, am, saRow, saK, panel, sbK, block, false);
      for (let r = 0; r < rows; r++) {
        const m = m0 + r;
        const row = block + (<usize>r << 5);
        const yr = y + ((<usize>m * <usize>Nc + <usize>n0) << 2);
        const cr = c ? c + ((<usize>m * <usize>cm + <usize>n0 * <usize>cn) << 2) : 0;
        if (cols == NR) {
          v128.store(yr, epilogue(v128.load(row), cr, cn, alpha, beta));
          v128.store(yr, epilogue(v128.load(row, 16), cr ? cr + (<usize>cn << 4) : 0, cn, alpha, beta), 16);
        } else {
          // The last panel of an N not divisible by 8: its valid columns only.
          for (let q = 0; q < cols; q++) {
            let v = salpha * load<f32>(row + (<usize>q << 2));
            if (c) v += sbeta * load<f32>(cr + (<usize>(q * cn) << 2));
            store<f32>(yr + (<usize>q << 2), v);
          }
        }
      }
    }
  }
}
