/** Types of runner.mjs, for test/fuzz.test.ts. */
export type Outcome = 'ok' | 'typed' | 'untyped' | 'crash' | 'hang' | 'oom' | 'disagree' | 'fuzzer-bug';
export declare const OUTCOMES: readonly Outcome[];
export declare const FAILURES: readonly Outcome[];

export interface CaseResult {
  outcome: Outcome;
  code?: string;
  name?: string;
  message?: string;
  frame?: string;
  notes?: string[];
  rssMiB?: number;
  wallMs?: number;
}

export interface FuzzSummary {
  seed: number;
  cases: number;
  kinds: string[];
  jobs: number;
  seconds: number;
  fuzzSeconds: number;
  casesPerSecond: number;
  counts: Record<string, Record<Outcome, number>>;
  typedCodes: Record<string, Record<string, number>>;
  onnxModelsRun: number;
  onnxModelsCheckedOnWebgpu: number;
  signatures: Record<string, number>;
  failures: { kind: string; case: number; outcome: Outcome; signature: string; message: string; file?: string }[];
}

export interface FuzzOptions {
  cases: number;
  seed: number;
  kinds?: string[];
  jobs?: number;
  out?: string;
  timeoutMs?: number;
  rssMiB?: number;
  gpuEvery?: number;
  reduce?: boolean;
  reduceBudget?: number;
  first?: number;
  log?: (line: string) => void;
}

export declare function runFuzz(options: FuzzOptions): Promise<FuzzSummary>;
export declare function listReproducers(path: string): string[];
export declare function replay(
  paths: string[],
  options?: { jobs?: number; timeoutMs?: number; rssMiB?: number },
): Promise<{ file: string; meta: { outcome: Outcome; message?: string; kind: string }; result: CaseResult }[]>;
export declare function signature(kind: string, result: CaseResult): string;
export declare function describeCase(seed: number, kind: string, index: number): { caseSeed: number; bytes: Uint8Array; chain: string[]; plan: unknown };
