import { spawnSync } from 'node:child_process';

/**
 * A Python interpreter that can import torch and torchvision. Debian's python3-torch
 * installs for the system Python, which is not always the first python3 on PATH.
 */
export function torchPython(): string | undefined {
  for (const candidate of ['/usr/bin/python3', 'python3', 'python']) {
    const r = spawnSync(candidate, ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
    if (r.status === 0) return candidate;
  }
  return undefined;
}

/**
 * Under CI an oracle that is missing is a failure; elsewhere the test is skipped with a
 * message saying what to install.
 */
export function requireOracle(found: boolean, what: string, install: string): boolean {
  if (found) return true;
  if (process.env.CI) throw new Error(`${what} is required under CI but was not found; install: ${install}`);
  console.warn(`skipping: ${what} not found (install: ${install})`);
  return false;
}

/** A Python interpreter that can import numpy (the system Python first, as for torch). */
export function numpyPython(): string | undefined {
  for (const candidate of ['/usr/bin/python3', 'python3', 'python']) {
    const r = spawnSync(candidate, ['-c', 'import numpy'], { stdio: 'ignore' });
    if (r.status === 0) return candidate;
  }
  return undefined;
}
