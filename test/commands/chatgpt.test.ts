// "integrations setup chatgpt" over real SSH against a real gatehouse and the mock ChatGPT issuer
// (issue 13, part B): device-code login in exec mode and at the prompt, --list, --verify, --delete,
// --openai=chatgpt on integrations, `integrations test`, and hostile input. No output, not even a
// --json one or an error, may carry a token the mock issued.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMockChatgpt, type MockChatgpt } from '../fixtures/mockChatgpt.js';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { startExec } from '../helpers/liveExec.js';
import { openShell, signUp, type KeyPair } from '../helpers/ssh.js';
import { usage } from '../../src/commands/integrations/setupList.js';

const WORK = { email: 'alice@example.com', plan: 'plus', accountId: 'acct-work-1' };
const polls = (gpt: MockChatgpt) => gpt.issuerRequests.filter((r) => r.path === '/api/accounts/deviceauth/token').length;

/** The issue's block, word for word, for a code. */
export function instructions(gpt: MockChatgpt, code: string): string {
  return `Open this URL to authorize ChatGPT:\n  ${gpt.issuerUrl}/codex/device\n\nEnter this code:\n  ${code}\n\nWaiting for authorization...\n`;
}

for (const database of DATABASES) describe(`integrations setup chatgpt (${database.name})`, () => {
  let gh: TestGatehouse;
  let gpt: MockChatgpt;
  let alice: KeyPair;
  let bob: KeyPair;

  function assertNoToken(text: string, where: string): void {
    for (const t of gpt.issuedTokens()) assert.ok(!text.includes(t), `${where} shows a token:\n${text}`);
  }
  const { sh, ok, okJson, fails, failsJson } = commandAsserts(() => gh.sshPort, assertNoToken);

  /** The code of the login started after `codes` codes were handed out. */
  async function newCode(codes: number): Promise<string> {
    await gpt.waitFor(() => gpt.userCodes.length > codes);
    return gpt.userCodes[codes];
  }

  /** Runs the login in exec mode, approves the code the mock hands out, returns the finished run. */
  async function login(key: KeyPair, name: string, identity = WORK, flags = '') {
    const codes = gpt.userCodes.length;
    const run = await startExec(gh.sshPort, key, `integrations setup chatgpt --name ${name}${flags}`, { eof: true });
    const code = await newCode(codes);
    gpt.approve(code, identity);
    await run.closed;
    run.client.end();
    assertNoToken(run.stdout + run.stderr, 'login');
    return { ...run, userCode: code };
  }

  before(async () => {
    gpt = await startMockChatgpt();
    gh = await startTestGatehouse({ ...(await database.env()), GATEHOUSE_CHATGPT_ISSUER: gpt.issuerUrl, GATEHOUSE_CHATGPT_BACKEND: gpt.backendUrl });
    alice = await signUp(gh.sshPort, 'alice');
    bob = await signUp(gh.sshPort, 'bob');
  });
  after(async () => {
    for (const line of gh?.logLines ?? []) assertNoToken(line, 'the log');
    await gh?.stop();
    await gpt?.close();
  });

  it('issue 13.1: setup --name work shows the URL and the code, then the connected account with email and plan (exec; stdin at EOF is no cancel)', async () => {
    const run = await login(alice, 'work');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, `${instructions(gpt, run.userCode)}Connected ChatGPT account work (alice@example.com, plan plus)\n`);
  });

  it('issue 13.2: --list shows work ok with email, plan and last refresh; --json the same fields and never a token', async () => {
    const lines = (await ok(alice, 'integrations setup chatgpt --list')).trimEnd().split('\n');
    assert.match(lines[0], /^NAME\s+EMAIL\s+PLAN\s+STATE\s+LAST-REFRESH\s+USAGE$/);
    assert.match(lines[1], /^work\s+alice@example\.com\s+plus\s+ok\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+-$/);
    const [work] = await okJson(alice, 'integrations setup chatgpt --list');
    assert.deepEqual({ name: work.name, email: work.email, plan: work.plan, state: work.state }, { name: 'work', email: 'alice@example.com', plan: 'plus', state: 'ok' });
    assert.deepEqual(await okJson(bob, 'integrations setup chatgpt --list'), [], "another user's accounts are not listed");
  });

  it('issue 13.3: add llm --openai=chatgpt --openai-account=work; list shows openai(chatgpt:work); a missing or foreign account is refused with a hint', async () => {
    await ok(alice, 'integrations add llm --name chatgpt-llm --openai=chatgpt --openai-account=work --anthropic=disabled --fireworks=disabled --attach auto:all');
    const line = (await ok(alice, 'integrations list')).split('\n').find((l) => l.startsWith('chatgpt-llm  '));
    assert.match(line ?? '', /providers=openai\(chatgpt:work\),gemini\(gateway\)/);
    const err = await fails(alice, 'integrations add llm --name other --openai=chatgpt --openai-account=nope', 1, /ChatGPT account "nope" not found/);
    assert.match(err, /integrations setup chatgpt --list/);
    await fails(bob, 'integrations add llm --name mine --openai=chatgpt --openai-account=work', 1, /ChatGPT account "work" not found/);
    await fails(alice, 'integrations edit chatgpt-llm --openai-account=nope', 1, /ChatGPT account "nope" not found/);
    await fails(alice, 'integrations add llm --name x --openai=chatgpt', 2, /needs --openai-account=ACCT/);
  });

  it('issue 13.3: integrations test on a chatgpt provider checks the account and the backend models list', async () => {
    const out = await ok(alice, 'integrations test chatgpt-llm');
    assert.match(out, /^openai\s+ok$/m);
    assert.ok(gpt.backendRequests.some((r) => r.path === '/models' && r.headers['chatgpt-account-id'] === WORK.accountId && /^Bearer /.test(r.headers.authorization)));
  });

  it('issue 13.2: --delete is refused while an integration uses the account, naming it', async () => {
    const err = await fails(alice, 'integrations setup chatgpt --name work --delete', 1, /chatgpt-llm/);
    assert.match(err, /integrations edit chatgpt-llm --openai=gateway/);
    assert.equal((await okJson(alice, 'integrations setup chatgpt --list')).length, 1);
    await fails(bob, 'integrations setup chatgpt --name work --delete', 1, /work/);
  });

  it('issue 13.7: --verify refreshes; after the issuer revokes the account it says needs login, --list too, exit 1; a new login makes it ok', async () => {
    assert.match(await ok(alice, 'integrations setup chatgpt --verify'), /^work\s+ok \(refreshed\)$/m);
    gpt.revoke(WORK.accountId);
    const r = await sh(alice, 'integrations setup chatgpt --verify');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^work\s+needs login \(refresh_token_invalidated\)$/m);
    assert.match(await ok(alice, 'integrations setup chatgpt --list'), /^work\s+alice@example\.com\s+plus\s+needs login/m);
    const out = await sh(alice, 'integrations test chatgpt-llm');
    assert.equal(out.code, 1);
    assert.match(out.stdout, /integrations setup chatgpt --name work/);
    assert.equal((await login(alice, 'work')).code, 0);
    assert.match(await ok(alice, 'integrations setup chatgpt --list'), /^work\s+alice@example\.com\s+plus\s+ok/m);
  });

  it('issue 13.2: --delete works once no integration uses the account', async () => {
    await ok(alice, 'integrations edit chatgpt-llm --openai=gateway');
    assert.equal((await ok(alice, 'integrations setup chatgpt --name work --delete')).trim(), 'Deleted ChatGPT account work');
    assert.deepEqual(await okJson(alice, 'integrations setup chatgpt --list'), []);
    await fails(alice, 'integrations setup chatgpt --name work --delete', 1, /work/);
  });

  it('issue 13: a login refused after the code exchange (the 10-account limit reached meanwhile) revokes the tokens it was issued', async () => {
    const carol = await signUp(gh.sshPort, 'carol');
    for (let n = 1; n <= 9; n++) assert.equal((await login(carol, `c${n}`, { ...WORK, accountId: `acct-c${n}` })).code, 0);
    // Two logins pass the check at 9 accounts; the second to be approved finds 10 when it stores.
    const codes = gpt.userCodes.length;
    const first = await startExec(gh.sshPort, carol, 'integrations setup chatgpt --name c10', { eof: true });
    const second = await startExec(gh.sshPort, carol, 'integrations setup chatgpt --name c11', { eof: true });
    await gpt.waitFor(() => gpt.userCodes.length >= codes + 2);
    await Promise.all([first.waitFor(/Waiting for authorization/), second.waitFor(/Waiting for authorization/)]);
    const codeOf = (run: typeof first) => gpt.userCodes.slice(codes).find((c) => run.stdout.includes(c))!;
    gpt.approve(codeOf(first), { ...WORK, accountId: 'acct-c10' });
    await first.closed;
    first.client.end();
    assert.equal(first.code, 0, first.stderr);
    const revokes = () => gpt.issuerRequests.filter((r) => r.path === '/oauth/revoke').length;
    const before = revokes();
    gpt.approve(codeOf(second), { ...WORK, accountId: 'acct-c11' });
    await second.closed;
    second.client.end();
    assert.equal(second.code, 1);
    assert.match(second.stderr, /10 ChatGPT accounts connected/);
    assertNoToken(second.stdout + second.stderr, 'refused login');
    await gpt.waitFor(() => revokes() > before);
    // Only the refused login's tokens went: the stored account still refreshes.
    assert.match(await ok(carol, 'integrations setup chatgpt --verify --name c10'), /^c10\s+ok \(refreshed\)$/m);
    assert.equal((await okJson(carol, 'integrations setup chatgpt --list')).length, 10);
  });

  it('issue 13.1: --json prints the instructions on stderr and one object on stdout, without a token', async () => {
    const run = await login(alice, 'json-acct', { email: 'j@example.com', plan: 'pro', accountId: 'acct-json' }, ' --json');
    assert.equal(run.code, 0);
    assert.equal(run.stderr, instructions(gpt, run.userCode));
    const body = JSON.parse(run.stdout);
    assert.deepEqual({ name: body.name, email: body.email, plan: body.plan, state: body.state }, { name: 'json-acct', email: 'j@example.com', plan: 'pro', state: 'ok' });
    await ok(alice, 'integrations setup chatgpt --name json-acct --delete');
  });

  it('issue 13.1: a denied code fails clearly, exit 1, and stores nothing', async () => {
    const codes = gpt.userCodes.length;
    const run = await startExec(gh.sshPort, alice, 'integrations setup chatgpt --name denied', { eof: true });
    gpt.deny(await newCode(codes));
    await run.closed;
    run.client.end();
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: ChatGPT sign-in was not approved/m);
    assert.equal((await okJson(alice, 'integrations setup chatgpt --list')).length, 0);
  });

  it('issue 13.1: at the interactive prompt (PTY) the same block, then connected', async () => {
    const term = await openShell(gh.sshPort, alice);
    try {
      await term.waitForPrompt();
      const codes = gpt.userCodes.length;
      term.type('integrations setup chatgpt --name prompt\r');
      const code = await newCode(codes);
      await term.waitFor(/Waiting for authorization\.\.\./);
      gpt.approve(code, { email: 'p@example.com', plan: 'team', accountId: 'acct-prompt' });
      const screen = await term.waitFor(/Connected ChatGPT account prompt \(p@example\.com, plan team\)/);
      assert.ok(screen.includes(instructions(gpt, code).trimEnd()), screen);
      await term.waitForPrompt();
      // Account names complete, for setup's --name and for --openai-account (the user's own only).
      term.type('integrations setup chatgpt --name pro\t');
      await term.waitFor(() => term.currentLine().endsWith('--name prompt'));
      term.type('\x15integrations add llm --openai-account=pro\t');
      await term.waitFor(() => term.currentLine().endsWith('--openai-account=prompt'));
      term.type('\x15');
      await term.waitForPrompt();
      assertNoToken(term.raw, 'the prompt');
    } finally {
      term.close();
    }
    await ok(alice, 'integrations setup chatgpt --name prompt --delete');
  });

  it('issue 13.1: hostile input is refused before the issuer is asked: unknown service, bad and 1000-character names, mixed modes', async () => {
    const before = gpt.issuerRequests.length;
    await fails(alice, 'integrations setup foo --name work', 1, /unknown service "foo": only chatgpt/);
    await failsJson(alice, 'integrations setup foo', 1, /unknown service/);
    await fails(alice, 'integrations setup', 2, /SERVICE/);
    await fails(alice, 'integrations setup chatgpt --name Bad_Name', 1, /invalid ChatGPT account name/);
    const long = await fails(alice, `integrations setup chatgpt --name ${'a'.repeat(1000)}`, 1, /invalid ChatGPT account name/);
    assert.ok(long.length < 400, 'the name is shortened in the error');
    await fails(alice, 'integrations setup chatgpt --name \x1b[31mred', 1, /invalid ChatGPT account name "\\u001b\[31mred"/);
    await fails(alice, 'integrations setup chatgpt', 2, /missing --name/);
    await fails(alice, 'integrations setup chatgpt --delete', 2, /--delete needs --name/);
    await fails(alice, 'integrations setup chatgpt --list --verify', 2, /do not go together/);
    await fails(alice, 'integrations setup chatgpt --list --name work', 2, /leave out --name/);
    await fails(alice, 'integrations setup chatgpt --name x --bogus', 2, /unknown flag --bogus/);
    await fails(alice, `integrations add llm --name y --openai=chatgpt --openai-account=${'b'.repeat(1000)}`, 1, /invalid ChatGPT account name/);
    await fails(alice, 'integrations setup chatgpt --verify --name nope', 1, /ChatGPT account "nope" not found/);
    assert.equal(gpt.issuerRequests.length, before, 'no issuer call for a refused command');
    assert.match(await ok(alice, 'integrations setup chatgpt --help'), /--list/);
  });
});

