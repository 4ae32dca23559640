import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// `npm test`: the two type checks (service and console) and the suites at once. The checks take a core for about half
// a minute while the suites' workers start and mostly wait; run one after the other they added that half minute to
// every run. A type error stops the suites and fails the run with tsc's output, as running tsc first did. Arguments
// go to vitest (`npm test -- src/modules/ledger`).

// A file path, not a URL's pathname: that one spells a space in the checkout's path as %20.
const bin = (name: string) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

function run(command: string, args: string[], capture: boolean): { child: ChildProcess; done: Promise<{ code: number; output: string }> } {
  const child = spawn(command, args, { stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const done = new Promise<{ code: number; output: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output })),
  );
  return { child, done };
}

async function typecheck(): Promise<{ code: number; output: string }> {
  const started = Date.now();
  for (const args of [['--noEmit'], ['--noEmit', '-p', 'web']]) {
    const result = await run(bin('tsc'), args, true).done;
    if (result.code !== 0) return { code: result.code, output: `tsc ${args.join(' ')} failed:\n${result.output}` };
  }
  return { code: 0, output: `[tests] type check passed (tsc, tsc -p web) in ${Math.round((Date.now() - started) / 1000)} s` };
}

const suites = run(bin('vitest'), ['run', ...process.argv.slice(2)], false);
const checked = typecheck().then((result) => {
  if (result.code === 0) {
    console.info(result.output);
  } else {
    console.error(result.output);
    suites.child.kill('SIGTERM');
  }
  return result.code;
});

const [typeCode, { code: suiteCode }] = await Promise.all([checked, suites.done]);
process.exitCode = typeCode || suiteCode;
