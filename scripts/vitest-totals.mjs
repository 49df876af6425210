#!/usr/bin/env node
// Prints vitest's totals from its JSON report as one line, `vitest: N passed, N failed,
// N skipped`, so a run that executed no test is visible to CI. Exits 1 when the report is
// missing or counts no test.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.log(`vitest: no report at ${file} (${e.message})`);
  process.exit(1);
}
const { numPassedTests: passed = 0, numFailedTests: failed = 0, numPendingTests: skipped = 0, numTodoTests: todo = 0 } = report;
console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped + todo} skipped`);
process.exit(passed + failed === 0 ? 1 : 0);
