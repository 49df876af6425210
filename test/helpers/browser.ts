/**
 * Headless Chromium with WebGPU on SwiftShader (the flags of `webconv bench --browser`), on
 * a page served from dist/ (cross-origin isolated, 127.0.0.1: a secure context), so tests
 * can import the built browser bundle there (`await import('/webconv.browser.js')`) and run
 * code with page.evaluate.
 */
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll } from 'vitest';
import { CHROMIUM_ARGS, findChromium, servePage } from '../../src/bench/browser-runner.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

export interface BrowserPage {
  readonly page: Page;
  /** The page's console and errors so far, for a failure message. */
  readonly log: string[];
  close(): Promise<void>;
}

/** Why a browser page cannot be had here, or undefined when it can. */
export function browserMissing(): string | undefined {
  if (!findChromium()) return 'no Chromium on PATH';
  if (!existsSync(join(DIST, 'webconv.browser.js'))) return 'dist/webconv.browser.js is not built (npm run build)';
  return undefined;
}

/** Launches Chromium on a page of dist/ with the webconv bundle importable. */
export async function openBrowserPage(): Promise<BrowserPage> {
  const profile = mkdtempSync(join(tmpdir(), 'webconv-test-chromium-'));
  const server = await servePage(DIST);
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({ executablePath: findChromium(), headless: true, userDataDir: profile, args: [...CHROMIUM_ARGS], protocolTimeout: 900_000 });
    const page = await browser.newPage();
    const log: string[] = [];
    page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${(e as Error).message}`));
    // Any document of this origin will do: the bundle is imported from it.
    await page.goto(`${server.url}webconv.browser.js`, { waitUntil: 'load' });
    const b = browser;
    return {
      page,
      log,
      async close() {
        await b.close().catch(() => undefined);
        await server.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await browser?.close().catch(() => undefined);
    await server.close();
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

/**
 * A page with WebGPU for a test file, opened in beforeAll and closed in afterAll: `page`
 * once it is open, `why()` when there is none (no Chromium, no bundle, no adapter, or the
 * `missing` reason given).
 */
export function useWebgpuPage(missing?: string): { readonly page: BrowserPage | undefined; why(): string | undefined } {
  let page: BrowserPage | undefined;
  let why = missing ?? browserMissing();
  beforeAll(async () => {
    if (why) return;
    page = await openBrowserPage();
    const adapter = await page.page.evaluate('navigator.gpu ? navigator.gpu.requestAdapter().then((a) => a !== null) : false');
    if (!adapter) why = 'headless Chromium has no WebGPU adapter';
  }, 120_000);
  afterAll(() => page?.close());
  return {
    get page() {
      return page;
    },
    why: () => why,
  };
}

/**
 * Serves the files of `dir` (by basename; no subfolders) from 127.0.0.1 on an ephemeral port,
 * for a page to fetch, e.g. a model file too large for puppeteer's request interception:
 * Chromium's DevTools server drops the connection on a message over 100 MiB
 * (net/server/http_connection.cc, "Too large read data is pending"), and
 * Fetch.fulfillRequest carries the body in base64, so a body over 75 MiB closes the browser.
 * Cross-origin to the page, hence the CORS and CORP headers its COEP asks for.
 */
export async function serveFiles(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const headers = { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin', 'Cache-Control': 'no-store' };
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname.slice(1));
    const file = join(dir, name);
    if (name !== basename(name) || name.startsWith('.') || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404, headers).end();
    res.writeHead(200, { ...headers, 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
