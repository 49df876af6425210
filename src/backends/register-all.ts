// Registers the built-in backends, in the order tests and tools iterate them.
import { referenceBackend } from './reference/reference-backend.js';
import { registerBackend } from './registry.js';

registerBackend(referenceBackend);
