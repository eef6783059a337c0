import { PROVIDER_IDS } from '../../config.js';
import { requireIntegration } from '../../core/integrationStore.js';
import type { LlmSettings } from '../../core/integrations.js';
import { probeProvider } from '../../core/providerProbe.js';
import { integrationSecretContext } from '../../core/secrets.js';
import { getSealedSecret } from '../../db/integrations.js';
import { GatehouseError } from '../../errors.js';
import { providers } from '../../providers/index.js';
import type { CommandDef } from '../../shell/types.js';
import { integrationNames } from './shared.js';

export const integrationsTest: CommandDef = {
  path: ['integrations', 'test'],
  summary: 'check each byok key with one cheap call to its provider (its models list)',
  args: [{ name: 'NAME', complete: integrationNames }],
  examples: ['integrations test keys'],
  async run(ctx, args) {
    const i = await requireIntegration(ctx.db, ctx.user.id, args._[0]);
    if (i.type !== 'llm') throw new GatehouseError('invalid_input', `integration "${i.name}" is a ${i.type} integration; only llm integrations have keys to test`);
    const settings = i.settings as LlmSettings;
    const byok = PROVIDER_IDS.filter((p) => settings.providers[p].source === 'byok');
    // Probed in parallel, reported in provider order (not in order of completion).
    const outcomes = await Promise.all(
      byok.map(async (p) => {
        const sealed = await getSealedSecret(ctx.db, i.id, p);
        return sealed ? await probeProvider(providers[p], ctx.config.upstreams[p], ctx.services.sealer.open(sealed, integrationSecretContext(i.id, p))) : 'no key stored';
      }),
    );
    const results: Record<string, string> = Object.fromEntries(byok.map((p, n) => [p, outcomes[n]]));
    const allOk = byok.every((p) => results[p] === 'ok');
    if (args.json) {
      ctx.out.json({ name: i.name, results });
    } else if (byok.length === 0) {
      ctx.out.line(`${i.name} has no byok providers to test; gateway providers use the operator's keys.`);
    } else {
      ctx.out.table(byok.map((p) => [p, results[p] === 'ok' ? ctx.out.c.green('ok') : ctx.out.c.red(results[p])]));
    }
    return allOk ? 0 : 1;
  },
};
