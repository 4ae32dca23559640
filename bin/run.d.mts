// Types of bin/run.mjs for the TypeScript that imports it (bench/run.ts).
export const ENTRIES: Record<string, string>;
export const THREADS: Record<string, string>;
export function buildServer(): Promise<void>;
export function bundle(entries: Record<string, string>, outdir: string): Promise<void>;
