// Team gateway test helpers: a gatehouse with the cast (alice, bob, carol and their VMs)
// and the team commands run over SSH.
//
// INTERIM (until `team …` and `integrations … --team` land): on PostgreSQL only, `teamCommand`
// performs the same few commands through src/core on a second connection to the same database;
// the instance learns of them through the change feed, as a fleet peer's would.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { resolveAttachSpec, createIntegration } from '../../src/core/integrationStore.js';
import { defaultLlmSettings } from '../../src/core/integrations.js';
import { Sealer } from '../../src/core/secrets.js';
import { addMember, createTeam, removeMember } from '../../src/core/teams.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import { membershipOf } from '../../src/db/teams.js';
import { findUserByName } from '../../src/db/users.js';
import { PROVIDER_IDS, type ProviderId } from '../../src/config.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';
import { startGatewayEnv, type EnvOptions, type GatewayEnv } from '../helpers/gateway.js';
import { freshPostgresUrl } from '../helpers/databases.js';

export const TEAM_KEY = 'sk-ant-team-acme-0042';
/** VMs: alice-box 127.0.0.2 (dev), bob-dev 127.0.0.3 (dev), bob-plain 127.0.0.4 (no tag), carol-dev 127.0.0.5 (dev). */
export const VM = { alice: '127.0.0.2', bobDev: '127.0.0.3', bobPlain: '127.0.0.4', carolDev: '127.0.0.5' } as const;
export const teamHost = (name: string) => `${name}.team.gatehouse.localhost`;

export interface TeamEnv extends GatewayEnv {
  bob: KeyPair;
  carol: KeyPair;
  /** Signs up another user (known to `team`). */
  user(name: string): Promise<KeyPair>;
  /** Runs a team command as `key`'s user; it must succeed. */
  team(key: KeyPair, command: string, stdin?: string): Promise<void>;
}

export async function startTeamEnv(options: EnvOptions = {}): Promise<TeamEnv> {
  const url = await freshPostgresUrl();
  const secret = crypto.randomBytes(32).toString('hex');
  const env = await startGatewayEnv({ ...options, env: { GATEHOUSE_DATABASE_URL: url, GATEHOUSE_SECRET_KEY: secret, ...options.env } });
  const bob = await signUp(env.gh.sshPort, 'bob', 'bob@example.com');
  const carol = await signUp(env.gh.sshPort, 'carol', 'carol@example.com');
  await env.ok(bob, `new --name bob-dev --address ${VM.bobDev} --tag dev`);
  await env.ok(bob, `new --name bob-plain --address ${VM.bobPlain}`);
  await env.ok(carol, `new --name carol-dev --address ${VM.carolDev} --tag dev`);
  const names = new Map<KeyPair, string>([[env.alice, 'alice'], [bob, 'bob'], [carol, 'carol']]);
  const teams = await teamCommands(url, secret);
  return {
    ...env,
    bob,
    carol,
    user: async (name) => {
      const key = await signUp(env.gh.sshPort, name);
      names.set(key, name);
      return key;
    },
    team: (key, command, stdin) => teams.run(names.get(key)!, command, stdin),
    async stop() {
      await teams.close();
      await env.stop();
    },
  };
}

export interface TeamCommands {
  run(actorName: string, command: string, stdin?: string): Promise<void>;
  close(): Promise<void>;
}

/** INTERIM: the team commands through src/core, on the PostgreSQL database at `url`. */
export async function teamCommands(url: string, secret: string): Promise<TeamCommands> {
  const db = await openDatabase({ kind: 'postgres', url, poolSize: 2 });
  const sealer = new Sealer(Buffer.from(secret, 'hex'));
  return { run: (actor, command, stdin) => teamCommand(db, sealer, actor, command, stdin), close: () => db.destroy() };
}

async function teamCommand(db: Db, sealer: Sealer, actorName: string, command: string, stdin?: string): Promise<void> {
  const actor = (await findUserByName(db, actorName))!;
  const words = command.split(/\s+/);
  if (words[0] === 'team' && words[1] === 'create') return void (await createTeam(db, actor, words[2]));
  if (words[0] === 'team' && words[1] === 'add') return void (await addMember(db, actor, words[2], words[3]));
  if (words[0] === 'team' && words[1] === 'remove') return void (await removeMember(db, actor, words[2]));
  assert.deepEqual(words.slice(0, 3), ['integrations', 'add', 'llm'], `interim: unsupported ${command}`);
  const m = (await membershipOf(db, actor.id))!;
  const flag = (name: string) => words.find((w) => w.startsWith(`--${name}=`))?.slice(name.length + 3);
  const name = words[words.indexOf('--name') + 1];
  const settings = defaultLlmSettings();
  const keys: Partial<Record<ProviderId, string>> = {};
  for (const p of PROVIDER_IDS) {
    const source = flag(p);
    if (source) settings.providers[p] = { source: source as never };
    if (flag(`${p}-key`) === '-') keys[p] = stdin;
  }
  const attach = await Promise.all(words.flatMap((w, i) => (w === '--attach' ? [resolveAttachSpec(db, m.teamId, words[i + 1])] : [])));
  await createIntegration(db, sealer, m.teamId, { name, type: 'llm', settings, comment: null, keys, attach });
}
