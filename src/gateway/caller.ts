// Who is calling: the holder of a gatehouse API key (first rule; see keyCaller.ts), else a VM
// known by its TCP source address (forwarding headers are never trusted).
import type { IncomingMessage } from 'node:http';
import type { IndexedApiKey } from '../core/apiKeyIndex.js';
import type { IndexedIntegration, IndexedVm, Snapshot } from '../core/integrationIndex.js';
import { shown } from '../core/names.js';
import { sourceAddress } from '../core/sourceAddress.js';
import { GatehouseError } from '../errors.js';
import type { ProviderId } from '../config.js';

export interface Caller {
  userId: number;
  vm?: IndexedVm;
  /** Set when the caller authenticated with a gatehouse API key. */
  apiKey?: IndexedApiKey;
  /** Integrations this caller may use (attached to its VM). */
  may(integration: IndexedIntegration): boolean;
  /** Says how to give this caller access when may() is false. */
  denyHint(integration: IndexedIntegration): string;
}

export const NOT_A_VM = 'this address is not a registered VM; register it over SSH with "new --address …", or send an API key';

export function identify(req: IncomingMessage, snapshot: Snapshot): Caller {
  const vm = snapshot.vmAt(sourceAddress(req.socket.remoteAddress) ?? '');
  if (!vm) throw new GatehouseError('unauthenticated', NOT_A_VM);
  // Includes the team's integrations whose tags the VM carries, while its owner is a member.
  const attached = new Set(snapshot.forVm(vm.id).map((i) => i.id));
  return {
    userId: vm.userId,
    vm,
    may: (i) => attached.has(i.id),
    denyHint: (i) => (i.teamId === undefined ? `integration "${i.name}" is not attached to VM ${vm.name}; attach it over SSH: integrations attach ${i.name} vm:${vm.name}` : untaggedHint(i, vm, snapshot)),
  };
}

/** A team integration reaches a member's VM by tag only: name the tags that would attach it. */
function untaggedHint(i: IndexedIntegration, vm: IndexedVm, snapshot: Snapshot): string {
  const tags = snapshot.teamTags(i.id);
  const why = `team integration "${i.name}" is not attached to VM ${vm.name}`;
  if (!tags.length) return `${why}: it has no tag attachment yet; a team owner or admin can add one: integrations attach ${i.name} tag:TAG --team`;
  return `${why}: it serves the VMs of team "${i.teamName}" members tagged ${tags.join(' or ')}; tag this VM over SSH: tag ${vm.name} ${tags[0]}`;
}

/**
 * Where an integration is named: `int` a personal hostname (NAME.int.DOMAIN), `team` a team
 * hostname (NAME.team.DOMAIN: the caller's current team's), `path` the metadata path (personal
 * first, then the team's: one namespace per user makes the order matter only in a race).
 */
export type Where = 'int' | 'team' | 'path';

/**
 * The integration the caller names, if it may use it: 404 when there is none, 403 when it is not
 * attached (or in the key's scope), or when a team hostname is called by someone in no team.
 * Membership is read from the snapshot on every request, so a removed member is refused from the
 * next one: their team's integrations are simply no longer theirs to find.
 */
export function integrationFor(caller: Caller, snapshot: Snapshot, name: string, where: Where): IndexedIntegration {
  const integration = find(caller, snapshot, name, where);
  // find() keeps to the caller's team already: a guard, should a lookup ever be added that does not.
  if (integration.teamId !== undefined && snapshot.teamOf(caller.userId)?.teamId !== integration.teamId) {
    throw new GatehouseError('forbidden', `team integration "${integration.name}" serves its team's members only`);
  }
  if (!caller.may(integration)) throw new GatehouseError('forbidden', caller.denyHint(integration));
  return integration;
}

function find(caller: Caller, snapshot: Snapshot, name: string, where: Where): IndexedIntegration {
  const personal = where === 'team' ? undefined : snapshot.owned(caller.userId, name);
  if (personal) return personal;
  const team = snapshot.teamOf(caller.userId);
  const teams = team && snapshot.teamOwned(caller.userId, name);
  if (teams && where !== 'int') return teams;
  const named = shown(name);
  if (where === 'team' && !team) throw new GatehouseError('forbidden', `you are not in a team: ${named}.team serves a team's integration to its members only; use one of yours at NAME.int`);
  if (where === 'team') throw new GatehouseError('not_found', `team "${team!.team}" has no integration "${named}"`);
  if (teams) throw new GatehouseError('not_found', `integration "${named}" not found among yours; team "${team!.team}" has one: call it at ${named}.team instead of ${named}.int`);
  throw new GatehouseError('not_found', `integration "${named}" not found`);
}

/**
 * LLM routes serve llm integrations only. Naming one of another type there (the metadata path
 * /gateway/reflection/anthropic/…, an LLM path on a reflection hostname) is the caller's mistake:
 * said plainly, in the caller's shape, rather than found out later as a missing setting.
 */
export function llmOnly(integration: IndexedIntegration, domain: string, provider?: ProviderId): void {
  if (integration.type === 'llm') return;
  const example = provider ? `/gateway/llm/${provider}/…` : `http://llm.int.${domain}/v1/…`;
  const what = integration.type === 'reflection' ? ' (it answers GET / on its hostname, to VMs)' : '';
  throw new GatehouseError('not_found', `integration "${integration.name}" is a ${integration.type} integration${what}; LLM calls go to an llm integration, such as ${example}`);
}
