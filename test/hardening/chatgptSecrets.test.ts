// Issue 13.A8: ChatGPT tokens exist only sealed at rest. The mock issues distinctive tokens; after
// logins, proactive and forced refreshes, a 401 refresh, a permanent failure and a removal, no
// token (id, access or refresh) may appear in the database's bytes (SQLite: the file, -wal and
// -shm, while open and after a clean stop; PostgreSQL: a pg_dump) or in any log line.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startMockChatgpt, type MockChatgpt } from '../fixtures/mockChatgpt.js';
import { chatgptEnv, chatgptService, connectAccount, type ChatgptService } from '../helpers/chatgpt.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { postgresBin } from '../postgres/cluster.js';
import { signUp } from '../helpers/ssh.js';

function assertNoToken(haystack: Buffer | string, tokens: string[], where: string): void {
  const bytes = typeof haystack === 'string' ? Buffer.from(haystack) : haystack;
  assert.ok(tokens.length >= 10, 'the flows issued tokens');
  for (const token of tokens) assert.equal(bytes.indexOf(token), -1, `a token (${token.slice(0, 8)}…) is in ${where}`);
}

for (const database of DATABASES) describe(`ChatGPT tokens at rest (${database.name})`, () => {
  let gpt: MockChatgpt;
  let gh: TestGatehouse;
  let svc: ChatgptService;
  let stopped = false;

  before(async () => {
    gpt = await startMockChatgpt();
    gh = await startTestGatehouse({ ...(await database.env()), ...chatgptEnv(gpt) });
    await signUp(gh.sshPort, 'alice');
    svc = await chatgptService(gh);
    const alice = await svc.userId('alice');
    const { accounts } = svc;
    const identity = (id: string) => ({ email: `${id}@example.com`, plan: 'plus', accountId: id });
    gpt.accessTtlS = -60;
    await connectAccount(gpt, accounts, alice, 'work', identity('acct-work'));
    await connectAccount(gpt, accounts, alice, 'spare', identity('acct-spare'));
    gpt.accessTtlS = 3600;
    const cred = await accounts.credential(alice, 'work'); // proactive refresh
    await accounts.refreshNow(alice, 'work');
    gpt.expireAccess('acct-work');
    await accounts.afterUnauthorized(cred);
    await connectAccount(gpt, accounts, alice, 'work', identity('acct-work')); // a re-login
    gpt.revoke('acct-spare');
    await accounts.refreshNow(alice, 'spare'); // needs_login
    await connectAccount(gpt, accounts, alice, 'temp', identity('acct-temp'));
    await accounts.remove(alice, 'temp');
  });

  after(async () => {
    if (!stopped) {
      await svc?.close();
      await gh?.stop();
    }
    await gpt?.close();
  });

  it('issue 13.A8: no token in any log line', () => {
    assertNoToken(gh.logLines.join('\n') + svc.logLines.join('\n'), gpt.issuedTokens(), 'the log');
  });

  if (database.name === 'sqlite') {
    it('issue 13.A8: no token in the SQLite file, its -wal or -shm, while open and after a stop', async () => {
      const file = path.join(gh.dataDir, 'gatehouse.db');
      const files = () => [file, `${file}-wal`, `${file}-shm`].filter((f) => fs.existsSync(f));
      assert.ok(files().some((f) => f.endsWith('-wal')), 'the WAL exists while open');
      for (const f of files()) assertNoToken(fs.readFileSync(f), gpt.issuedTokens(), path.basename(f));
      await svc.close();
      await gh.stop();
      stopped = true;
      for (const f of files()) assertNoToken(fs.readFileSync(f), gpt.issuedTokens(), `${path.basename(f)} after the stop`);
      assert.ok(fs.readFileSync(file).includes('acct-work'), 'the scan sees plain columns');
    });
  } else {
    it('issue 13.A8: no token in a pg_dump of the database', async () => {
      const target = gh.config.database;
      assert.equal(target.kind, 'postgres');
      const dump = await promisify(execFile)(path.join(postgresBin()!, 'pg_dump'), ['--data-only', target.kind === 'postgres' ? target.url : ''], { maxBuffer: 64 * 1024 * 1024 });
      assert.match(dump.stdout, /acct-work/, 'the dump holds the accounts');
      assertNoToken(dump.stdout, gpt.issuedTokens(), 'pg_dump');
    });
  }
});
