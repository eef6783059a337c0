// Team credits in the ledger (issue 14), on both dialects: a team integration's charged traffic
// comes off the team's own monthly allocation (GATEHOUSE_TEAM_MONTHLY_CREDITS) and grants, under
// the same reservation guarantee, never off the member's; a usage row with team_id moves the
// team's lease from outstanding to spent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAccount } from '../../src/core/accounts.js';
import { CREDITS_EXHAUSTED, CreditLedger, newInstanceId, RECHECK_MS, TEAM_CREDITS_EXHAUSTED } from '../../src/core/credits.js';
import { parsePublicKey } from '../../src/core/publicKey.js';
import { addMember, createTeam } from '../../src/core/teams.js';
import { UsageWriter } from '../../src/core/usageWriter.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import type { User } from '../../src/db/schema.js';
import { insertGrant } from '../../src/db/usage.js';
import { silentLog } from '../../src/log.js';
import { DATABASES } from '../helpers/databases.js';
import { tempDir } from '../helpers/gatehouse.js';
import { newKey } from '../helpers/ssh.js';
import path from 'node:path';

const MONTH = new Date().toISOString().slice(0, 7);

function row(userId: number, teamId: number | null, cost: number, i: number) {
  return {
    created_at: new Date().toISOString(), month: MONTH, request_id: `r${i}`, user_id: userId, vm_id: null, vm_name: null, api_key_id: null, api_key_name: null,
    integration_id: null, integration_name: 'shared', provider: 'anthropic', model: 'claude-haiku-4-5', source: 'gateway', api: 'messages', status: 200,
    input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0, cost_micros: cost, latency_ms: 1, ttfb_ms: 1, session_id: null, team_id: teamId,
  };
}

for (const database of DATABASES) describe(`team credits (${database.name})`, () => {
  let db: Db;
  let alice: User;
  let bob: User;
  let teamId: number;
  let ledger: CreditLedger;
  let writer: UsageWriter;
  let skew = 0; // the ledger's clock runs ahead of the wall clock by this much

  before(async () => {
    const url = (await database.env()).GATEHOUSE_DATABASE_URL;
    db = await openDatabase(url ? { kind: 'postgres', url, poolSize: 4 } : path.join(tempDir(), 'gatehouse.db'));
    alice = await createAccount(db, { name: 'alice', key: parsePublicKey(newKey().public) });
    bob = await createAccount(db, { name: 'bob', key: parsePublicKey(newKey().public) });
    teamId = (await createTeam(db, alice, 'acme')).teamId;
    await addMember(db, alice, 'bob');
    // A person has 1,000 micros a month, a team 5,000.
    ledger = new CreditLedger(db, 1_000, { instance: newInstanceId(), teamAllocationMicros: 5_000, now: () => new Date(Date.now() + skew) });
    writer = new UsageWriter(db, silentLog, { instance: ledger.instance, onDone: (rows, ok) => ledger.written(rows, ok) });
  });
  after(async () => {
    await writer?.close();
    await ledger?.close();
    await db?.destroy();
  });

  it("charges the team's lease, not the member's, and reports each apart", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await ledger.admit(teamId, 500, true);
      assert.equal(r.userId, teamId);
      ledger.settle(r, 1_000);
      writer.add(row(bob.id, teamId, 1_000, i));
    }
    await writer.flush();
    const team = await ledger.report(teamId, true);
    assert.deepEqual({ allocation: team.allocation_micros, used: team.used_micros, remaining: team.remaining_micros }, { allocation: 5_000, used: 3_000, remaining: 2_000 });
    const mine = await ledger.report(bob.id);
    assert.deepEqual({ allocation: mine.allocation_micros, used: mine.used_micros, remaining: mine.remaining_micros }, { allocation: 1_000, used: 0, remaining: 1_000 });
  });

  it("402 on the team's allocation while the member's own credits still admit", async () => {
    const r = await ledger.admit(teamId, 500, true);
    ledger.settle(r, 2_000);
    writer.add(row(bob.id, teamId, 2_000, 10));
    await writer.flush();
    await assert.rejects(ledger.admit(teamId, 500, true), (e: Error & { code?: string }) => e.code === 'payment_required' && e.message === TEAM_CREDITS_EXHAUSTED);
    const own = await ledger.admit(bob.id, 500);
    ledger.settle(own, 0);
    assert.notEqual(TEAM_CREDITS_EXHAUSTED, CREDITS_EXHAUSTED, 'a member can tell whose credits ran out');
  });

  it('issue 14: a request that cost far more than its estimate does not make the next one a false 402', async () => {
    const carol = await createAccount(db, { name: 'carol', key: parsePublicKey(newKey().public) });
    const first = await ledger.admit(carol.id, 10); // leases a slice of 250 of her 1,000
    ledger.settle(first, 600); // 350 beyond the lease, its row not written yet
    const next = await ledger.admit(carol.id, 10); // before: one more slice (188) left the lease below zero: 402
    assert.equal(next.userId, carol.id);
    const r = await ledger.report(carol.id);
    assert.equal(r.remaining_micros, 1_000 - 600 - 10);
    ledger.settle(next, 0);
  });

  it('a grant to the team admits again (change topic or recheck)', async () => {
    await insertGrant(db, { userId: teamId, month: MONTH, micros: 3_000, note: null, grantedBy: 'root' });
    skew += RECHECK_MS; // a refused payer is looked at again after RECHECK_MS (this ledger has no change feed)
    const r = await ledger.admit(teamId, 500, true);
    ledger.settle(r, 0);
    const team = await ledger.report(teamId, true);
    assert.equal(team.granted_micros, 3_000);
    assert.equal(team.remaining_micros, 3_000);
  });
});
