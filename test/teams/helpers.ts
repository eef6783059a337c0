// Team gateway test helpers: a gatehouse with the cast (alice, bob, carol and their VMs),
// arranged over SSH as a team of new users would (`team …`, `integrations … --team`).
import crypto from 'node:crypto';
import type { TestDatabase } from '../helpers/databases.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';
import { startGatewayEnv, type EnvOptions, type GatewayEnv } from '../helpers/gateway.js';

export const TEAM_KEY = 'sk-ant-team-acme-0042';
/** VMs: alice-box 127.0.0.2 (dev), bob-dev 127.0.0.3 (dev), bob-plain 127.0.0.4 (no tag), carol-dev 127.0.0.5 (dev). */
export const VM = { alice: '127.0.0.2', bobDev: '127.0.0.3', bobPlain: '127.0.0.4', carolDev: '127.0.0.5' } as const;
export const teamHost = (name: string) => `${name}.team.gatehouse.localhost`;

export interface TeamEnv extends GatewayEnv {
  bob: KeyPair;
  carol: KeyPair;
  /** Signs up another user. */
  user(name: string): Promise<KeyPair>;
}

export async function startTeamEnv(database: TestDatabase, options: EnvOptions = {}): Promise<TeamEnv> {
  const dbEnv = { GATEHOUSE_SECRET_KEY: crypto.randomBytes(32).toString('hex'), ...(await database.env()) };
  const env = await startGatewayEnv({ ...options, env: { ...dbEnv, ...options.env } });
  const bob = await signUp(env.gh.sshPort, 'bob', 'bob@example.com');
  const carol = await signUp(env.gh.sshPort, 'carol', 'carol@example.com');
  await env.ok(bob, `new --name bob-dev --address ${VM.bobDev} --tag dev`);
  await env.ok(bob, `new --name bob-plain --address ${VM.bobPlain}`);
  await env.ok(carol, `new --name carol-dev --address ${VM.carolDev} --tag dev`);
  return { ...env, bob, carol, user: (name) => signUp(env.gh.sshPort, name) };
}
