// The databases a suite runs on: SQLite always, PostgreSQL when `npm test` started a cluster
// (test/run.ts). Each PostgreSQL use gets a database of its own, so suites never share state.
import crypto from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.GATEHOUSE_TEST_POSTGRES_URL;

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** Settings that point a gatehouse at a fresh database ({} for SQLite: the data dir's file). */
  env(): Promise<Record<string, string>>;
}

/** A new, empty database in the test cluster; its URL. */
export async function freshPostgresUrl(): Promise<string> {
  if (!POSTGRES_URL) throw new Error('no PostgreSQL for the tests: run them with npm test (test/run.ts starts one)');
  const name = `gh_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export const sqlite: TestDatabase = { name: 'sqlite', env: async () => ({}) };
export const postgres: TestDatabase = { name: 'postgres', env: async () => ({ GATEHOUSE_DATABASE_URL: await freshPostgresUrl() }) };

/**
 * Both databases, for `for (const database of DATABASES) describe(database.name, …)`. PostgreSQL is
 * left out only outside CI when it is not installed (test/run.ts refuses to run CI without it).
 */
export const DATABASES: TestDatabase[] = POSTGRES_URL ? [sqlite, postgres] : [sqlite];
