// Who is calling: the holder of a gatehouse API key (first rule; see keyCaller.ts), else a VM
// known by its TCP source address (forwarding headers are never trusted).
import type { IncomingMessage } from 'node:http';
import type { IndexedApiKey } from '../core/apiKeyIndex.js';
import type { IndexedIntegration, IndexedVm, Snapshot } from '../core/integrationIndex.js';
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
  const attached = new Set(snapshot.forVm(vm.id).map((i) => i.id));
  return {
    userId: vm.userId,
    vm,
    may: (i) => attached.has(i.id),
    denyHint: (i) => `integration "${i.name}" is not attached to VM ${vm.name}; attach it over SSH: integrations attach ${i.name} vm:${vm.name}`,
  };
}

/** The caller's own integration by name, if it may use it: 404 when it has none, 403 when not attached. */
export function integrationFor(caller: Caller, snapshot: Snapshot, name: string): IndexedIntegration {
  const integration = snapshot.owned(caller.userId, name);
  if (!integration) throw new GatehouseError('not_found', `integration "${name}" not found`);
  if (!caller.may(integration)) throw new GatehouseError('forbidden', caller.denyHint(integration));
  return integration;
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
