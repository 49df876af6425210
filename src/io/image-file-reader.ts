/**
 * Lets `Classifier.classify()` take an image file's path in Node, Deno and Bun: registers a
 * reader that loads the PNG/JPEG decoders (decode-image.ts) on first use. Imported for its
 * effect by the default entry (index.ts) and by load-classifier.ts. The decoders are loaded
 * with a variable specifier, so browser bundles neither resolve nor pull them; the edge entry
 * (edge.ts) does not import this module at all, since edge runtimes (workerd) refuse any
 * module with a dynamic import.
 */
import { setImageFileReader } from '../models/classifier.js';

if (typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string') {
  setImageFileReader(async (path) => {
    const decoder = './decode-image.js';
    const { readImageFile } = (await import(/* @vite-ignore */ decoder)) as typeof import('./decode-image.js');
    return readImageFile(path);
  });
}
