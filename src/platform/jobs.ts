import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from './db.ts';

// Background jobs on pg-boss 10, in the service's own database (DESIGN.md §1). Each module declares its jobs as
// data; main starts one runner for all of them.

export interface JobDefinition<T extends object = Record<string, never>> {
  name: string;
  /** Cron in UTC+8; omit for jobs that are only sent. */
  cron?: string;
  /** Sent once each time the runner starts (e.g. resuming work a crash interrupted). */
  onStart?: boolean;
  handler(data: T): Promise<unknown>;
}

export interface SendOptions {
  /** Run no earlier than this many seconds from now. */
  startAfterSeconds?: number;
  /** At most one queued job per key (a second send while one waits is dropped). */
  singletonKey?: string;
}

export interface JobRunner {
  send(name: string, data: object, options?: SendOptions): Promise<string | null>;
  stop(): Promise<void>;
}

/**
 * Where modules send jobs. Apps are built before the runner starts (and tests build them without one): until a
 * runner is attached, sends are dropped — work that must survive that is found again by an `onStart` job.
 */
export function createJobQueue() {
  let runner: JobRunner | undefined;
  return {
    attach(r: JobRunner) {
      runner = r;
    },
    async send(name: string, data: object, options?: SendOptions): Promise<void> {
      await runner?.send(name, data, options);
    },
  };
}

export type JobQueue = ReturnType<typeof createJobQueue>;

export async function startJobs(
  o: { database: Database; log: Pick<Logger, 'info' | 'error'> },
  jobs: JobDefinition<object>[],
): Promise<JobRunner> {
  const boss = new PgBoss({
    db: { executeSql: (text, values) => o.database.executeSql(text, values) },
    schema: 'pgboss',
    // Jobs here are small and frequent; keep the tables short.
    deleteAfterDays: 7,
  });
  boss.on('error', (err) => o.log.error({ err: err.message }, 'job runner error'));
  await boss.start();
  for (const job of jobs) {
    await boss.createQueue(job.name);
    await boss.work(job.name, { pollingIntervalSeconds: 5 }, async ([item]) => {
      const result = await job.handler((item?.data ?? {}) as object);
      o.log.info({ job: job.name, result }, 'job done');
    });
    if (job.cron) await boss.schedule(job.name, job.cron, {}, { tz: 'Asia/Shanghai' });
  }
  for (const job of jobs) if (job.onStart) await boss.send(job.name, {});
  return {
    send: (name, data, options = {}) =>
      boss.send(name, data, {
        ...(options.startAfterSeconds ? { startAfter: Math.ceil(options.startAfterSeconds) } : {}),
        ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
      }),
    stop: () => boss.stop({ graceful: true, wait: true, timeout: 10_000 }),
  };
}
