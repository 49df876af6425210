#!/usr/bin/env node
// Runs every benchmark suite of bench/ in turn (`npm run bench`).
await import('./summary.bench.mjs');
