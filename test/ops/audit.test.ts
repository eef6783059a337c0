// Issue 16 part C: the audit log and the per-command log line, on SQLite and PostgreSQL. alice's
// changes appear in her `audit` with her key's fingerprint and address, bob sees none of them, an
// admin sees them with `admin audit --user alice`; failures carry their code; no secret value is
// ever stored in an audit row or written to a log line.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatehouse, type Gatehouse } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { AuditLog } from '../../src/core/auditLog.js';
import { parsePublicKey } from '../../src/core/publicKey.js';
import { insertAuditRow, PRUNE_BATCH, queryAudit } from '../../src/db/audit.js';
import { openDatabase } from '../../src/db/open.js';
import { silentLog, type Log, type LogFields } from '../../src/log.js';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES } from '../helpers/databases.js';
import { tempDir, type TestGatehouse } from '../helpers/gatehouse.js';
import { storedBytes } from '../helpers/stored.js';
import { openShell, signUp, type KeyPair } from '../helpers/ssh.js';

const PLANTED = { stdin: 'sk-ant-audit-planted-stdin-0001', cmdline: 'sk-ant-audit-planted-cmdline-0002', second: 'sk-ant-audit-planted-stdin-0003', target: 'sk-ant-audit-planted-target-0004' };
const DAY = 86_400_000;

interface Line {
  level: string;
  msg: string;
  fields?: LogFields;
  err?: string;
}

/** The real log interface, captured whole (message, fields, error), so every field can be searched. */
function capturingLog(lines: Line[]): Log {
  const push = (level: string) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, fields });
  const log: Log = {
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: (msg, err, fields) => void lines.push({ level: 'error', msg, fields, err: err instanceof Error ? `${err.message}\n${err.stack}` : String(err ?? '') }),
    child: () => log,
  };
  return log;
}

