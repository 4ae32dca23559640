import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from './db.ts';

// Background jobs on pg-boss 10, in the service's own database (DESIGN.md §1). Each module declares its jobs as
// data; main starts one runner for all of them.

export interface JobDefinition<T extends object = Record<string, never>> {
  name: string;
  /** Cron in UTC+8; omit for jobs that are only sent. */
  cron?: string;
  handler(data: T): Promise<unknown>;
}

export interface JobRunner {
  send(name: string, data: object): Promise<string | null>;
  stop(): Promise<void>;
}

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
  return {
    send: (name, data) => boss.send(name, data),
    stop: () => boss.stop({ graceful: true, wait: true, timeout: 10_000 }),
  };
}
