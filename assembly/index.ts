// webconv's wasm SIMD kernels: one module, built twice (plain SIMD, and relaxed SIMD with
// fused multiply-add). Kernels take a pointer to a parameter block and return nothing; no
// managed objects, no allocation: the host plans all memory.
export { f32_conv2d_gemm_4x8__wasmsimd, x32_im2col__wasm } from './conv2d';
export { f32_conv2d_winograd_4x8__wasmsimd } from './winograd';
export { f32_dwconv2d__wasmsimd } from './dwconv';
export { qu8_conv2d_gemm_4x8c2__wasmsimd, qu8_conv2d_winograd_2x2__wasmsimd, qu8_conv2d_winograd_4x4__wasmsimd, qu8_fc__wasmsimd, qu8_quantize__wasmsimd } from './qconv';
export { f32_invertedresidual_4x8__wasmsimd } from './bottleneck';
export { f32_fc_4x8__wasmsimd } from './fc';
export { f32_batchnorm__wasmsimd, f32_lrn__wasmsimd } from './normalization';
export { f32_gemm_4x8__wasmsimd } from './gemm';
export { f32_global_avgpool__wasmsimd, f32_global_maxpool__wasmsimd, f32_avgpool__wasmsimd, f32_maxpool__wasmsimd } from './pooling';
export { f32_softmax__wasmsimd } from './softmax';
export { f32_reduce__wasmsimd } from './reduce';
export { f32_layernorm__wasmsimd } from './layernorm';
export { f32_vadd_bcast__wasmsimd, f32_vmul_bcast__wasmsimd } from './binary';
export { f32_vdiv_bcast__wasmsimd, f32_vpow_bcast__wasmsimd, f32_vsub_bcast__wasmsimd } from './binary';
export { f32_verf__wasmsimd, f32_vgelu__wasmsimd, f32_vhardsigmoid__wasmsimd, f32_vhardswish__wasmsimd, f32_vsilu__wasmsimd, f32_vsqrt__wasmsimd, f32_vqdq__wasmsimd } from './unary';
export { f32_vclamp__wasmsimd, f32_vlrelu__wasmsimd, f32_vrelu__wasmsimd, f32_vsigmoid__wasmsimd, f32_vtanh__wasmsimd } from './unary';
export { x32_pad__wasmsimd } from './pad';
export { xx_copy_blocks__wasm, xx_copy_list__wasm } from './copy';
export { x32_gather_strided__wasm } from './layout';
export { f32_peak_madd16x4__wasmsimd, f32_stream_sum__wasmsimd, i32_peak_dot16x4__wasmsimd } from './peak';
export { mac_count, mac_reset } from './params';
