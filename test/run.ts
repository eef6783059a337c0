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
  try {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...files], {
      stdio: 'inherit',
      env: { ...process.env, ...(cluster ? { GATEHOUSE_TEST_POSTGRES_URL: cluster.url } : {}) },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    stop();
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});
