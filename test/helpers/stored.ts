// Everything a test gatehouse has stored, as bytes, for "no secret is ever stored in plain text":
// the SQLite files (WAL and SHM included), or on PostgreSQL every row of every table as text.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { TestGatehouse } from './gatehouse.js';

export interface Stored {
  where: string;
  bytes: Buffer;
}

export async function storedBytes(gh: TestGatehouse): Promise<Stored[]> {
  const target = gh.config.database;
  if (target.kind === 'sqlite') {
    const dir = path.dirname(target.file);
    const base = path.basename(target.file);
    const files = fs.readdirSync(dir).filter((f) => f === base || f === `${base}-wal` || f === `${base}-shm`);
    if (!files.includes(base)) throw new Error(`no database file in ${dir}`);
    return files.map((f) => ({ where: f, bytes: fs.readFileSync(path.join(dir, f)) }));
  }
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
    if (tables.rows.length === 0) throw new Error('no tables in the database');
    const stored: Stored[] = [];
    for (const { name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
      stored.push({ where: `table ${name}`, bytes: Buffer.from(rows.rows.map((r) => r.row).join('\n')) });
    }
    return stored;
  } finally {
    await client.end();
  }
}
