// Provider keys on their way in (issue #3): `--<p>-key=-` reads stdin to EOF (trimmed) over SSH
// exec, and prompts without echo in the interactive shell, never entering history; `--<p>-key=VALUE`
// works but warns. Afterwards the key is in no output, no log line and no database byte.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/db/open.js';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { storedBytes } from '../helpers/stored.js';
import { exec, hasOpenSsh, openShell, runOpenSsh, signUp, type ExecResult, type KeyPair } from '../helpers/ssh.js';
import { KEYS, type ScriptedTerminal } from '../helpers/terminal.js';

for (const database of DATABASES) describe(`provider keys on their way in (${database.name})`, () => {
  let gh: TestGatehouse;
  let mock: MockProvider;
  let alice: KeyPair;
  const terminals: ScriptedTerminal[] = [];

  const DOMAIN = 'gatehouse.localhost';
  const PROMPT = 'gatehouse ▶';
  /** Every key any test sends. None may show up anywhere but in the upstream's request headers. */
  const KEY = {
    openssh: 'sk-ant-test',
    piped: 'sk-ant-piped-0c1d2e',
    inline: 'sk-ant-inline-3f4a5b',
    typed: 'sk-ant-typed-6c7d8e',
    pasted: 'sk-ant-pasted-9f0a1b',
    typedOpenai: 'sk-openai-typed-2c3d',
    interactiveInline: 'sk-ant-ttyinline-4e5f',
    rotated: 'sk-ant-rotated-7a8b',
  };
  const SECRETS = Object.values(KEY);

  function assertNoSecret(text: string, where: string): void {
    for (const s of SECRETS) assert.ok(!text.includes(s), `${where} shows the key ${s}`);
  }

  async function sh(command: string, stdin?: string): Promise<ExecResult> {
    const r = await exec(gh.sshPort, alice, command, stdin === undefined ? {} : { stdin });
    assertNoSecret(r.stdout + r.stderr, command);
    assert.doesNotMatch(r.stdout + r.stderr, /internal error|\n\s+at .+:\d+:\d+/, command);
    return r;
  }

  async function ok(command: string, stdin?: string): Promise<string> {
    const r = await sh(command, stdin);
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    return r.stdout;
  }

  /** The key the server holds for a byok anthropic integration: what `integrations test` sends upstream. */
  async function storedAnthropicKey(name: string): Promise<string | undefined> {
    mock.reset();
    await sh(`integrations test ${name}`);
    await mock.waitForRequests(1);
    return mock.requests[0].headers['x-api-key'];
  }

  async function shell(): Promise<ScriptedTerminal> {
    const term = await openShell(gh.sshPort, alice, { cols: 200, rows: 50 });
    terminals.push(term);
    await term.waitFor(() => term.currentLine() === PROMPT);
    return term;
  }

  /** Types a line and waits until output matching `until` is shown and a fresh prompt is back. */
  async function enter(term: ScriptedTerminal, keys: string, until: RegExp): Promise<string> {
    term.type(keys);
    return term.waitFor((s) => until.test(s) && term.currentLine() === PROMPT);
  }

  /** Clears the line (^U) and closes the session: a recalled line left on the prompt would run at EOF. */
  async function leave(term: ScriptedTerminal): Promise<void> {
    term.type(KEYS.ctrlU);
    await term.waitFor(() => term.currentLine() === PROMPT);
    term.close();
  }

  /** Presses ↑ and waits for the line to show `expected` after the prompt. */
  async function up(term: ScriptedTerminal, expected: string): Promise<void> {
    term.type(KEYS.up);
    await term.waitFor(() => term.currentLine() === `${PROMPT} ${expected}`);
  }

  before(async () => {
    mock = await startMockProvider({ keys: { anthropic: KEY.openssh } });
    gh = await startTestGatehouse({ ...(await database.env()), GATEHOUSE_ANTHROPIC_UPSTREAM: mock.url, GATEHOUSE_OPENAI_UPSTREAM: mock.url });
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(async () => {
    for (const t of terminals) t.close();
    await gh?.stop();
    await mock?.close();
  });

  describe('a key over SSH exec', () => {
    it('the issue’s example with OpenSSH: printf KEY | ssh … --anthropic-key=-', { skip: !hasOpenSsh && 'OpenSSH client not installed' }, async () => {
      const command = 'integrations add llm --name keys --anthropic=byok --anthropic-key=- --openai=disabled --attach tag:llm'.split(' ');
      const r = await runOpenSsh(gh.sshPort, alice, [], command, KEY.openssh);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Added integration keys\nFrom a VM: curl http://keys.int.${DOMAIN}/v1/models\n`);
      assert.equal(r.stderr, '');
      const listed = await runOpenSsh(gh.sshPort, alice, [], ['integrations', 'list'], '');
      assert.match(listed.stdout, /^keys  llm  providers=anthropic\(byok\),fireworks\(gateway\),gemini\(gateway\)  tag:llm$/m);
      assertNoSecret(listed.stdout + listed.stderr, 'integrations list');
      assert.equal(await storedAnthropicKey('keys'), KEY.openssh);
      assert.equal(await ok('integrations test keys'), 'anthropic  ok\n');
    });

    it('reads stdin to its end and trims it', async () => {
      assert.match(await ok('integrations add llm --name piped --anthropic=byok --anthropic-key=-', `  ${KEY.piped}\r\n\n`), /^Added integration piped\n/);
      assert.equal(await storedAnthropicKey('piped'), KEY.piped);
      // A rotation through edit, the same way.
      await ok('integrations edit piped --anthropic-key=-', `${KEY.rotated}\n`);
      assert.equal(await storedAnthropicKey('piped'), KEY.rotated);
    });

    it('refuses an empty, malformed or oversized key, and two keys on one stdin', async () => {
      const empty = await sh('integrations add llm --name nokey --anthropic=byok --anthropic-key=-', '\n  \n');
      assert.equal(empty.code, 1);
      assert.equal(empty.stderr, 'error: the Anthropic key is empty\npipe it in: printf %s "$KEY" | ssh … --anthropic-key=-\n');
      const spaced = await sh('integrations add llm --name nokey --anthropic=byok --anthropic-key=-', 'sk-ant two words');
      assert.equal(spaced.code, 1);
      assert.match(spaced.stderr, /^error: the Anthropic key does not look like an API key \(spaces, control or non-ASCII characters, or too long\)\n$/);
      // It goes in an HTTP header upstream, where a non-ASCII character would fail every request.
      const unicode = await sh('integrations add llm --name nokey --anthropic=byok --anthropic-key=-', 'sk-ant-ключ');
      assert.equal(unicode.code, 1);
      assert.match(unicode.stderr, /does not look like an API key/);
      const control = await sh('integrations add llm --name nokey --anthropic=byok --anthropic-key=-', 'sk-ant\x1b[2J');
      assert.equal(control.code, 1);
      assert.doesNotMatch(control.stderr, /\x1b/);
      const long = await sh('integrations add llm --name nokey --anthropic=byok --anthropic-key=-', 'k'.repeat(1025));
      assert.equal(long.code, 1);
      assert.match(long.stderr, /does not look like an API key/);
      assert.ok(long.stderr.length < 200, 'the refused key is not echoed');
      const huge = await sh('integrations add llm --name nokey --anthropic=byok --anthropic-key=-', 'k'.repeat((1 << 20) + 10));
      assert.equal(huge.code, 1);
      assert.match(huge.stderr, /^error: input on stdin is too large \(at most 1 MiB\)\n$/);
      const two = await sh('integrations add llm --name nokey --anthropic=byok --anthropic-key=- --openai=byok --openai-key=-', 'a\nb\n');
      assert.equal(two.code, 2);
      assert.equal(two.stderr, 'error: only one key can be read from stdin per command\nset the others afterwards with "integrations edit NAME --openai-key=-"\n');
      assert.doesNotMatch(await ok('integrations list'), /nokey/);
    });

    it('--anthropic-key=VALUE works, but warns that the key is now in the shell history', async () => {
      const r = await sh(`integrations add llm --name inline --anthropic=byok --anthropic-key=${KEY.inline}`);
      assert.equal(r.code, 0);
      assert.equal(r.stderr, 'warning: the Anthropic key is now in your shell history; next time use --anthropic-key=- and pipe it on stdin\n');
      assert.equal(r.stdout, `Added integration inline\nIt is not attached to any VM yet: integrations attach inline vm:NAME (or tag:NAME, auto:all)\nFrom a VM: curl http://inline.int.${DOMAIN}/v1/models\n`);
      assert.equal(await storedAnthropicKey('inline'), KEY.inline);
      const json = await sh(`integrations edit inline --anthropic-key=${KEY.inline} --json`);
      assert.equal(json.code, 0);
      assert.match(json.stderr, /^warning: /, 'the warning goes to stderr, the JSON stays parseable');
      assert.deepEqual(JSON.parse(json.stdout).providers.anthropic, { source: 'byok', key: 'set' });
    });
  });

  describe('a key at the interactive prompt', () => {
    it('is asked for without echo, and never enters history, in this session or the next', async () => {
      const term = await shell();
      await enter(term, 'whoami\r', /\(in use\)/);
      term.type('integrations add llm --name typed --anthropic=byok --anthropic-key=-\r');
      await term.waitFor(() => term.currentLine() === 'Anthropic API key:');
      for (const ch of KEY.typed) term.type(ch); // one keystroke at a time, as a person types
      const screen = await enter(term, '\r', /Added integration typed/);
      assert.match(screen, /Anthropic API key:\s*\nAdded integration typed\nIt is not attached to any VM yet/);
      assert.ok(!term.raw.includes(KEY.typed), 'no typed character of the key was sent back');
      assert.ok(!screen.includes(KEY.typed));
      // ↑ walks back over the command and the line before it; the key is not between them.
      await up(term, 'integrations add llm --name typed --anthropic=byok --anthropic-key=-');
      await up(term, 'whoami');
      await leave(term);

      const next = await shell();
      await up(next, 'integrations add llm --name typed --anthropic=byok --anthropic-key=-');
      await up(next, 'whoami');
      assert.equal(await storedAnthropicKey('typed'), KEY.typed);
    });

    it('takes a pasted key without echo, too', async () => {
      const term = await shell();
      term.type('integrations add llm --name pasted --anthropic=byok --anthropic-key=-\r');
      await term.waitFor(() => term.currentLine() === 'Anthropic API key:');
      const screen = await enter(term, `${KEYS.pasteStart}${KEY.pasted}${KEYS.pasteEnd}\r`, /Added integration pasted/);
      assert.ok(!term.raw.includes(KEY.pasted) && !screen.includes(KEY.pasted));
      await up(term, 'integrations add llm --name pasted --anthropic=byok --anthropic-key=-');
      assert.equal(await storedAnthropicKey('pasted'), KEY.pasted);
    });

    it('asks for each key read with "-", one prompt after the other', async () => {
      const term = await shell();
      term.type('integrations add llm --name two-keys --anthropic=byok --anthropic-key=- --openai=byok --openai-key=-\r');
      await term.waitFor(() => term.currentLine() === 'Anthropic API key:');
      term.type(`${KEY.typed}\r`);
      await term.waitFor(() => term.currentLine() === 'OpenAI API key:');
      const screen = await enter(term, `${KEY.typedOpenai}\r`, /Added integration two-keys/);
      assert.ok(!term.raw.includes(KEY.typed) && !term.raw.includes(KEY.typedOpenai) && !screen.includes(KEY.typedOpenai));
      mock.reset();
      await sh('integrations test two-keys');
      await mock.waitForRequests(2);
      assert.equal(mock.requests.find((r) => r.provider === 'openai')?.headers.authorization, `Bearer ${KEY.typedOpenai}`);
      assert.equal(mock.requests.find((r) => r.provider === 'anthropic')?.headers['x-api-key'], KEY.typed);
    });

    it('checks every flag before asking for a key: a mistake does not cost a typed key', async () => {
      const term = await shell();
      let screen = await enter(term, "integrations add llm --name bad-models --anthropic=byok --anthropic-key=- --models 'bad glob'\r", /invalid model pattern "bad glob"/);
      assert.doesNotMatch(screen, /API key:/);
      screen = await enter(term, 'integrations add llm --name early --anthropic=byok --anthropic-key=- --gemini=chatgpt\r', /chatgpt is a source for openai only/);
      assert.doesNotMatch(screen, /API key:/);
      screen = await enter(term, 'integrations add llm --name typed --anthropic=byok --anthropic-key=-\r', /name "typed" is already in use/);
      assert.doesNotMatch(screen, /API key:/);
      screen = await enter(term, 'integrations edit typed --openai-key=- --comment x\r', /--openai-key is only used when openai is on byok/);
      assert.doesNotMatch(screen, /API key:/);
    });

    it('an inline key works with a warning, and the line is kept out of history', async () => {
      const term = await shell();
      await enter(term, 'ls\r', /No VMs yet/);
      const screen = await enter(term, `integrations add llm --name tty-inline --anthropic=byok --anthropic-key=${KEY.interactiveInline}\r`, /Added integration tty-inline/);
      assert.match(screen, /warning: the Anthropic key is now in your shell history; next time use --anthropic-key=- and pipe it on stdin/);
      await up(term, 'ls');
      await leave(term);
      const next = await shell();
      await up(next, 'ls');
      assert.equal(await storedAnthropicKey('tty-inline'), KEY.interactiveInline);
    });
  });

  describe('storage', () => {
    it('keeps keys sealed in the database, and deletes them when dropped', async () => {
      const db = await openDatabase(gh.config.database);
      try {
        const sealedOf = async (name: string) =>
          db
            .selectFrom('integration_secrets')
            .innerJoin('integrations', 'integrations.id', 'integration_secrets.integration_id')
            .select(['integration_secrets.provider', 'integration_secrets.sealed'])
            .where('integrations.name', '=', name)
            .execute();
        const typed = await sealedOf('typed');
        assert.deepEqual(typed.map((r) => r.provider), ['anthropic']);
        assert.match(typed[0].sealed, /^v1:[A-Za-z0-9+/]+=*$/);
        assert.deepEqual((await sealedOf('two-keys')).map((r) => r.provider).sort(), ['anthropic', 'openai']);

        await ok('integrations edit two-keys --openai=gateway');
        assert.deepEqual((await sealedOf('two-keys')).map((r) => r.provider), ['anthropic'], 'off byok: the key row is deleted');
        await ok('integrations remove two-keys');
        const left = await db.selectFrom('integration_secrets').select('integration_id').execute();
        const ids = new Set((await db.selectFrom('integrations').select('id').execute()).map((r) => r.id));
        assert.ok(left.every((r) => ids.has(r.integration_id)), 'no key outlives its integration');
      } finally {
        await db.destroy();
      }
    });

    it('no key is in any output JSON, the log, or the database (its files’ bytes, WAL and SHM included, or its tables)', async () => {
      assertNoSecret(await ok('integrations list --json'), 'integrations list --json');
      assertNoSecret(gh.logLines.join('\n'), 'the log');
      const stored = await storedBytes(gh);
      if (database.name === 'sqlite') assert.ok(stored.some((f) => f.where === 'gatehouse.db-wal'), `WAL in use: ${stored.map((f) => f.where).join(', ')}`);
      for (const { where, bytes } of stored) {
        for (const s of SECRETS) assert.ok(!bytes.includes(s), `${s} in ${where}`);
      }
    });
  });
});
