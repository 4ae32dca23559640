import type { Progress, PublishContent, PublishRun } from '../../src/modules/publishing/adapter.ts';

// An in-memory publish job for adapter tests, kept as the runner keeps one: each run starts from the stored progress,
// saves merge into it at once, renewed credentials replace the stored ones, stored files land in a map.

export interface MemoryJob {
  stored: Progress;
  /** The states the adapter moved the job through, in order. */
  states: string[];
  files: Map<string, { contentType: string; bytes: Buffer }>;
  credentials: Record<string, string>;
  /** A fresh run of the job, as the runner would start one. */
  run(): PublishRun;
  /** How often a run asked for the content. */
  loads(): number;
}

export function memoryJob(o: { content: PublishContent; credentials: Record<string, string>; progress?: Progress; jobId?: number }): MemoryJob {
  const stored: Progress = o.progress ?? {};
  const states: string[] = [];
  const files = new Map<string, { contentType: string; bytes: Buffer }>();
  const credentials = { ...o.credentials };
  const jobId = o.jobId ?? 41;
  let loads = 0;
  return {
    stored, states, files, credentials,
    loads: () => loads,
    run: () => ({
      jobId,
      credentials: { ...credentials },
      progress: structuredClone(stored),
      signal: new AbortController().signal,
      content: async () => ((loads += 1), o.content),
      save: async (patch) => {
        if (patch.state) states.push(patch.state);
        Object.assign(stored, patch.progress ?? {});
      },
      updateCredentials: async (patch) => void Object.assign(credentials, patch),
      storeFile: async (name, contentType, bytes) => {
        const key = `publish/7/${jobId}-${name}`;
        files.set(key, { contentType, bytes });
        return key;
      },
    }),
  };
}
