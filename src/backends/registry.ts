import { OptionError } from '../graph/errors.js';
import type { Backend } from './backend.js';

const BACKENDS = new Map<string, Backend>();

/** Makes a backend available by name (the built-in ones register themselves on import). */
export function registerBackend(backend: Backend): void {
  BACKENDS.set(backend.name, backend);
}

export function getBackend(name: string): Backend {
  const b = BACKENDS.get(name);
  if (!b) throw new OptionError(`unknown backend '${name}'; registered backends: ${[...BACKENDS.keys()].join(', ')}`);
  return b;
}

/** Names of the registered backends, in registration order. */
export function backendNames(): string[] {
  return [...BACKENDS.keys()];
}
