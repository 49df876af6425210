// For this file's own compilation only: TypeScript (5.5 and later) drops a reference directive
// from the emitted .d.ts unless it says preserve="true", and it must not say so. The public
// declarations below name no WebGPU global (see WebGpuGlobal), so dist/ type-checks for a
// consumer without @webgpu/types, and in Node with lib ES2022 + @types/node, where
// @webgpu/types itself does not compile (it needs DOM names: ImageBitmap, VideoFrame, ...).
/// <reference types="@webgpu/types" />
/**
 * Acquiring a WebGPU device: `navigator.gpu` in browsers and workers; in Node, Dawn from the
 * npm package `webgpu`, pointed at Debian chromium's SwiftShader (a conformant software
 * Vulkan device) when no Vulkan ICD is chosen. The context says plainly whether the adapter
 * is software, keeps the last uncaptured error and whether the device was lost.
 */
import { GpuError } from '../../graph/errors.js';

/** The limits a backend plans with; requested at the adapter's maximum. */
const SELECTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'minStorageBufferOffsetAlignment',
  'minUniformBufferOffsetAlignment',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

export type GpuLimits = { readonly [K in (typeof SELECTED_LIMITS)[number]]: number };

/** Features worth having when the adapter offers them (timestamps are checked before use). */
const WANTED_FEATURES: readonly GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups'];

/**
 * The type of the WebGPU global `K` (a flag namespace, or an interface's constructor) in the
 * program that uses webconv: @webgpu/types' when that program loads it (webconv depends on
 * it, so `"types": ["@webgpu/types"]` with the DOM lib is enough), else `Fallback`. Written
 * through `typeof globalThis`, never as a bare global name, so the shipped declarations
 * compile without @webgpu/types.
 */
type WebGpuGlobal<K extends string, Fallback> = K extends keyof typeof globalThis ? (typeof globalThis)[K] : Fallback;

/** The instances' type of the WebGPU interface `K` (`GPUDevice` ...), else `Fallback`. */
type WebGpuInstance<K extends string, Fallback> = WebGpuGlobal<K, undefined> extends { prototype: infer T } ? T : Fallback;

/** `GPUDevice` from @webgpu/types when the program has it, else an opaque object. */
export type WebGpuDevice = WebGpuInstance<'GPUDevice', object>;

/** `GPUBufferUsage`'s flags (values as the spec fixes them). */
export interface GpuBufferUsageFlags {
  readonly MAP_READ: number;
  readonly MAP_WRITE: number;
  readonly COPY_SRC: number;
  readonly COPY_DST: number;
  readonly INDEX: number;
  readonly VERTEX: number;
  readonly UNIFORM: number;
  readonly STORAGE: number;
  readonly INDIRECT: number;
  readonly QUERY_RESOLVE: number;
}

/** `GPUMapMode`'s flags. */
export interface GpuMapModeFlags {
  readonly READ: number;
  readonly WRITE: number;
}

/** `GPUShaderStage`'s flags. */
export interface GpuShaderStageFlags {
  readonly VERTEX: number;
  readonly FRAGMENT: number;
  readonly COMPUTE: number;
}

/** The flag namespaces, which Node's `webgpu` package exports instead of defining globals. */
export interface GpuFlags {
  readonly bufferUsage: WebGpuGlobal<'GPUBufferUsage', GpuBufferUsageFlags>;
  readonly mapMode: WebGpuGlobal<'GPUMapMode', GpuMapModeFlags>;
  readonly shaderStage: WebGpuGlobal<'GPUShaderStage', GpuShaderStageFlags>;
}

export interface GpuContext {
  /** A `GPUDevice`; typed as one when the program loads @webgpu/types (see {@link WebGpuDevice}). */
  readonly device: WebGpuDevice;
  /** e.g. "SwiftShader (software)" or "nvidia ampere". */
  readonly adapterName: string;
  /** A software adapter (SwiftShader, WARP, llvmpipe, a fallback adapter): correct, not fast. */
  readonly software: boolean;
  /** The device's enabled features, sorted. */
  readonly features: readonly string[];
  /** The WGSL language extensions of the adapter's `GPU` (`wgslLanguageFeatures`), sorted; none when the browser does not list them. */
  readonly wgslFeatures?: readonly string[];
  readonly limits: GpuLimits;
  readonly flags: GpuFlags;
  /** The last error no error scope caught, if any (a `GPUError`). */
  readonly lastError: WebGpuInstance<'GPUError', { readonly message: string }> | undefined;
  /** Set once the device is lost (reason 'destroyed' after {@link GpuContext.destroy}). */
  readonly lost: WebGpuInstance<'GPUDeviceLostInfo', { readonly reason: 'unknown' | 'destroyed'; readonly message: string }> | undefined;
  destroy(): void;
}

