import type { RollupOptions } from 'rollup';
/** The rollup options that bundle `input` (a module Worker) into `dir`/worker.js. */
export function edgeWorkerConfig(input: string, dir: string): RollupOptions;
declare const config: RollupOptions;
export default config;
