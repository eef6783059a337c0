// /user (issue 17): the signed-in user's credits, this month's (or ?month=) usage chart and
// tables, and their VMs, integrations and keys. Everything is read for the SESSION's user: no
// query parameter names a user, so no URL reaches anyone else's data.
import { membershipOf } from '../../db/teams.js';
import { layout } from '../layout.js';
import { html } from '../respond.js';
import type { WebContext, WebRoute } from '../types.js';
import { creditsSection, integrationsSection, keysSection, vmsSection } from './account.js';
import type { UsageGroup } from '../../db/usage.js';
import { monthParam, monthSwitcher, renderSections, usageChart, usageTable } from './usageView.js';

const USER_GROUPS: [UsageGroup, string][] = [['model', 'Model'], ['vm', 'VM'], ['integration', 'Integration'], ['key', 'API key'], ['session', 'Claude Code session']];

/** Nav entries for the wider pages this viewer may open. */
export async function wideNav(ctx: WebContext): Promise<{ href: string; label: string }[]> {
  const user = ctx.session!.user;
  const m = await membershipOf(ctx.deps.db, user.id);
  return [...(m && m.role !== 'user' ? [{ href: '/team', label: 'Team' }] : []), ...(user.is_admin ? [{ href: '/admin', label: 'Admin' }] : [])];
}

export const userPage: WebRoute = {
  method: 'GET',
  path: '/user',
  auth: 'session',
  async handle(ctx) {
    const month = monthParam(ctx);
    const user = ctx.session!.user;
    await ctx.deps.services.usage.flush(); // as `usage` and `credits` do: a request just made is counted
    const scope = { userId: user.id };
    const sections = await renderSections(ctx, [
      () => usageChart(ctx, month, scope),
      ...USER_GROUPS.map(([group, label]) => () => usageTable(ctx, month, group, label, scope)),
      () => vmsSection(ctx, user.id),
      () => integrationsSection(ctx, user.id),
      () => keysSection(ctx, user.id),
    ]);
    const credits = creditsSection(await ctx.deps.services.credits.report(user.id));
    const body = `<h1>Your usage</h1>${credits}<h2 class="usage-title">Usage</h2>${monthSwitcher('/user', month)}${sections.join('\n')}`;
    html(ctx.res, 200, layout({ title: 'Usage', scripts: ['chart.js', 'usage.js'], session: ctx.session, extraNav: await wideNav(ctx) }, body));
  },
};
