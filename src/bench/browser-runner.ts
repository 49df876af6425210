/**
 * `webconv bench --browser` (Node only): serves the built benchmark page (dist/bench-page)
 * from 127.0.0.1, cross-origin isolated so wasm threads are possible, drives headless
 * Chromium on it through puppeteer-core with the flags that give it WebGPU on SwiftShader
 * where there is no GPU, and returns the report the page measured. Browser, server and the
 * throw-away profile are closed whatever happens.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OptionError, WebconvError } from '../graph/errors.js';
import { zooEntry } from '../models/zoo.js';
import type { BenchOptions } from './harness.js';
import type { BenchReport } from './report.js';

/** The browser could not be found or started, the page is not built, or the page failed. */
export class BrowserError extends WebconvError {
  constructor(
    readonly kind: 'missing-browser' | 'missing-puppeteer' | 'missing-page' | 'page-failed' | 'timeout',
    message: string,
  ) {
    super('E_BROWSER', message);
  }
}

export interface BrowserRunOptions {
  /** Zoo model names. */
  models: readonly string[];
  /** Warm time budget per model. Default 500 ms. */
  timeMs?: number;
  threads?: number;
  /** The built page. Default: dist/bench-page of this package. */
  pageDir?: string;
  /** Default: $WEBCONV_CHROMIUM, else chromium (or chromium-browser, google-chrome) on PATH. */
  chromiumPath?: string;
  /** Gives up after this long. Default 10 minutes. */
  timeoutMs?: number;
  /** The page's progress, as the harness reports it. */
  onProgress?: BenchOptions['onProgress'];
  /**
   * Give the page WebGPU on SwiftShader (default true). False launches Chromium without its
   * GPU and without WebGPU, as on a device that has none.
   */
  webgpu?: boolean;
  /** The backend the page benchmarks: wasm (default) or webgpu. */
  backend?: 'wasm' | 'webgpu';
  /** Called once the report is there, before the browser closes: evaluates an expression in the page. */
  inspect?: (evaluate: <T>(expression: string) => Promise<T>) => Promise<void>;
}

/**
 * Chromium's flags: no sandbox (containers), nothing fetched in the background, and WebGPU
 * on SwiftShader's software Vulkan device when there is no GPU (see DESIGN.md).
 */
const BASE_ARGS: readonly string[] = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
/** Without a GPU and without WebGPU. */
export const NO_WEBGPU_ARGS: readonly string[] = [...BASE_ARGS, '--disable-gpu', '--disable-features=WebGPU'];
export const CHROMIUM_ARGS: readonly string[] = [
  ...BASE_ARGS,
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
];

const INSTALL = 'install it (Debian: sudo apt-get install chromium), or set WEBCONV_CHROMIUM to a Chromium or Chrome binary';

/** The Chromium binary to drive, or undefined when there is none. */
export function findChromium(explicit?: string): string | undefined {
  const isFile = (p: string) => existsSync(p) && statSync(p).isFile();
  if (explicit) return isFile(explicit) ? explicit : undefined;
  if (process.env.WEBCONV_CHROMIUM) return isFile(process.env.WEBCONV_CHROMIUM) ? process.env.WEBCONV_CHROMIUM : undefined;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
    for (const d of dirs) if (isFile(join(d, name))) return join(d, name);
  }
  return undefined;
}

