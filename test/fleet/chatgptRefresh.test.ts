// Issue 13.A6 across a fleet: two instances on one PostgreSQL, each with its own pool, change feed
// and ChatgptAccounts (as each gatehouse holds one). A refresh token is single-use, so however many
// requests on however many instances find the access token expired, the issuer sees one refresh;
// a login that needs renewing is known fleet-wide.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GatehouseError } from '../../src/errors.js';
import { startMockChatgpt, type MockChatgpt } from '../fixtures/mockChatgpt.js';
import { chatgptEnv, chatgptService, connectAccount, type ChatgptService } from '../helpers/chatgpt.js';
import { signUp } from '../helpers/ssh.js';
import { NO_POSTGRES, pollUntil, startFleet, type Fleet } from './fleet.js';

describe('ChatGPT refresh across a fleet (issue 13.A6)', { skip: NO_POSTGRES }, () => {
  let gpt: MockChatgpt;
  let fleet: Fleet;
  let A: ChatgptService;
  let B: ChatgptService;
  let alice: number;

  before(async () => {
    gpt = await startMockChatgpt();
    fleet = await startFleet(2, chatgptEnv(gpt));
    await signUp(fleet.instances[0].sshPort, 'alice');
    A = await chatgptService(fleet.instances[0], { feed: true });
    B = await chatgptService(fleet.instances[1], { feed: true });
    alice = await A.userId('alice');
  });

  after(async () => {
    await A?.close();
    await B?.close();
    await fleet?.stop();
    await gpt?.close();
  });

  async function connect(name: string, ttlS: number) {
    gpt.accessTtlS = ttlS;
    try {
      return await connectAccount(gpt, A.accounts, alice, name, { email: `${name}@example.com`, plan: 'plus', accountId: `acct-${name}` });
    } finally {
      gpt.accessTtlS = 3600;
    }
  }

  it('issue 13.A6: 10 concurrent requests on each of two instances with an expired token: exactly one refresh', async () => {
    await connect('work', -60);
    gpt.refreshDelayMs = 300; // both instances are inside their refresh path while the first one waits on the issuer
    const before = gpt.refreshCount;
    try {
      const creds = await Promise.all([A, B].flatMap((i) => Array.from({ length: 10 }, () => i.accounts.credential(alice, 'work'))));
      assert.equal(gpt.refreshCount - before, 1);
      assert.equal(new Set(creds.map((c) => c.accessToken)).size, 1, 'the other instance took the stored tokens');
      assert.deepEqual(new Set(creds.map((c) => c.generation)), new Set([2]));
    } finally {
      gpt.refreshDelayMs = 0;
    }
  });

  it('issue 13.A6: a 401 on an instance whose token another instance already replaced costs no refresh', async () => {
    await connect('shared', 3600);
    const old = await B.accounts.credential(alice, 'shared');
    assert.equal(await A.accounts.refreshNow(alice, 'shared'), 'ok');
    const before = gpt.refreshCount;
    const fresh = await B.accounts.afterUnauthorized(old);
    assert.equal(gpt.refreshCount, before);
    assert.equal(fresh.generation, old.generation + 1);
    assert.notEqual(fresh.accessToken, old.accessToken);
  });

  it('issue 13: a removal on one instance while the other refreshes waits for the refresh and revokes the rotated token', async () => {
    await connect('rotating', -60);
    gpt.refreshDelayMs = 1000; // B's removal comes well within it
    const seen = gpt.issuerRequests.length;
    const asked = () => gpt.issuerRequests.some((r) => r.index >= seen && r.json?.grant_type === 'refresh_token');
    try {
      const refreshing = A.accounts.credential(alice, 'rotating');
      await gpt.waitFor(asked); // A holds the refresh lock, waiting on the issuer's answer
      await B.accounts.remove(alice, 'rotating');
      assert.equal((await refreshing).generation, 2, 'the refresh finished before the removal');
    } finally {
      gpt.refreshDelayMs = 0;
    }
    const revoked = gpt.issuerRequests.filter((r) => r.path === '/oauth/revoke').at(-1)?.json?.token;
    assert.equal(revoked, gpt.issuedTokens().filter((t) => t.startsWith('rt_mock_')).at(-1), 'the live refresh token was revoked');
  });

  it('issue 13.A7: a permanent refresh failure on one instance is known on the other within a second', async () => {
    await connect('doomed', 3600);
    await B.accounts.credential(alice, 'doomed'); // B holds a token in memory
    gpt.revoke('acct-doomed');
    assert.deepEqual(await A.accounts.refreshNow(alice, 'doomed'), { needsLogin: 'refresh_token_invalidated' });
    const before = gpt.refreshCount;
    await pollUntil(1000, async () => {
      try {
        await B.accounts.credential(alice, 'doomed');
        return 'B still uses its token';
      } catch (err) {
        return (err as GatehouseError).code === 'unauthenticated' || (err as Error).message;
      }
    });
    assert.equal(gpt.refreshCount, before, 'B asked the issuer nothing');
  });
});
