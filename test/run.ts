// `npm test`: starts one throwaway PostgreSQL cluster for the whole run (when its binaries are
// installed), then runs every test file with node --test. Suites that run on both databases read
// its URL from GATEHOUSE_TEST_POSTGRES_URL and make a database of their own in it. In CI the
// PostgreSQL tests must not be skipped: without the binaries the run fails.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { postgresBin, startCluster, type Cluster } from './postgres/cluster.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Run after the others, on a quiet machine (see main). */
const ALONE = [path.join('hardening', 'fuzz.test.js')];

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? testFiles(path.join(dir, e.name)) : e.name.endsWith('.test.js') ? [path.join(dir, e.name)] : []));
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const files = only.length ? only : testFiles(here).sort();
  const bin = postgresBin();
  let cluster: Cluster | undefined;
  if (bin) {
    cluster = await startCluster(bin);
    console.log(`# PostgreSQL for the tests: ${bin}, ${cluster.url}`);
  } else if (process.env.CI) {
    console.error('# PostgreSQL is not installed (initdb, pg_ctl): CI must run the PostgreSQL tests; .ci/run installs the postgresql package');
    return 1;
  } else {
    console.log('# PostgreSQL is not installed: its tests are skipped (apt-get install postgresql to run them)');
  }
  const stop = () => cluster?.stop();
  process.on('SIGINT', () => (stop(), process.exit(130)));
  process.on('SIGTERM', () => (stop(), process.exit(143)));
  const env = { ...process.env, ...(cluster ? { GATEHOUSE_TEST_POSTGRES_URL: cluster.url } : {}) };
  const run = (batch: string[], concurrency: number) =>
    new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...batch], { stdio: 'inherit', env });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  try {
    // Suites that time a bystander while a hostile client runs measure this process's event loop:
    // beside two other suites (a browser among them) a busy machine alone missed their deadlines.
    // They run after the rest, one at a time.
    const alone = only.length ? [] : files.filter((f) => ALONE.some((a) => f.endsWith(a)));
    const first = await run(files.filter((f) => !alone.includes(f)), 2);
    const second = alone.length ? await run(alone, 1) : 0;
    return first || second;
  } finally {
    stop();
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});