export interface AcquireOptions {
  /** `GPUPowerPreference`. */
  powerPreference?: 'low-power' | 'high-performance';
  /** Ask for the fallback (software) adapter. */
  forceFallbackAdapter?: boolean;
  /** Use this `GPU` instead of finding one (a test double, an OffscreenCanvas worker's). */
  gpu?: WebGpuInstance<'GPU', object>;
}

/** Where Debian's chromium ships SwiftShader's Vulkan ICD. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface NodeGpu {
  gpu: GPU;
  flags: GpuFlags;
}

let nodeGpu: Promise<NodeGpu> | undefined;

/**
 * Acquires a device. Throws {@link GpuError} saying why when there is no WebGPU, no
 * adapter, or the device request fails.
 *
 * @example
 * const gpu = await acquireDevice();
 * console.log(gpu.adapterName, gpu.software); // "SwiftShader (software)" true
 * gpu.destroy();
 */
export async function acquireDevice(options: AcquireOptions = {}): Promise<GpuContext> {
  const { gpu, flags, hint } = await findGpu(options.gpu);
  const adapter = await gpu.requestAdapter({
    ...(options.powerPreference ? { powerPreference: options.powerPreference } : {}),
    ...(options.forceFallbackAdapter ? { forceFallbackAdapter: true } : {}),
  });
  if (!adapter) throw new GpuError(`WebGPU found no adapter${hint ? `: ${hint}` : ''}`);

  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const k of SELECTED_LIMITS) requiredLimits[k] = adapter.limits[k];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: 'webconv', requiredFeatures, requiredLimits });
  } catch (e) {
    throw new GpuError(`the adapter refused a device: ${e instanceof Error ? e.message : String(e)}`);
  }

  let lastError: GPUError | undefined;
  let lost: GPUDeviceLostInfo | undefined;
  device.addEventListener('uncapturederror', (event) => {
    lastError = (event as GPUUncapturedErrorEvent).error;
  });
  void device.lost.then((info) => {
    lost = info;
  });

  const limits = {} as Record<(typeof SELECTED_LIMITS)[number], number>;
  for (const k of SELECTED_LIMITS) limits[k] = device.limits[k];
  const { name, software } = describeAdapter(adapter);
  return {
    device,
    adapterName: name,
    software,
    features: [...device.features].sort(),
    wgslFeatures: [...((gpu as { wgslLanguageFeatures?: Iterable<string> }).wgslLanguageFeatures ?? [])].sort(),
    limits,
    flags,
    get lastError() {
      return lastError;
    },
    get lost() {
      return lost;
    },
    destroy: () => device.destroy(),
  };
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|warp|software|basic render/i;

/** A plain name for the adapter, and whether it is software. */
export function describeAdapter(adapter: WebGpuInstance<'GPUAdapter', object>): { name: string; software: boolean } {
  // Fields read one by one: Dawn's GPUAdapterInfo holds them as getters (JSON.stringify
  // shows none). isFallbackAdapter moved from the adapter to its info in the spec.
  const info = adapter.info as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  const text = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ');
  const fallback = info.isFallbackAdapter === true || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const software = fallback || SOFTWARE.test(text);
  if (/swiftshader/i.test(text)) return { name: 'SwiftShader (software)', software: true };
  const base = [info.vendor, info.architecture, info.device].filter((s) => s).join(' ') || info.description || 'unknown adapter';
  return { name: software ? `${base} (software)` : base, software };
}