describe('integrations setup chatgpt: timeout and disabled device login', () => {
  let gh: TestGatehouse;
  let gpt: MockChatgpt;
  let alice: KeyPair;
  const { sh, ok, okJson, fails } = commandAsserts(() => gh.sshPort);

  before(async () => {
    gpt = await startMockChatgpt();
    gh = await startTestGatehouse({ GATEHOUSE_CHATGPT_ISSUER: gpt.issuerUrl, GATEHOUSE_CHATGPT_BACKEND: gpt.backendUrl, GATEHOUSE_CHATGPT_LOGIN_TIMEOUT_MS: '1500' });
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(async () => {
    await gh?.stop();
    await gpt?.close();
  });

  it('issue 13.1: a code never entered times out: clear error, exit 1, nothing stored', async () => {
    const r = await sh(alice, 'integrations setup chatgpt --name late');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Waiting for authorization\.\.\.$/m);
    assert.match(r.stderr, /^error: ChatGPT sign-in timed out.*run the command again/);
    assert.ok(polls(gpt) >= 1);
    assert.deepEqual(await okJson(alice, 'integrations setup chatgpt --list'), []);
  });

  it('issue 13.1: device login disabled on the account (404) says how to enable it', async () => {
    gpt.disableDeviceLogin();
    await fails(alice, 'integrations setup chatgpt --name work', 1, /device code login is not enabled/);
    assert.match(await ok(alice, 'integrations setup chatgpt --list'), /No ChatGPT account connected/);
  });
});

describe('integrations setup chatgpt --list: usage windows', () => {
  it('issue 13.2: windows read as the plan shows them: 5h 42% (resets 14:05), 7d 13%', () => {
    const now = Date.parse('2026-01-02T12:00:00Z');
    const w = (usedPercent: number, windowMinutes: number | null, resetAt: number | null) => ({ usedPercent, windowMinutes, resetAt });
    const observedAt = new Date(now).toISOString();
    assert.equal(usage({ primary: w(42.4, 300, now / 1000 + 7500), secondary: w(13, 10080, now / 1000 + 3 * 86400), observedAt }, now), '5h 42% (resets 14:05), 7d 13% (resets 2026-01-05)');
    assert.equal(usage({ primary: w(99.6, 90, now / 1000 - 60), secondary: null, observedAt }, now), '90m 100%', 'a reset time passed is not shown');
    assert.equal(usage({ primary: null, secondary: w(5, null, null), observedAt }, now), '5%');
    assert.equal(usage(null, now), '-');
  });
});
