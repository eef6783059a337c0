// The wider usage pages (issue 17): /team for a team's owner and admins (`team usage` and
// `credits --team`), /admin for installation admins (`admin usage`: everyone, by user and model).
// Who may look is decided from the session's user alone; anyone else gets 403.
import { membershipOf } from '../../db/teams.js';
import { GatehouseError } from '../../errors.js';
import { layout } from '../layout.js';
import { esc, html } from '../respond.js';
import type { WebRoute } from '../types.js';
import { creditsSection } from './account.js';
import { wideNav } from './user.js';
import { monthParam, monthSwitcher, renderSections, usageChart, usageTable } from './usageView.js';

export const teamPage: WebRoute = {
  method: 'GET',
  path: '/team',
  auth: 'session',
  async handle(ctx) {
    const user = ctx.session!.user;
    const m = await membershipOf(ctx.deps.db, user.id);
    if (!m) throw new GatehouseError('forbidden', 'You are not in a team.');
    if (m.role === 'user') throw new GatehouseError('forbidden', `Only the team's owner and admins can see its usage; your role in team "${m.team}" is user.`);
    const month = monthParam(ctx);
    await ctx.deps.services.usage.flush();
    const scope = { teamId: m.teamId };
    const sections = await renderSections(ctx, [() => usageChart(ctx, month, scope), () => usageTable(ctx, month, 'member', 'Member', scope), () => usageTable(ctx, month, 'model', 'Model', scope)]);
    const credits = creditsSection(await ctx.deps.services.credits.report(m.teamId, true), 'Team credits', 'team-credits');
    const body = `<h1>Team <span id="team-name">${esc(m.team)}</span></h1>${credits}<h2>Usage through the team's integrations</h2>${monthSwitcher('/team', month)}${sections.join('\n')}`;
    html(ctx.res, 200, layout({ title: `Team ${m.team}`, scripts: ['chart.js', 'usage.js'], session: ctx.session, extraNav: await wideNav(ctx) }, body));
  },
};

export const adminPage: WebRoute = {
  method: 'GET',
  path: '/admin',
  auth: 'session',
  async handle(ctx) {
    if (!ctx.session!.user.is_admin) throw new GatehouseError('forbidden', 'Only installation admins can see everyone’s usage.');
    const month = monthParam(ctx);
    await ctx.deps.services.usage.flush();
    const sections = await renderSections(ctx, [() => usageChart(ctx, month, {}), () => usageTable(ctx, month, 'user', 'User', {}), () => usageTable(ctx, month, 'model', 'Model', {})]);
    const body = `<h1>Everyone's usage</h1>${monthSwitcher('/admin', month)}${sections.join('\n')}`;
    html(ctx.res, 200, layout({ title: 'Admin', scripts: ['chart.js', 'usage.js'], session: ctx.session, extraNav: await wideNav(ctx) }, body));
  },
};