async function findGpu(given: GPU | undefined): Promise<NodeGpu & { hint?: string }> {
  const g = globalThis as { navigator?: { gpu?: GPU }; process?: { versions?: { node?: string } } };
  const browserFlags = (): GpuFlags => ({
    bufferUsage: GPUBufferUsage,
    mapMode: GPUMapMode,
    shaderStage: GPUShaderStage,
  });
  if (given) return { gpu: given, flags: browserFlags() };
  if (typeof g.process?.versions?.node === 'string') {
    nodeGpu ??= loadNodeGpu();
    try {
      return { ...(await nodeGpu), hint: nodeHint() };
    } catch (e) {
      nodeGpu = undefined;
      throw e;
    }
  }
  if (g.navigator?.gpu) return { gpu: g.navigator.gpu, flags: browserFlags() };
  throw new GpuError(
    'this environment has no navigator.gpu (WebGPU needs a secure context: https or http://127.0.0.1, ' +
      'and a browser with WebGPU enabled)',
  );
}

async function loadNodeGpu(): Promise<NodeGpu> {
  // Through process.getBuiltinModule (Node >= 20.16, Deno, Bun), not a dynamic import:
  // browser bundles then neither resolve nor pull these modules, and edge runtimes, which
  // refuse any module with a dynamic import, load this one.
  const node = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof node?.getBuiltinModule !== 'function') throw new GpuError('WebGPU in Node needs Node >= 20.16 (process.getBuiltinModule), with the npm package \'webgpu\' (Dawn)');
  const fs = node.getBuiltinModule('node:fs') as typeof import('node:fs');
  // The Vulkan loader reads VK_ICD_FILENAMES when Dawn creates its instance: set it first.
  if (!process.env.VK_ICD_FILENAMES) {
    const icd = findSwiftShaderIcd(fs);
    if (icd) process.env.VK_ICD_FILENAMES = icd;
  }
  let mod: { create(flags: string[]): GPU; globals: Record<string, unknown> };
  try {
    // 'webgpu' is an ES module without top-level await: Node (>= 20.19) and Bun require it.
    const { createRequire } = node.getBuiltinModule('node:module') as typeof import('node:module');
    mod = createRequire(import.meta.url)('webgpu');
  } catch (e) {
    throw new GpuError(
      `WebGPU in Node needs the npm package 'webgpu' (Dawn), which did not load: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const globals = mod.globals as { GPUBufferUsage: typeof GPUBufferUsage; GPUMapMode: typeof GPUMapMode; GPUShaderStage: typeof GPUShaderStage };
  return {
    gpu: mod.create([]),
    flags: { bufferUsage: globals.GPUBufferUsage, mapMode: globals.GPUMapMode, shaderStage: globals.GPUShaderStage },
  };
}

function findSwiftShaderIcd(fs: typeof import('node:fs')): string | undefined {
  if (fs.existsSync(SWIFTSHADER_ICD)) return SWIFTSHADER_ICD;
  try {
    for (const dir of fs.readdirSync('/usr/lib').filter((d) => d.startsWith('chromium')).sort()) {
      const file = `/usr/lib/${dir}/vk_swiftshader_icd.json`;
      if (fs.existsSync(file)) return file;
    }
  } catch {
    // no /usr/lib: not a Debian-like system
  }
  return undefined;
}

/** Why Node may see no adapter, for the error message. */
function nodeHint(): string {
  const icd = process.env.VK_ICD_FILENAMES;
  return icd
    ? `VK_ICD_FILENAMES=${icd}; check that file and its driver exist (Mesa's lavapipe is refused by Dawn)`
    : `no Vulkan ICD chosen and no SwiftShader found under /usr/lib/chromium*; install Debian's chromium ` +
        `package, or set VK_ICD_FILENAMES to a vk_swiftshader_icd.json`;
}

let shared: Promise<GpuContext> | undefined;

/** The device executables share by default; a new one once the last was lost or destroyed. */
export async function sharedGpu(): Promise<GpuContext> {
  const current = await shared?.catch(() => undefined);
  if (current && !current.lost) return current;
  shared = acquireDevice();
  return shared;
}

/** Destroys the shared device (executables on it stop working); the next compile acquires another. */
export async function releaseSharedGpu(): Promise<void> {
  const current = await shared?.catch(() => undefined);
  shared = undefined;
  current?.destroy();
}
