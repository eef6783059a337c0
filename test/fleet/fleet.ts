// Fleet test helpers (issue 12): several in-process gatehouses on one fresh PostgreSQL database,
// sharing the secret key and a mock upstream, each with its own data dir (host keys) and ports;
// and a poll with a deadline for "every instance sees the change within one second".
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import pg from 'pg';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { freshPostgresUrl, POSTGRES_URL } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { BASE_PATH, operatorEnv } from '../helpers/gateway.js';

/** node:test's `skip` for the suites that need a PostgreSQL (only ever set outside CI: test/run.ts fails CI without one). */
export const NO_POSTGRES: string | false = POSTGRES_URL ? false : 'no PostgreSQL: run the tests with npm test, which starts a throwaway cluster (apt-get install postgresql)';

export interface Fleet {
  url: string;
  mock: MockProvider;
  instances: TestGatehouse[];
  stop(): Promise<void>;
}

export async function startFleet(count = 2, env: Record<string, string> = {}): Promise<Fleet> {
  const url = await freshPostgresUrl();
  const mock = await startMockProvider({ basePath: BASE_PATH });
  const shared: Record<string, string> = {
    GATEHOUSE_DATABASE_URL: url,
    GATEHOUSE_SECRET_KEY: crypto.randomBytes(32).toString('hex'),
    GATEHOUSE_MONTHLY_CREDITS: '1000',
    ...env,
    ...operatorEnv(mock.url),
  };
  const instances: TestGatehouse[] = [];
  try {
    for (let i = 0; i < count; i++) instances.push(await startTestGatehouse(shared));
  } catch (err) {
    await Promise.all(instances.map((gh) => gh.stop()));
    await mock.close();
    throw err;
  }
  return {
    url,
    mock,
    instances,
    async stop() {
      await Promise.all(instances.map((gh) => gh.stop()));
      await mock.close();
    },
  };
}

/**
 * Calls `probe` every `everyMs` until it returns true, failing at the deadline with the last thing
 * it saw. Resolves with when (ms after the call) the first probe that saw the change was sent: the
 * change took at most that long to arrive (a probe's own round trip, e.g. an upstream call, is
 * not counted).
 */
export async function pollUntil(deadlineMs: number, probe: () => Promise<boolean | string>, everyMs = 20): Promise<number> {
  const started = performance.now();
  for (;;) {
    const sent = performance.now() - started;
    if (sent > deadlineMs) assert.fail(`not within ${deadlineMs} ms`);
    const seen = await probe();
    if (seen === true) return sent;
    if (performance.now() - started > deadlineMs) assert.fail(`not within ${deadlineMs} ms: the last probe saw ${seen}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Runs SQL on its own connection (an operator's psql), closed afterwards. */
export async function psql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Ends every change listener's connection to this database (as a network cut or a restart would). */
export async function killListeners(url: string): Promise<number> {
  const rows = await psql<{ pid: number }>(
    url,
    `SELECT pg_terminate_backend(pid) AS killed, pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
  );
  return rows.length;
}

/** How many change listeners are connected to this database. */
export async function listeners(url: string): Promise<number> {
  const rows = await psql<{ n: string }>(url, `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
  return Number(rows[0].n);
}
