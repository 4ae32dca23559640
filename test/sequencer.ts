import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The order suites start in: the longest first, so that none of them starts last and runs alone on a busy host while
// the others have finished. Vitest orders by the durations of the previous run, which a fresh checkout does not have
// (then it goes by file size, which says little): there, a suite's kind stands in for its duration — a browser or a
// spawned service takes 15–50 s, an integration suite with its own database ~5 s, the rest about one. `npm test` on the
// 2-core host without the previous run's durations: 4 m 50 s in vitest's own order; 4 m 44 s and 3 m 58 s in this one
// (the host's speed varies by ±15 % between runs; with the durations, 4 m 36 s).

const SPAWNING = [/^test\/e2e\//, /^test\/platform\/(main|kill9-|run-script)/, /\.cli\.int\.test\.ts$/, /db-transfer.*\.int\.test\.ts$/];
const ESTIMATED_SECONDS = { spawning: 30, integration: 5, other: 1 };

function estimatedSeconds(file: string): number {
  if (SPAWNING.some((pattern) => pattern.test(file))) return ESTIMATED_SECONDS.spawning;
  return file.includes('.int.test.') ? ESTIMATED_SECONDS.integration : ESTIMATED_SECONDS.other;
}

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Projects keep vitest's order (by name); within one, what failed last time first, then the longest.
    const projects = [...new Set((await super.sort(files)).map((spec) => spec.project.name))];
    const keys = new Map(
      files.map((spec) => {
        const file = path.relative(this.ctx.config.root, spec.moduleId).split(path.sep).join('/');
        const last = this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`);
        return [spec, { project: projects.indexOf(spec.project.name), failed: last?.failed ? 1 : 0, seconds: last ? last.duration / 1000 : estimatedSeconds(file) }];
      }),
    );
    const key = (spec: TestSpecification) => keys.get(spec) as { project: number; failed: number; seconds: number };
    return [...files].sort((a, b) => key(a).project - key(b).project || key(b).failed - key(a).failed || key(b).seconds - key(a).seconds);
  }
}
