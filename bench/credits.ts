// Micro-benchmark of the credits hot path (issue 12.3): admit + settle of one charged request, and
// the same plus queueing its usage row, against a real database: a SQLite file, and PostgreSQL
// when BENCH_POSTGRES_URL names an empty database, or in a throwaway cluster of the test harness:
// `npx tsc -p tsconfig.json && node dist/test/run.js dist/bench/credits.js`.
// The ledger leases from the database (one top-up here: the allocation is large) and admits from
// memory; the figure is this process's CPU time per request, usage writes included.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAccount } from '../src/core/accounts.js';
import { CreditLedger, newInstanceId } from '../src/core/credits.js';
import { parsePublicKey } from '../src/core/publicKey.js';
import { UsageWriter } from '../src/core/usageWriter.js';
import { openDatabase, type Db } from '../src/db/open.js';
import type { NewUsageRow } from '../src/db/schema.js';
import { silentLog } from '../src/log.js';
import { freshPostgresUrl, POSTGRES_URL } from '../test/helpers/databases.js';
import { newKey } from '../test/helpers/ssh.js';

const N = Number(process.env.BENCH_ITERATIONS ?? 200_000);

function row(userId: number, cost: number): NewUsageRow {
  const now = new Date().toISOString();
  return {
    created_at: now, month: now.slice(0, 7), request_id: 'bench', user_id: userId, vm_id: null, vm_name: null, api_key_id: null, api_key_name: null,
    integration_id: null, integration_name: 'llm', provider: 'anthropic', model: 'claude-haiku-4-5', source: 'gateway', api: 'messages', status: 200,
    input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0, cost_micros: cost, latency_ms: 1, ttfb_ms: 1, session_id: null,
  };
}

async function measure(db: Db, withRows: boolean): Promise<number> {
  const user = await createAccount(db, { name: `bench${Math.random().toString(36).slice(2, 8)}`, key: parsePublicKey(newKey().public) });
  const ledger = new CreditLedger(db, 1e12, { instance: newInstanceId() });
  const writer = new UsageWriter(db, silentLog, { instance: ledger.instance, onDone: (rows, ok) => ledger.written(rows, ok) });
  const once = async () => {
    const r = await ledger.admit(user.id, 1000);
    ledger.settle(r, 600);
    if (withRows) writer.add(row(user.id, 600));
  };
  for (let i = 0; i < 10_000; i++) await once(); // warm-up (JIT, the first lease)
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    await once();
    if (i % 100 === 99) await new Promise((r) => setImmediate(r)); // I/O gets its turn, as in a server
  }
  await writer.flush(); // the rows' writes are part of the cost
  const cpu = process.cpuUsage(cpu0);
  const ns = ((cpu.user + cpu.system) * 1e3) / N; // CPU time: steadier than wall time on a shared machine
  await writer.close();
  await ledger.close();
  return ns;
}

async function main(): Promise<void> {
  const targets: [string, () => Promise<Db>][] = [['sqlite', () => openDatabase(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gh-bench-')), 'gatehouse.db'))]];
  const url = process.env.BENCH_POSTGRES_URL ?? (POSTGRES_URL ? await freshPostgresUrl() : undefined);
  if (url) targets.push(['postgres', () => openDatabase({ kind: 'postgres', url, poolSize: 10 })]);
  for (const [name, open] of targets) {
    const db = await open();
    const bare = await measure(db, false);
    const rows = await measure(db, true);
    console.log(`${name}: admit+settle ${bare.toFixed(0)} ns CPU/request; with its usage row queued and written ${rows.toFixed(0)} ns CPU/request (${N} requests)`);
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