for (const database of DATABASES) describe(`audit log (${database.name})`, () => {
  const lines: Line[] = [];
  let app: Gatehouse;
  let config: Readonly<Config>;
  let root: KeyPair;
  let alice: KeyPair;
  let bob: KeyPair;
  const { sh, ok, okJson, fails } = commandAsserts(() => app.sshPort, (output) => {
    // `rm NAME` echoes the name it did not find: the planted target is checked in the audit rows only.
    for (const secret of [PLANTED.stdin, PLANTED.cmdline, PLANTED.second]) assert.ok(!output.includes(secret), 'a planted secret in command output');
  });
  const fingerprint = (key: KeyPair) => parsePublicKey(key.public).fingerprint;
  const rows = async (key: KeyPair, command: string) => (await okJson(key, command)) as Record<string, string | null>[];

  before(async () => {
    config = loadConfig({ GATEHOUSE_DATA_DIR: tempDir(), GATEHOUSE_SSH_LISTEN: '127.0.0.1:0', GATEHOUSE_GATEWAY_LISTEN: '127.0.0.1:0', GATEHOUSE_ADMIN_LISTEN: '127.0.0.1:0', GATEHOUSE_WEB_LISTEN: '127.0.0.1:0', ...(await database.env()) });
    app = await startGatehouse(config, { log: capturingLog(lines) });
    root = await signUp(app.sshPort, 'root'); // the first account: admin
    [alice, bob] = await Promise.all([signUp(app.sshPort, 'alice'), signUp(app.sshPort, 'bob')]);
  });
  after(async () => {
    await app?.stop();
  });

  it('issue 16.4: integrations edit, keys revoke, new and rm by alice are in her audit with her fingerprint and address; bob sees none', async () => {
    await ok(alice, 'integrations edit llm --anthropic=byok --anthropic-key=-', PLANTED.stdin);
    await ok(alice, 'integrations edit llm --anthropic-key=-', PLANTED.second);
    await okJson(alice, 'keys create --name laptop');
    await ok(alice, 'keys revoke laptop');
    await ok(alice, 'new --name alice-box --address 10.42.9.9');
    await ok(alice, 'rm alice-box');
    await ok(alice, 'ls'); // a read: not audited
    const mine = await rows(alice, 'audit');
    assert.deepEqual(
      mine.map((r) => [r.action, r.target, r.outcome]),
      [
        ['rm', 'vm alice-box', 'ok'],
        ['new', 'vm alice-box', 'ok'],
        ['keys revoke', 'api key laptop', 'ok'],
        ['keys create', 'api key laptop', 'ok'],
        ['integrations edit', 'integration llm', 'ok'],
        ['integrations edit', 'integration llm', 'ok'],
        ['signup', 'user alice', 'ok'],
      ],
    );
    for (const r of mine) {
      assert.deepEqual([r.actor, r.via, r.key, r.address], ['alice', 'ssh', fingerprint(alice), '127.0.0.1'], JSON.stringify(r));
      assert.match(String(r.at), /^\d{4}-\d\d-\d\dT/);
      assert.ok(r.instance);
    }
    assert.equal(mine[4].detail, 'anthropic key replaced', 'a changed key is constant text');
    assert.equal(mine[5].detail, 'anthropic key set');
    const bobs = await rows(bob, 'audit');
    assert.deepEqual(bobs.map((r) => [r.actor, r.action]), [['bob', 'signup']]);
    // Text: aligned columns, newest first.
    const text = await ok(alice, 'audit --limit 2');
    const [header, first] = text.trimEnd().split('\n');
    assert.match(header, /^AT \(UTC\) +ACTOR +KEY +ADDRESS +ACTION +TARGET +OUTCOME +DETAIL$/);
    assert.equal(first.indexOf('rm'), header.indexOf('ACTION'));
  });

  it('issue 16.4: admin audit --user alice shows her events, --action filters by command words', async () => {
    const hers = await rows(root, 'admin audit --user alice');
    assert.deepEqual(hers.slice(0, 4).map((r) => r.action), ['rm', 'new', 'keys revoke', 'keys create']);
    assert.ok(hers.every((r) => r.actor === 'alice'));
    const edits = await rows(root, 'admin audit --user alice --action integrations');
    assert.deepEqual(edits.map((r) => r.action), ['integrations edit', 'integrations edit']);
    assert.deepEqual((await rows(root, "admin audit --action 'keys revoke'")).map((r) => r.actor), ['alice']);
    assert.deepEqual((await rows(root, 'admin audit --action keys --user bob')), []);
    const signups = await rows(root, 'admin audit --action signup');
    assert.deepEqual(signups.map((r) => r.target).sort(), ['user alice', 'user bob', 'user root']);
    // Admin commands are audited, reads included: the ones just run are in root's own log.
    assert.ok((await rows(root, 'audit')).some((r) => r.action === 'admin audit' && r.outcome === 'ok'));
  });

  it('issue 16.4: a failed change is recorded with its code; usage errors are not', async () => {
    await fails(alice, 'rm no-such-vm', 1, /not found/);
    await fails(alice, 'keys revoke nope', 1, /not found/);
    await fails(alice, 'rm', 2, /missing argument VM/);
    await fails(alice, 'rm --frob x', 2, /unknown flag/);
    const latest = await rows(alice, 'audit --limit 2');
    assert.deepEqual(latest.map((r) => [r.action, r.target, r.outcome]), [['keys revoke', 'api key nope', 'not_found'], ['rm', 'vm no-such-vm', 'not_found']]);
  });

  it('issue 16.4: admin audit is refused to a non-admin, and the attempt is recorded', async () => {
    await fails(alice, 'admin audit', 1, /admins only/);
    const r = await sh(bob, 'admin audit --user alice --json');
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).code, 'forbidden');
    const [attempt] = await rows(alice, 'audit --limit 1');
    assert.deepEqual([attempt.action, attempt.outcome, attempt.actor], ['admin audit', 'forbidden', 'alice']);
  });

  it('issue 16.4: hostile --since, --limit and --action are refused; the good ones work', async () => {
    for (const bad of ['7x', '2026-02-31', '99999999d', '1y', "'; DROP TABLE audit_log; --", '2026-01-01T25:00', '', '7 d']) {
      const r = await sh(alice, `audit --since ${JSON.stringify(bad)}`);
      assert.notEqual(r.code, 0, `--since ${bad}`);
    }
    for (const bad of ['0', '5001', '1e3', '-1', '10000000000', 'all', '2.5']) {
      const r = await sh(alice, `audit --limit ${JSON.stringify(bad)}`);
      assert.notEqual(r.code, 0, `--limit ${bad}`);
    }
    for (const bad of ['%', 'rm%', "keys' OR 1=1", 'a'.repeat(200), '_']) {
      const r = await sh(root, `admin audit --action ${JSON.stringify(bad)}`);
      assert.equal(r.code, 1, `--action ${bad}: ${r.stderr}`);
    }
    assert.equal((await rows(alice, 'audit --limit 1')).length, 1);
    assert.equal((await rows(alice, 'audit --limit 5000')).length, (await rows(alice, 'audit --since 1h')).length);
    assert.deepEqual(await rows(alice, `audit --since ${new Date().getUTCFullYear() + 1}-01-01`), []);
    assert.ok((await rows(alice, 'audit --since 2000-01-01T00:00:00Z')).length > 0);
  });

  it('issue 16.4: a planted secret is in no audit row and in no stored byte; a secret-looking target is withheld', async () => {
    assert.equal((await sh(alice, `integrations edit llm --anthropic-key=${PLANTED.cmdline}`)).code, 0); // warns: a key on the command line
    await fails(alice, `rm ${PLANTED.target}`, 1, /not found|invalid/);
    const all = await rows(root, 'admin audit --limit 5000');
    const text = JSON.stringify(all);
    for (const secret of Object.values(PLANTED)) assert.ok(!text.includes(secret), `${secret} in an audit row`);
    const [withheld] = await rows(alice, 'audit --limit 1');
    assert.equal(withheld.target, 'vm [withheld]');
    for (const { where, bytes } of await storedBytes({ config } as TestGatehouse)) {
      for (const secret of Object.values(PLANTED)) assert.ok(!bytes.includes(secret), `${secret} stored in plain text in ${where}`);
    }
  });

  it('issue 16.3: one `command` log line per command, by path, with user, fingerprint, address, exit and duration; no argument value', async () => {
    const before = lines.length;
    await ok(alice, 'whoami');
    await fails(alice, `integrations edit llm --anthropic-key=${PLANTED.cmdline} --frob`, 2, /unknown flag/);
    await fails(alice, 'no-such-command', 2, /command not found/);
    const term = await openShell(app.sshPort, alice);
    try {
      await term.waitForPrompt();
      await term.run('ls\r');
    } finally {
      term.close();
    }
    const commands = lines.slice(before).filter((l) => l.msg === 'command');
    assert.deepEqual(
      commands.map((l) => [l.fields?.command, l.fields?.exit, l.fields?.interactive]),
      [['whoami', 0, false], ['integrations edit', 2, false], ['ls', 0, true]],
    );
    for (const l of commands) {
      assert.deepEqual([l.fields?.user, l.fields?.fingerprint, l.fields?.address], ['alice', fingerprint(alice), '127.0.0.1']);
      assert.ok(typeof l.fields?.duration_ms === 'number' && l.fields.duration_ms >= 0);
    }
    const logged = JSON.stringify(lines);
    for (const secret of Object.values(PLANTED)) assert.ok(!logged.includes(secret), `${secret} in a log line`);
  });

  it('issue 16.4: pruning deletes rows past retention, in batches, and keeps the rest', async () => {
    const db = await openDatabase(config.database);
    try {
      const old = new Date(Date.now() - 400 * DAY).toISOString();
      const row = { at: old, instance: 'test', via: 'system' as const, actor_user_id: null, actor_name: 'system', key_fingerprint: null, api_key_name: null, address: null, subject_user_id: null, action: 'prune test', target: null, detail: null, outcome: 'ok' };
      for (let i = 0; i < PRUNE_BATCH + 3; i += 500) await db.insertInto('audit_log').values(Array.from({ length: Math.min(500, PRUNE_BATCH + 3 - i) }, () => row)).execute();
      await insertAuditRow(db, { ...row, at: new Date(Date.now() - 300 * DAY).toISOString(), target: 'x'.repeat(1000), detail: '\u0000'.repeat(10) + 'kept' });
      const audit = new AuditLog(db, { instance: 'test', log: silentLog });
      audit.startPruning(365);
      await audit.close();
      const left = await queryAudit(db, { action: 'prune test', limit: 5000 });
      assert.equal(left.length, 1);
      assert.equal(left[0].target?.length, 200, 'clipped to its column');
      assert.equal(left[0].detail, 'kept', 'NUL removed');
      assert.ok((await rows(alice, 'audit')).length > 0, "today's rows stay");
    } finally {
      await db.destroy();
    }
  });
});