/** The built page: beside this module in dist/, or dist/ of the package when running from src/. */
export function defaultPageDir(): string {
  const candidates = ['../bench-page/', '../../dist/bench-page/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0];
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml',
};

/** Serves `dir` on 127.0.0.1 (an ephemeral port), cross-origin isolated. */
export async function servePage(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      res.writeHead(400, headers).end();
      return;
    }
    const file = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    if (!file.startsWith(root + sep) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(403, headers).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(req.method === 'HEAD' ? undefined : body),
      () => res.writeHead(404, headers).end('not found'),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- puppeteer-core is loaded at run time */
async function loadPuppeteer(): Promise<any> {
  try {
    const spec = 'puppeteer-core';
    const mod = (await import(/* @vite-ignore */ spec)) as any;
    return mod.default ?? mod;
  } catch {
    throw new BrowserError('missing-puppeteer', "--browser needs the npm package 'puppeteer-core' (npm install puppeteer-core@24; version 24 runs on Node 20)");
  }
}

/** Runs the browser benchmark page in headless Chromium and returns its report. */
export async function runInBrowser(options: BrowserRunOptions): Promise<BenchReport> {
  // Unknown names fail here, before anything starts: the page builds zoo models only.
  const models = options.models.map((m) => {
    try {
      return zooEntry(m).name;
    } catch (e) {
      throw new OptionError(`the browser benchmark runs zoo models only: ${(e as Error).message}`);
    }
  });
  if (models.length === 0) throw new OptionError('the browser benchmark needs at least one zoo model');
  const executablePath = findChromium(options.chromiumPath);
  if (!executablePath) {
    throw new BrowserError('missing-browser', options.chromiumPath ? `Chromium not found at ${options.chromiumPath}; ${INSTALL}` : `Chromium not found on PATH; ${INSTALL}`);
  }
  const pageDir = options.pageDir ?? defaultPageDir();
  if (!existsSync(join(pageDir, 'index.html')) || !existsSync(join(pageDir, 'main.js'))) {
    throw new BrowserError('missing-page', `the browser benchmark page is not built (no index.html and main.js in ${pageDir}); run npm run build`);
  }
  const puppeteer = await loadPuppeteer();
  const timeout = options.timeoutMs ?? 600_000;
  const query = new URLSearchParams({ models: models.join(','), time: String(options.timeMs ?? 500), threads: String(options.threads ?? 1), backend: options.backend ?? 'wasm' });

  const profile = mkdtempSync(join(tmpdir(), 'webconv-chromium-'));
  let server: Awaited<ReturnType<typeof servePage>> | undefined;
  let browser: any;
  const log: string[] = [];
  try {
    server = await servePage(pageDir);
    try {
      browser = await puppeteer.launch({ executablePath, headless: true, userDataDir: profile, args: [...(options.webgpu === false ? NO_WEBGPU_ARGS : CHROMIUM_ARGS)], protocolTimeout: timeout + 60_000, timeout: 60_000 });
    } catch (e) {
      throw new BrowserError('missing-browser', `Chromium (${executablePath}) did not start: ${(e as Error).message.split('\n')[0]}; ${INSTALL}`);
    }
    const page = await browser.newPage();
    page.on('console', (m: any) => log.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e: Error) => log.push(`pageerror: ${e.message}`));
    if (options.onProgress) await page.exposeFunction('__webconvProgress', (p: Parameters<NonNullable<BenchOptions['onProgress']>>[0]) => options.onProgress!(p));
    await page.goto(`${server.url}index.html?${query}`, { waitUntil: 'load' });
    try {
      await page.waitForFunction('window.__webconvReport || window.__webconvError', { timeout, polling: 250 });
    } catch (e) {
      throw new BrowserError('timeout', `the benchmark page gave no report within ${timeout} ms (${(e as Error).message.split('\n')[0]})${tail(log)}`);
    }
    const error = (await page.evaluate('window.__webconvError')) as string | undefined;
    if (error) throw new BrowserError('page-failed', `the benchmark page failed: ${error}${tail(log)}`);
    const report = (await page.evaluate('window.__webconvReport')) as BenchReport;
    if (options.inspect) await options.inspect((expression) => page.evaluate(expression));
    // The page has no package.json beside it: the version is the one read here, in Node.
    const { packageVersion } = await import('./harness.js');
    return { ...report, version: await packageVersion() };
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const tail = (log: readonly string[]) => (log.length ? `; the page's console: ${log.slice(-8).join(' | ')}` : '');
