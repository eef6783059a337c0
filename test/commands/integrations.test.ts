// Integration commands over real SSH (issue #3): list, add, edit, remove, rename, attach, detach,
// test, catalog and the `int` alias. One gatehouse for the file; `integrations test` probes the
// mock upstream (anthropic, openai, gemini) and a closed port (fireworks: unreachable).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { storedBytes } from '../helpers/stored.js';
import { exec, newKey, openShell, signUp, type KeyPair } from '../helpers/ssh.js';
import { KEYS } from '../helpers/terminal.js';

for (const database of DATABASES) describe(`integration commands (${database.name})`, () => {
  let gh: TestGatehouse;
  let mock: MockProvider;
  let alice: KeyPair;
  let bob: KeyPair;
  let carol: KeyPair;

  const DOMAIN = 'gatehouse.localhost';
  /** The keys the mock accepts, and wrong ones. None may ever appear in an output, the log or the database. */
  const KEY = { anthropic: 'sk-ant-test', openai: 'sk-openai-right-9f2c', gemini: 'AIza-gemini-right-77', openaiWrong: 'sk-openai-WRONG-1d3e', fireworks: 'fw-somewhere-5a5a', rotated: 'sk-ant-rotated-4b4b', geminiWrong: 'AIza-not-the-right-one' };
  const SECRETS = Object.values(KEY);
  const ALL_GATEWAY = 'providers=anthropic(gateway),openai(gateway),fireworks(gateway),gemini(gateway)';

  function assertNoSecret(text: string, where: string): void {
    for (const s of SECRETS) assert.ok(!text.includes(s), `${where} shows the key ${s}:\n${text}`);
  }

  const { sh, ok, okJson, fails, failsJson } = commandAsserts(() => gh.sshPort, assertNoSecret);

  async function list(key: KeyPair): Promise<any[]> {
    return okJson(key, 'integrations list');
  }

  async function one(key: KeyPair, name: string): Promise<any> {
    return (await list(key)).find((i) => i.name === name);
  }

  /** The `integrations list` text line of one integration. */
  async function line(key: KeyPair, name: string): Promise<string | undefined> {
    return (await ok(key, 'integrations list')).split('\n').find((l) => l.startsWith(`${name}  `));
  }

  const usage = (name: string, p = '/v1/models') => `From a VM: curl http://${name}.int.${DOMAIN}${p}`;
  const attachHint = (name: string) => `It is not attached to any VM yet: integrations attach ${name} vm:NAME (or tag:NAME, auto:all)`;

  async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  before(async () => {
    mock = await startMockProvider({ keys: { anthropic: KEY.anthropic, openai: KEY.openai, gemini: KEY.gemini } });
    gh = await startTestGatehouse({
      ...(await database.env()),
      GATEHOUSE_ANTHROPIC_UPSTREAM: mock.url,
      GATEHOUSE_OPENAI_UPSTREAM: mock.url,
      GATEHOUSE_GEMINI_UPSTREAM: mock.url,
      GATEHOUSE_FIREWORKS_UPSTREAM: `http://127.0.0.1:${await closedPort()}`,
    });
    alice = await signUp(gh.sshPort, 'alice');
    bob = await signUp(gh.sshPort, 'bob');
    carol = await signUp(gh.sshPort, 'carol');
    await ok(alice, 'new --name alpha-box --address 127.0.0.2 --tag llm');
    await ok(alice, 'new --name alpha-gpu --address 127.0.0.3 --tag gpu');
    await ok(bob, 'new --name bravo-box --address 127.0.0.4 --tag llm');
  });
  after(async () => {
    await gh?.stop();
    await mock?.close();
  });

  describe('a new account', () => {
    it('has llm (every provider on gateway) and reflection (all fields), both on auto:all', async () => {
      assert.equal(await ok(carol, 'integrations list'), `llm  llm  ${ALL_GATEWAY}  auto:all\nreflection  reflection  fields=all  auto:all\n`);
      assert.deepEqual(await list(carol), [
        {
          name: 'llm',
          type: 'llm',
          summary: ALL_GATEWAY,
          attachments: ['auto:all'],
          comment: '',
          providers: { anthropic: { source: 'gateway' }, openai: { source: 'gateway' }, fireworks: { source: 'gateway' }, gemini: { source: 'gateway' } },
          models: 'all',
        },
        { name: 'reflection', type: 'reflection', summary: 'fields=all', attachments: ['auto:all'], comment: '', fields: ['email', 'tags', 'comment', 'integrations'] },
      ]);
    });

    it('answers to the int alias and the ls alias of list', async () => {
      const text = await ok(carol, 'integrations list');
      assert.equal(await ok(carol, 'int list'), text);
      assert.equal(await ok(carol, 'int ls'), text);
      assert.deepEqual(await okJson(carol, 'int ls'), await list(carol));
      const group = await ok(carol, 'int');
      for (const sub of ['list', 'add', 'edit', 'remove', 'rename', 'attach', 'detach', 'test', 'catalog']) assert.match(group, new RegExp(`^  integrations ${sub}\\b`, 'm'));
      await fails(carol, 'int nope', 2, /^error: "integrations" subcommand "nope" not found, valid subcommands are: list, add, edit, remove, rename, attach, detach, test, catalog, setup\n/);
      await fails(carol, 'integrations list extra', 2, /unexpected argument "extra"/);
      await fails(carol, 'integrations list --all', 2, /unknown flag --all/);
    });
  });

  describe('integrations add', () => {
    it('the issue’s example: a byok key from stdin, openai disabled, attached to tag:llm', async () => {
      const out = await ok(alice, 'integrations add llm --name keys --anthropic=byok --anthropic-key=- --openai=disabled --attach tag:llm', KEY.anthropic);
      assert.equal(out, `Added integration keys\n${usage('keys')}\n`);
      assert.equal(await line(alice, 'keys'), 'keys  llm  providers=anthropic(byok),fireworks(gateway),gemini(gateway)  tag:llm');
      assert.deepEqual(await one(alice, 'keys'), {
        name: 'keys',
        type: 'llm',
        summary: 'providers=anthropic(byok),fireworks(gateway),gemini(gateway)',
        attachments: ['tag:llm'],
        comment: '',
        providers: { anthropic: { source: 'byok', key: 'set' }, openai: { source: 'disabled' }, fireworks: { source: 'gateway' }, gemini: { source: 'gateway' } },
        models: 'all',
      });
    });

    it('without an attachment, says how to attach it, then how to use it from a VM', async () => {
      assert.equal(await ok(alice, 'integrations add llm --name plain'), `Added integration plain\n${attachHint('plain')}\n${usage('plain')}\n`);
      assert.equal(await line(alice, 'plain'), `plain  llm  ${ALL_GATEWAY}  -`);
      assert.equal(await ok(alice, 'int add reflection --name about --fields email,tags'), `Added integration about\n${attachHint('about')}\n${usage('about', '/')}\n`);
      assert.equal(await line(alice, 'about'), 'about  reflection  fields=email,tags  -');
    });

    it('--json prints the integration, with a byok key only as "set"', async () => {
      const created = await okJson(alice, 'integrations add llm --name gem --gemini=byok --gemini-key=- --anthropic=disabled --comment "for gemini" --attach vm:alpha-gpu', `${KEY.gemini}\n`);
      assert.deepEqual(created, {
        name: 'gem',
        type: 'llm',
        summary: 'providers=openai(gateway),fireworks(gateway),gemini(byok)',
        attachments: ['vm:alpha-gpu'],
        comment: 'for gemini',
        providers: { anthropic: { source: 'disabled' }, openai: { source: 'gateway' }, fireworks: { source: 'gateway' }, gemini: { source: 'byok', key: 'set' } },
        models: 'all',
      });
      assert.deepEqual(await okJson(alice, 'integrations add reflection --name quiet --fields none'), { name: 'quiet', type: 'reflection', summary: 'fields=none', attachments: [], comment: '', fields: [] });
    });

    it('attaches to several targets at once; a repeated one counts once', async () => {
      await ok(alice, 'integrations add llm --name multi --attach vm:alpha-box --attach tag:gpu --attach auto:all --attach tag:gpu');
      assert.equal(await line(alice, 'multi'), `multi  llm  ${ALL_GATEWAY}  vm:alpha-box,tag:gpu,auto:all`);
    });

    it('refuses source and key mistakes, saying what to type instead, and creates nothing', async () => {
      const before = await list(alice);
      const stderr = await fails(alice, 'integrations add llm --name e1 --anthropic=byok', 2, /^error: --anthropic=byok needs your key\n/);
      assert.match(stderr, /\nadd --anthropic-key=- and pipe the key on stdin\n$/);
      await fails(alice, 'integrations add llm --name e1 --openai-key=-', 2, /^error: --openai-key is only used when openai is on byok\nadd --openai=byok\n$/, 'sk-x');
      await fails(alice, 'integrations add llm --name e1 --openai=disabled --openai-key=-', 2, /--openai-key is only used when openai is on byok/, 'sk-x');
      await fails(alice, 'integrations add llm --name e1 --mistral=byok', 2, /^error: unknown flag --mistral\nsee "integrations add --help"\n$/);
      await fails(alice, 'integrations add llm --name e1 --mistral-key=-', 2, /unknown flag --mistral-key/);
      await fails(alice, 'integrations add llm --name e1 --anthropic=free', 1, /^error: unknown source "free" for --anthropic: use gateway, byok or disabled \(openai also: chatgpt\)\n$/);
      await fails(alice, 'integrations add llm --name e1 --gemini=chatgpt', 1, /^error: chatgpt is a source for openai only: use --gemini=gateway, byok or disabled\n$/);
      await fails(alice, 'integrations add llm --name e1 --openai=chatgpt', 2, /^error: --openai=chatgpt needs --openai-account=ACCT\nlist connected accounts with "integrations setup chatgpt --list"\n$/);
      await fails(alice, 'integrations add llm --name e1 --openai=chatgpt --openai-account=work', 1, /^error: ChatGPT account "work" not found\nlist connected accounts with "integrations setup chatgpt --list"\n$/);
      await fails(alice, 'integrations add llm --name e1 --openai-account=work', 2, /--openai-account is only used with --openai=chatgpt/);
      await fails(alice, 'integrations add llm --name e1 --team', 1, /^error: you are not in a team\n/); // issue 14: --team is a switch
      await fails(alice, 'integrations add llm --name e1 --team core', 2, /unexpected argument "core"/);
      await fails(alice, 'integrations add llm --name e1 --anthropic', 2, /flag --anthropic needs a value/);
      await failsJson(alice, 'integrations add llm --name e1 --anthropic=byok', 2, /--anthropic=byok needs your key/);
      await failsJson(alice, 'integrations add llm --name e1 --openai=chatgpt --openai-account=work', 1, /ChatGPT account "work" not found/);
      assert.deepEqual(await list(alice), before);
    });

    it('validates the name and the type', async () => {
      const before = await list(alice);
      for (const bad of ['Bad', 'bad_name', '-lead', 'trail-', 'a.b', 'x'.repeat(64), 'dév']) {
        await fails(alice, `integrations add llm --name='${bad}'`, 1, /invalid integration name ".*": use a DNS label, 1–63 of a-z, 0-9 and "-", not starting or ending with "-"/);
      }
      await fails(alice, 'integrations add llm', 2, /^error: missing --name\ne\.g\. integrations add llm --name my-llm\n$/);
      await fails(alice, 'integrations add llm --name', 2, /flag --name needs a value/);
      await fails(alice, 'integrations add --name x', 2, /missing argument TYPE/);
      await fails(alice, 'integrations add vpn --name x', 1, /^error: unknown integration type "vpn": use llm or reflection\n$/);
      await fails(alice, 'integrations add llm --name keys', 1, /^error: name "keys" is already in use\nchoose another name, or change that one with "integrations edit"\n$/);
      await failsJson(alice, 'integrations add llm --name keys', 1, /name "keys" is already in use/);
      assert.deepEqual(await list(alice), before);
      const max = 'a' + '0'.repeat(61) + 'z';
      await ok(alice, `integrations add llm --name ${max}`);
      await ok(alice, 'integrations add llm --name 1');
      assert.ok(await one(alice, max));
      await ok(alice, `integrations remove ${max}`);
      await ok(alice, 'integrations remove 1');
    });

    it('--models takes a comma list of globs, validated; all means every model', async () => {
      const m = await okJson(alice, "integrations add llm --name picky --models 'claude-*, gpt-5*,claude-*'");
      assert.deepEqual(m.models, ['claude-*', 'gpt-5*']);
      assert.equal(await line(alice, 'picky'), `picky  llm  ${ALL_GATEWAY} models=claude-*,gpt-5*  -`);
      for (const bad of ['claude *', 'gpt-5;x', 'a,b c', '<script>', 'x'.repeat(129)]) {
        await fails(alice, `integrations add llm --name picky2 --models '${bad}'`, 1, /^error: invalid model pattern ".*": use model ids with \* and \? wildcards, e\.g\. 'claude-\*,gpt-5\*'\n$/);
      }
      const many = Array.from({ length: 51 }, (_, i) => `m${i}`).join(',');
      await fails(alice, `integrations add llm --name picky2 --models ${many}`, 1, /too many model patterns \(at most 50\)/);
      assert.equal(await one(alice, 'picky2'), undefined);
      assert.equal((await okJson(alice, 'integrations edit picky --models all')).models, 'all');
      assert.equal((await okJson(alice, "integrations edit picky --models 'accounts/fireworks/models/*,gemini-2.5-?ro'")).models.join(' '), 'accounts/fireworks/models/* gemini-2.5-?ro');
    });

    it('reflection: --fields all, none or a list, validated; llm flags are refused', async () => {
      assert.equal((await okJson(alice, 'integrations add reflection --name r-all --fields all')).summary, 'fields=all');
      const listed = await okJson(alice, "integrations add reflection --name r-list --fields 'integrations, tags,email'");
      assert.deepEqual(listed.fields, ['email', 'tags', 'integrations'], 'stored in a fixed order');
      assert.equal(listed.summary, 'fields=email,tags,integrations');
      await fails(alice, 'integrations add reflection --name r-bad --fields email,ssn', 1, /^error: unknown reflection field "ssn": use all, none, or a list of email, tags, comment, integrations\n$/);
      await fails(alice, 'integrations add reflection --name r-bad --fields', 2, /flag --fields needs a value/);
      await fails(alice, 'integrations add reflection --name r-bad', 2, /^error: a reflection integration needs --fields\ne\.g\. --fields all, --fields none, or --fields email,tags\n$/);
      for (const flag of ['--anthropic=gateway', '--openai-key=-', '--models claude-*', '--openai-account=x']) {
        await fails(alice, `integrations add reflection --name r-bad --fields all ${flag}`, 2, new RegExp(`^error: --${flag.slice(2).split(/[= ]/)[0]} is for llm integrations\\n$`), 'sk-x');
      }
      await fails(alice, 'integrations add llm --name r-bad --fields all', 2, /^error: --fields is for reflection integrations\n$/);
      assert.equal(await one(alice, 'r-bad'), undefined);
    });
  });

  describe('malformed, oversized and unauthenticated', () => {
    it('refuses an oversized or control-character comment, and creates nothing', async () => {
      await fails(alice, `integrations add llm --name long-note --comment '${'n'.repeat(501)}'`, 1, /^error: comment is too long: at most 500 characters\n$/);
      await fails(alice, "integrations add llm --name long-note --comment 'a\x07b'", 1, /comment must not contain control characters/);
      assert.equal((await okJson(alice, `integrations add llm --name long-note --comment '${'n'.repeat(500)}'`)).comment.length, 500);
      await ok(alice, 'integrations remove long-note');
    });

    it('echoes a hostile name only escaped and shortened', async () => {
      const esc = await fails(alice, "integrations remove 'x\x1b[2Jy'", 1, /not found/);
      assert.doesNotMatch(esc, /\x1b/);
      const v = 'v'.repeat(5000);
      const echoing: [string, RegExp][] = [
        [`integrations attach llm 'vm:${v}'`, /^error: VM "v{64}…" not found\n/],
        [`integrations attach llm 'x${v}'`, /^error: invalid attachment spec "xv{63}…": must be/],
        [`integrations remove ${v}`, /^error: integration "v{64}…" not found\n/],
        [`integrations add llm --name ${v}`, /^error: invalid integration name "v{64}…"/],
        [`integrations add ${v} --name x`, /^error: unknown integration type "v{64}…"/],
        [`integrations add llm --name x --anthropic=${v}`, /^error: unknown source "v{64}…" for --anthropic/],
        [`integrations add llm --name x --models '${v}'`, /^error: invalid model pattern "v{64}…"/],
        [`integrations add reflection --name x --fields ${v}`, /^error: unknown reflection field "v{64}…"/],
        [`integrations add llm --name x --openai=chatgpt --openai-account=${v}`, /^error: invalid ChatGPT account name "v{64}…": at most 32 characters/],
      ];
      for (const [command, message] of echoing) {
        const stderr = await fails(alice, command, 1, message);
        assert.ok(stderr.length < 300, `${command.slice(0, 40)}…: the error is ${stderr.length} characters`);
      }
      const hostileJson = await failsJson(alice, "integrations add llm --name 'a\x1b]0;owned\x07'", 1, /invalid integration name/);
      assert.doesNotMatch(JSON.stringify(hostileJson), /\x1b/);
    });

    it('an unknown SSH key gets nothing', async () => {
      const r = await exec(gh.sshPort, newKey(), 'integrations list --json');
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^Please complete registration by running: /);
    });
  });

  describe('integrations edit', () => {
    before(async () => {
      await ok(alice, "integrations add llm --name ed --anthropic=byok --anthropic-key=- --openai=disabled --models 'claude-*' --comment first --attach tag:llm", KEY.anthropic);
    });

    it('changes only what it is given: a comment keeps the key, the sources and the attachments', async () => {
      const before = await one(alice, 'ed');
      assert.equal(await ok(alice, 'integrations edit ed --comment second'), `Updated integration ed\n${usage('ed')}\n`);
      const after = await one(alice, 'ed');
      assert.deepEqual(after, { ...before, comment: 'second' });
      assert.equal(after.providers.anthropic.key, 'set');
      assert.equal(await ok(alice, 'integrations test ed'), 'anthropic  ok\n', 'the kept key still works');
      assert.deepEqual(await okJson(alice, 'integrations edit ed'), after, 'no flags: nothing changes');
      const cleared = await okJson(alice, "integrations edit ed --comment ''");
      assert.deepEqual(cleared, { ...after, comment: '' });
    });

    it('switching a provider from byok to gateway drops its stored key', async () => {
      const switched = await okJson(alice, 'integrations edit ed --anthropic=gateway');
      assert.deepEqual(switched.providers.anthropic, { source: 'gateway' });
      assert.deepEqual(switched.models, ['claude-*'], 'untouched');
      assert.deepEqual(switched.providers.openai, { source: 'disabled' }, 'untouched');
      // Back to byok: the old key is gone, so a key is required again.
      await fails(alice, 'integrations edit ed --anthropic=byok', 2, /--anthropic=byok needs your key/);
      const back = await okJson(alice, 'integrations edit ed --anthropic=byok --anthropic-key=-', KEY.rotated);
      assert.deepEqual(back.providers.anthropic, { source: 'byok', key: 'set' });
      const rejected = await sh(alice, 'integrations test ed');
      assert.deepEqual([rejected.code, rejected.stdout], [1, 'anthropic  rejected (401)\n'], 'the new key is the one used');
      await ok(alice, 'integrations edit ed --anthropic-key=-', KEY.anthropic);
      assert.equal(await ok(alice, 'integrations test ed'), 'anthropic  ok\n', 'a key alone replaces the stored one while on byok');
    });

    it('--attach adds targets and keeps the existing ones; a failed edit changes nothing', async () => {
      assert.deepEqual((await okJson(alice, 'integrations edit ed --attach vm:alpha-gpu --attach tag:llm')).attachments, ['tag:llm', 'vm:alpha-gpu']);
      // A target given twice is attached once (it used to fail on the unique constraint).
      assert.deepEqual((await okJson(alice, 'integrations edit ed --attach tag:twice --attach tag:twice')).attachments, ['tag:llm', 'vm:alpha-gpu', 'tag:twice']);
      await ok(alice, 'integrations detach ed tag:twice');
      const before = await one(alice, 'ed');
      await fails(alice, 'integrations edit ed --comment changed --attach nowhere', 1, /invalid attachment spec "nowhere"/);
      await fails(alice, 'integrations edit ed --comment changed --gemini=byok', 2, /--gemini=byok needs your key/);
      await fails(alice, 'integrations edit ed --comment changed --models "bad glob"', 1, /invalid model pattern/);
      await fails(alice, 'integrations edit ed --fields all', 2, /--fields is for reflection integrations/);
      assert.deepEqual(await one(alice, 'ed'), before);
    });

    it('edits reflection fields; llm flags are refused there', async () => {
      assert.deepEqual((await okJson(alice, 'integrations edit about --fields none')).fields, []);
      assert.equal(await ok(alice, 'integrations edit about --comment kept'), `Updated integration about\n${attachHint('about')}\n${usage('about', '/')}\n`);
      assert.equal((await one(alice, 'about')).summary, 'fields=none', 'a comment edit keeps the fields');
      await fails(alice, 'integrations edit about --gemini=disabled', 2, /^error: --gemini is for llm integrations\n$/);
      await fails(alice, 'integrations edit about --fields everything', 1, /unknown reflection field "everything"/);
    });

    it('needs an existing integration', async () => {
      await fails(alice, 'integrations edit nope --comment x', 1, /^error: integration "nope" not found\nrun "integrations list" to see yours\n$/);
      await failsJson(alice, 'integrations edit nope', 1, /integration "nope" not found/);
      await fails(alice, 'integrations edit', 2, /missing argument NAME/);
    });
  });

  describe('integrations attach and detach', () => {
    before(async () => {
      await ok(alice, 'integrations add llm --name att');
    });

    it('attaches to vm:, tag: and auto:all, several per integration, and detaches', async () => {
      assert.equal(await ok(alice, 'integrations attach att vm:alpha-box'), 'Attached att to vm:alpha-box\n');
      assert.equal(await ok(alice, 'int attach att tag:gpu'), 'Attached att to tag:gpu\n');
      assert.deepEqual(await okJson(alice, 'integrations attach att auto:all'), { name: 'att', attached: 'auto:all' });
      assert.equal(await line(alice, 'att'), `att  llm  ${ALL_GATEWAY}  vm:alpha-box,tag:gpu,auto:all`);
      assert.equal(await ok(alice, 'integrations detach att tag:gpu'), 'Detached att from tag:gpu\n');
      assert.deepEqual(await okJson(alice, 'integrations detach att auto:all'), { name: 'att', detached: 'auto:all' });
      assert.deepEqual((await one(alice, 'att')).attachments, ['vm:alpha-box']);
      // A tag needs no VM carrying it yet.
      assert.equal(await ok(alice, 'integrations attach att tag:future'), 'Attached att to tag:future\n');
    });

    it('refuses a bad spec, a missing VM, a duplicate and an absent attachment', async () => {
      const before = await one(alice, 'att');
      for (const spec of ['x', 'vm:', 'tag:', 'auto:', 'auto:some', 'host:alpha-box', 'VM:alpha-box']) {
        await fails(alice, `integrations attach att '${spec}'`, 1, new RegExp(`^error: invalid attachment spec "${spec}": must be vm:<name>, tag:<name>, or auto:all\\n$`));
      }
      await failsJson(alice, 'integrations attach att x', 1, /^invalid attachment spec "x": must be vm:<name>, tag:<name>, or auto:all$/);
      await fails(alice, 'integrations attach att tag:Bad', 1, /invalid tag "Bad"/);
      await fails(alice, 'integrations attach att vm:no-such-vm', 1, /^error: VM "no-such-vm" not found\nrun "ls" to see your VMs\n$/);
      await fails(alice, 'integrations attach att vm:alpha-box', 1, /^error: integration "att" is already attached to vm:alpha-box\n$/);
      await fails(alice, 'integrations detach att tag:never', 1, /^error: integration "att" is not attached to tag:never\nits attachments: vm:alpha-box, tag:future\n$/);
      await fails(alice, 'integrations detach att vm:alpha-gpu', 1, /is not attached to vm:alpha-gpu/);
      await fails(alice, 'integrations detach plain auto:all', 1, /^error: integration "plain" is not attached to auto:all\nit has no attachments\n$/);
      await fails(alice, 'integrations detach att x', 1, /invalid attachment spec "x"/);
      await fails(alice, 'integrations attach nope auto:all', 1, /integration "nope" not found/);
      await fails(alice, 'integrations attach att', 2, /missing argument SPEC/);
      assert.deepEqual(await one(alice, 'att'), before);
    });

    it('a VM rename keeps its vm: attachment under the new name; removing the VM drops it', async () => {
      await ok(alice, 'new --name alpha-temp --address 127.0.0.5');
      await ok(alice, 'integrations attach att vm:alpha-temp');
      await ok(alice, 'rename alpha-temp alpha-moved');
      assert.deepEqual((await one(alice, 'att')).attachments, ['vm:alpha-box', 'tag:future', 'vm:alpha-moved']);
      assert.equal(await line(alice, 'att'), `att  llm  ${ALL_GATEWAY}  vm:alpha-box,tag:future,vm:alpha-moved`);
      await ok(alice, 'rm alpha-moved');
      assert.deepEqual((await one(alice, 'att')).attachments, ['vm:alpha-box', 'tag:future']);
      await fails(alice, 'integrations detach att vm:alpha-moved', 1, /VM "alpha-moved" not found/);
    });
  });

  describe('integrations rename and remove', () => {
    it('renames, keeping settings, key and attachments; refuses a taken or invalid name', async () => {
      await ok(alice, 'integrations add llm --name old-name --fireworks=byok --fireworks-key=- --attach vm:alpha-box', KEY.fireworks);
      const before = await one(alice, 'old-name');
      assert.equal(await ok(alice, 'integrations rename old-name new-name'), 'Renamed integration old-name to new-name\n');
      assert.deepEqual(await one(alice, 'new-name'), { ...before, name: 'new-name' });
      assert.equal(await one(alice, 'old-name'), undefined);
      await fails(alice, 'integrations rename old-name x', 1, /integration "old-name" not found/);
      await fails(alice, 'integrations rename new-name keys', 1, /^error: name "keys" is already in use\n/);
      await fails(alice, 'integrations rename new-name New_Name', 1, /invalid integration name "New_Name"/);
      await fails(alice, 'integrations rename new-name', 2, /missing argument NEW/);
      assert.deepEqual(await okJson(alice, 'integrations rename new-name newer-name'), { old: 'new-name', name: 'newer-name' });
      const probe = await sh(alice, 'integrations test newer-name');
      assert.deepEqual([probe.code, probe.stdout], [1, 'fireworks  unreachable\n'], 'the key follows the rename');
    });

    it('removes an integration with its attachments; rm is an alias', async () => {
      assert.equal(await ok(alice, 'integrations remove newer-name'), 'Removed integration newer-name\n');
      assert.equal(await one(alice, 'newer-name'), undefined);
      await fails(alice, 'integrations remove newer-name', 1, /^error: integration "newer-name" not found\nrun "integrations list" to see yours\n$/);
      await ok(alice, 'integrations add llm --name short-lived --attach auto:all');
      assert.deepEqual(await okJson(alice, 'int rm short-lived'), { removed: 'short-lived' });
      await failsJson(alice, 'integrations remove short-lived', 1, /integration "short-lived" not found/);
      // The name is free again, with nothing left over from before.
      assert.deepEqual((await okJson(alice, 'integrations add llm --name short-lived')).attachments, []);
      await ok(alice, 'integrations remove short-lived');
    });
  });

  describe('integrations test', () => {
    it('prints ok for a key the provider accepts, and sends it the stored key', async () => {
      mock.reset();
      assert.equal(await ok(alice, 'integrations test keys'), 'anthropic  ok\n');
      const [req] = await mock.waitForRequests(1);
      assert.equal(req.method, 'GET');
      assert.equal(req.path, '/v1/models');
      assert.equal(req.headers['x-api-key'], KEY.anthropic);
      assert.equal(req.headers['anthropic-version'], '2023-06-01');
    });

    it('reports ok, rejected (401) and unreachable per byok provider, in provider order, and exits 1', async () => {
      await ok(alice, 'integrations add llm --name mixed --anthropic=byok --anthropic-key=-', KEY.anthropic);
      await ok(alice, 'integrations edit mixed --openai=byok --openai-key=-', KEY.openaiWrong);
      await ok(alice, 'integrations edit mixed --fireworks=byok --fireworks-key=-', KEY.fireworks);
      await ok(alice, 'integrations edit mixed --gemini=byok --gemini-key=-', KEY.gemini);
      mock.reset();
      const r = await sh(alice, 'integrations test mixed');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, '');
      assert.equal(r.stdout, 'anthropic  ok\nopenai     rejected (401)\nfireworks  unreachable\ngemini     ok\n');
      await mock.waitForRequests(3);
      assert.equal(mock.requests.find((q) => q.provider === 'openai')?.headers.authorization, `Bearer ${KEY.openaiWrong}`);
      assert.equal(mock.requests.find((q) => q.provider === 'gemini')?.headers['x-goog-api-key'], KEY.gemini);
      const json = await sh(alice, 'integrations test mixed --json');
      assert.equal(json.code, 1);
      assert.equal(json.stdout, '{"name":"mixed","results":{"anthropic":"ok","openai":"rejected (401)","fireworks":"unreachable","gemini":"ok"}}\n');
    });

    it('exits 0 when every key is ok, and explains when there is nothing to test', async () => {
      assert.deepEqual(await okJson(alice, 'integrations test gem'), { name: 'gem', results: { gemini: 'ok' } });
      assert.equal(await ok(alice, 'integrations test plain'), "plain has no byok or chatgpt providers to test; gateway providers use the operator's keys.\n");
      assert.deepEqual(await okJson(alice, 'integrations test plain'), { name: 'plain', results: {} });
      await fails(alice, 'integrations test about', 1, /^error: integration "about" is a reflection integration; only llm integrations have keys to test\n$/);
      await fails(alice, 'integrations test nope', 1, /integration "nope" not found/);
    });

    it('says rejected for a wrong Gemini key (Google answers 400 API_KEY_INVALID)', async () => {
      await ok(alice, 'integrations add llm --name gem-wrong --gemini=byok --gemini-key=-', KEY.geminiWrong);
      const r = await sh(alice, 'integrations test gem-wrong');
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^gemini +rejected \(400\)\n$/);
    });
  });

  describe('isolation between users', () => {
    it('another user’s integrations are invisible and untouchable: not found', async () => {
      const bobs = (await list(bob)).map((i) => i.name);
      assert.deepEqual(bobs, ['llm', 'reflection']);
      for (const command of ['integrations edit keys --comment mine', 'integrations remove keys', 'integrations rename keys mine', 'integrations attach keys auto:all', 'integrations detach keys tag:llm', 'integrations test keys']) {
        await fails(bob, command, 1, /^error: integration "keys" not found\n/);
      }
      await failsJson(bob, 'integrations test keys', 1, /^integration "keys" not found$/);
      assert.equal(await line(alice, 'keys'), 'keys  llm  providers=anthropic(byok),fireworks(gateway),gemini(gateway)  tag:llm', 'alice’s is unchanged');
    });

    it('attaching to another user’s VM fails as not found; each user’s names are their own', async () => {
      await fails(bob, 'integrations attach llm vm:alpha-box', 1, /^error: VM "alpha-box" not found\n/);
      await fails(bob, 'integrations add llm --name keys --attach vm:alpha-box', 1, /VM "alpha-box" not found/);
      await fails(alice, 'integrations attach keys vm:bravo-box', 1, /VM "bravo-box" not found/);
      // bob may use the name alice uses; the two stay apart.
      await ok(bob, 'integrations add llm --name keys --openai=byok --openai-key=- --attach vm:bravo-box', KEY.openai);
      assert.equal(await line(bob, 'keys'), `keys  llm  ${ALL_GATEWAY.replace('openai(gateway)', 'openai(byok)')}  vm:bravo-box`);
      assert.equal(await line(alice, 'keys'), 'keys  llm  providers=anthropic(byok),fireworks(gateway),gemini(gateway)  tag:llm');
      assert.equal(await ok(bob, 'integrations test keys'), 'openai  ok\n');
      assert.equal(await ok(alice, 'integrations test keys'), 'anthropic  ok\n');
      await ok(bob, 'integrations remove keys');
      assert.ok(await one(alice, 'keys'), 'removing bob’s keys left alice’s');
    });
  });

  describe('Tab completion', () => {
    it('completes integration names, attach targets and sources', async () => {
      await ok(alice, 'integrations add llm --name completion-target');
      const term = await openShell(gh.sshPort, alice, { cols: 200, rows: 40 });
      try {
        const shows = (text: string) => term.waitFor(() => term.currentLine() === `gatehouse ▶ ${text}`.trimEnd());
        await shows('');
        term.type(`int edit completion-t${KEYS.tab}`);
        await shows('int edit completion-target');
        term.type(`${KEYS.ctrlU}integrations attach keys tag:g${KEYS.tab}`);
        await shows('integrations attach keys tag:gpu');
        term.type(`${KEYS.ctrlU}integrations detach keys vm:alpha-b${KEYS.tab}`);
        await shows('integrations detach keys vm:alpha-box');
        term.type(`${KEYS.ctrlU}integrations attach keys au${KEYS.tab}`);
        await shows('integrations attach keys auto:all');
        term.type(`${KEYS.ctrlU}integrations add llm --openai=ch${KEYS.tab}`);
        await shows('integrations add llm --openai=chatgpt');
        term.type(`${KEYS.ctrlU}integrations add llm --attach vm:alpha-g${KEYS.tab}`);
        await shows('integrations add llm --attach vm:alpha-gpu');
        // bob's names are not offered to alice.
        term.type(`${KEYS.ctrlU}integrations attach keys vm:bravo${KEYS.tab}x`);
        await shows('integrations attach keys vm:bravox');
        term.type(KEYS.ctrlU);
        await shows('');
      } finally {
        term.close();
      }
      await ok(alice, 'integrations remove completion-target');
    });
  });

  describe('secrets stay secret', () => {
    it('no key appears in the log or in the database (its files, WAL included, or its tables)', async () => {
      assertNoSecret(gh.logLines.join('\n'), 'the log');
      const stored = await storedBytes(gh);
      if (database.name === 'sqlite') assert.ok(stored.some((f) => f.where === 'gatehouse.db-wal'), `database files: ${stored.map((f) => f.where).join(', ')}`);
      for (const { where, bytes } of stored) {
        for (const s of SECRETS) assert.ok(!bytes.includes(s), `${s} in ${where}`);
      }
    });
  });
});
