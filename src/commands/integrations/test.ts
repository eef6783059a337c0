import { PROVIDER_IDS } from '../../config.js';
import type { LlmSettings } from '../../core/integrations.js';
import { shown } from '../../core/names.js';
import { probeProvider, probeUrl } from '../../core/providerProbe.js';
import { integrationSecretContext } from '../../core/secrets.js';
import { getSealedSecret } from '../../db/integrations.js';
import { asPublicError, GatehouseError } from '../../errors.js';
import { providers } from '../../providers/index.js';
import type { CommandContext, CommandDef } from '../../shell/types.js';
import { ownerFor, requireOwned, teamOption } from './owner.js';
import { integrationNames } from './shared.js';

/** The Codex version the models list is asked for (the backend filters models by client version). */
const CODEX_CLIENT_VERSION = '0.169.0';

export const integrationsTest: CommandDef = {
  path: ['integrations', 'test'],
  audit: 'read',
  summary: 'check each byok key and ChatGPT account with one cheap call to its provider (its models list)',
  args: [{ name: 'NAME', complete: integrationNames }],
  options: teamOption,
  examples: ['integrations test keys', 'integrations test shared --team'],
  async run(ctx, args) {
    // A team's keys are tested by those who set them: the team's owner and admins.
    const i = await requireOwned(ctx, await ownerFor(ctx, args, 'test team integrations'), args._[0]);
    if (i.type !== 'llm') throw new GatehouseError('invalid_input', `integration "${i.name}" is a ${i.type} integration; only llm integrations have keys to test`);
    const settings = i.settings as LlmSettings;
    const tested = PROVIDER_IDS.filter((p) => ['byok', 'chatgpt'].includes(settings.providers[p].source));
    // Probed in parallel, reported in provider order (not in order of completion).
    const outcomes = await Promise.all(
      tested.map(async (p) => {
        if (settings.providers[p].source === 'chatgpt') return probeChatgpt(ctx, settings.providers[p].account!);
        const sealed = await getSealedSecret(ctx.db, i.id, p);
        return sealed ? await probeProvider(providers[p], ctx.config.upstreams[p], ctx.services.sealer.open(sealed, integrationSecretContext(i.id, p))) : 'no key stored';
      }),
    );
    const results: Record<string, string> = Object.fromEntries(tested.map((p, n) => [p, outcomes[n]]));
    const allOk = tested.every((p) => results[p] === 'ok');
    if (args.json) {
      ctx.out.json({ name: i.name, results });
    } else if (tested.length === 0) {
      ctx.out.line(`${i.name} has no byok or chatgpt providers to test; gateway providers use the operator's keys.`);
    } else {
      ctx.out.table(tested.map((p) => [p, results[p] === 'ok' ? ctx.out.c.green('ok') : ctx.out.c.red(results[p])]));
    }
    return allOk ? 0 : 1;
  },
};

/**
 * A ChatGPT account: its state, then its tokens (refreshed only if stale, as a request would) and
 * the backend's models list. Failures say what to do; the token stays in this function.
 */
async function probeChatgpt(ctx: CommandContext, name: string): Promise<string> {
  const accounts = ctx.services.chatgpt;
  const account = await accounts.find(ctx.user.id, name);
  if (!account) return `ChatGPT account "${shown(name)}" not found`;
  if (account.state === 'needs_login') return `ChatGPT account ${name} needs login: run integrations setup chatgpt --name ${name}`;
  let cred;
  try {
    cred = await accounts.credential(ctx.user.id, name);
  } catch (err) {
    return asPublicError(err).message;
  }
  const url = `${ctx.config.chatgpt.backend}/models?client_version=${CODEX_CLIENT_VERSION}`;
  const headers = { authorization: `Bearer ${cred.accessToken}`, 'chatgpt-account-id': cred.chatgptAccountId, originator: 'codex_cli_rs' };
  return probeUrl(url, headers, [401, 403]);
}
