/** Where the fuzzer finds the built SDK: $WEBCONV_DIST, or the repository's dist/. */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, resolve } from 'node:path';

export const FUZZ_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = resolve(FUZZ_DIR, '..', '..');
export const DIST_DIR = process.env.WEBCONV_DIST ? resolve(process.env.WEBCONV_DIST) : resolve(REPO_DIR, 'dist');
export const distUrl = (file) => pathToFileURL(resolve(DIST_DIR, file)).href;
