import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config.ts';
import { openDatabase, type Database } from '../../platform/db.ts';
import { systemClock } from '../../platform/time.ts';
import { RegisterBody } from '../identity/auth.schema.ts';
import { createOperatorSetupService, type Appointment } from '../identity/operator-setup.service.ts';
import { createPasswords } from '../identity/passwords.ts';
import { createUserService } from '../identity/users.service.ts';
import { createAuditLog } from './audit.service.ts';
import { processOutput, type CliOutput } from '../../platform/cli-output.ts';

// `npm run operator -- --email someone@example.com [--password …]`: makes someone an operator from the server's own
// shell, whatever state the service is in (no operator yet, a root from /1/users/init without a password, an
// ADMIN_EMAIL that was ignored). Opens the database `npm start` uses; `run` is exported so tests call it in-process.

const SYNOPSIS = 'Usage: npm run operator -- --email <address> [--password <password>]';

const USAGE = `${SYNOPSIS}

Makes the user with this email an operator of Tollgate, or creates an operator with it when nobody has it. Uses the
database \`npm start\` uses (DATABASE_URL, otherwise the embedded one in DATA_DIR, default ./data); the embedded one
serves one process at a time, so stop \`npm start\` first.

  --email <address>      the operator's email (required)
  --password <password>  set this console password now (8-128 characters). Without it, a one-time setup link
                         (valid 24 hours) is printed instead: the password then stays out of your shell history.
  -h, --help             print this help
`;

type Parsed = { help: true } | { help: false; email: string; password?: string } | { error: string };

function parse(argv: string[]): Parsed {
  let values: { email?: string; password?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { email: { type: 'string' }, password: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (values.help) return { help: true };
  if (values.email === undefined) return { error: '--email is required' };
  // The register rules, so the operator can sign in with what was set here.
  const email = RegisterBody.shape.email.safeParse(values.email);
  if (!email.success) return { error: `--email ${JSON.stringify(values.email)} is not a valid email address` };
  if (values.password !== undefined) {
    const password = RegisterBody.shape.password.safeParse(values.password);
    if (!password.success) return { error: `--password ${password.error.issues[0]?.message ?? 'is not valid'}` };
  }
  return { help: false, email: email.data, password: values.password };
}

function summary(a: Appointment): string {
  const who = `"${a.user.username}" (${a.user.email})`;
  const role = { created: `Created the operator ${who}`, promoted: `Made ${who} an operator (was ${a.previousRole})`, unchanged: `${who} is already an operator` }[a.change];
  const open = a.link && `open ${a.link.url} within 24 hours (the link works once)`;
  if (open && a.user.passwordHash) return `${role}; they sign in with their current password, or ${open} to set a new one.`;
  if (open) return `${role}. To set the console password, ${open}.`;
  return a.change === 'created'
    ? `${role} with the given password; they sign in with the email.`
    : `${role}; set the given password (their console sessions were signed out).`;
}

/** Runs the command; resolves to the process exit code. */
export async function run(argv: string[], env: Record<string, string | undefined>, output: CliOutput = processOutput): Promise<number> {
  const parsed = parse(argv);
  if ('error' in parsed) {
    output.err(`operator: ${parsed.error}\n${SYNOPSIS} (--help explains)`);
    return 1;
  }
  if (parsed.help) {
    output.out(USAGE);
    return 0;
  }
  let database: Database | undefined;
  try {
    const config = loadConfig(env);
    database = await openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir });
    const users = createUserService({ database, clock: systemClock, passwords: createPasswords({ memoryKib: config.passwordHashMemoryKib }) });
    const setup = createOperatorSetupService({ database, clock: systemClock, users, publicBaseUrl: config.publicBaseUrl });
    const audit = createAuditLog();
    const appointment = await setup.appoint({ email: parsed.email, password: parsed.password }, (tx, before, after) =>
      audit.record(tx, {
        actorUserId: null, tenantUserId: before.id, action: 'user.role', objectType: 'user', objectId: String(before.id),
        before: { role: before.role }, after: { role: after.role }, reason: 'npm run operator',
      }),
    );
    output.out(summary(appointment));
    return 0;
  } catch (err) {
    // A config error, the data directory held by a running `npm start` (the lock names its pid), an email taken
    // meanwhile: each message says what to fix.
    output.err(`operator: ${(err as Error).message}`);
    return 1;
  } finally {
    await database?.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await run(process.argv.slice(2), process.env);
}
