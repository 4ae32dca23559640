import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db.ts';
import type { Idempotency } from '../../platform/idempotency.ts';
import type { JobDefinition } from '../../platform/jobs.ts';
import type { Clock } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import type { UsageService } from '../metering/usage.service.ts';
import { createSupplyAuth } from './supply.auth.ts';

// The supply console (DESIGN.md §6): accounts, packages (the router's supplier candidates), earnings, settlements,
// supplier billing. Routes answer in the supply envelope `{request_id, data}` / `{request_id, error}`.

export interface SupplyModuleDeps {
  config: Config;
  database: Database;
  clock: Clock;
  ledger: Ledger;
  audit: AuditLog;
  auth: AuthHooks;
  idempotency: Idempotency;
  secrets: SecretBox;
  usage: UsageService;
}

export async function supplyModule(app: FastifyInstance, d: SupplyModuleDeps) {
  const supplyAuth = createSupplyAuth({ auth: d.auth, database: d.database });
  const jobs: JobDefinition<object>[] = [];
  // ---- accounts & packages (accounts.*, packages.*) ----
  // ---- earnings & supplier billing (earnings.*, supplier-billing.*) ----
  // ---- profile, SMS codes, settlements (profile.*, sms-codes.*, settlements.*) ----
  void app;
  void supplyAuth;
  return { jobs };
}
