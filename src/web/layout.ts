// The frame every page shares (issue 17): head with our own CSS and scripts only (no inline
// script or style: the CSP is 'self'), a nav, and small helpers for tables and data blocks.
// Every value goes through esc(); chart data travels in <script type="application/json"> blocks
// (never executed), encoded so no "<" can end the block early.
import { formatUsd } from '../core/pricing.js';
import { assetUrl } from './assets.js';
import { esc } from './respond.js';
import { logoutForm } from './session.js';
import type { WebSession } from './types.js';

export interface PageOptions {
  title: string;
  /** Our scripts to load (names under /assets/), deferred, after chart.js when asked. */
  scripts?: string[];
  session?: WebSession;
  /** Nav entries the viewer may open: /team, /admin. */
  extraNav?: { href: string; label: string }[];
}

export function layout(options: PageOptions, body: string): string {
  const scripts = (options.scripts ?? []).map((s) => `<script src="${esc(assetUrl(s))}" defer></script>`).join('');
  const nav = [{ href: '/models', label: 'Models' }, ...(options.session ? [{ href: '/user', label: 'Usage' }, ...(options.extraNav ?? [])] : [])];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(options.title)} · gatehouse</title>
<link rel="icon" href="${esc(assetUrl('favicon.svg'))}" type="image/svg+xml"><link rel="stylesheet" href="${esc(assetUrl('app.css'))}">${scripts}</head>
<body><header><nav id="nav"><strong>gatehouse</strong>${nav.map((n) => `<a href="${esc(n.href)}">${esc(n.label)}</a>`).join('')}${options.session ? userBox(options.session) : ''}</nav></header>
<main>
${body}
</main></body></html>
`;
}

/** Who is signed in, and the way out (a POST with the session's CSRF token). */
function userBox(session: WebSession): string {
  return `<span class="who" data-testid="signed-in-as">${esc(session.user.name)}</span>${logoutForm(session)}`;
}

/** A JSON value inside <script type="application/json">: "<", ">", "&" and line separators escaped. */
export function jsonBlock(id: string, value: unknown): string {
  const text = JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `<script type="application/json" id="${esc(id)}">${text}</script>`;
}

export interface Column<T> {
  key: string;
  label: string;
  cell(row: T): string | number;
  /** Right-aligned numbers. */
  num?: boolean;
}

/** A table with stable hooks for tests: id on the table, data-key per row, data-col per cell. */
export function table<T>(id: string, columns: Column<T>[], rows: T[], key: (row: T) => string, empty: string, extraRows = ''): string {
  if (rows.length === 0 && !extraRows) return `<p class="empty" id="${esc(id)}" data-empty="true">${esc(empty)}</p>`;
  const head = columns.map((c) => `<th${c.num ? ' class="num"' : ''}>${esc(c.label)}</th>`).join('');
  const line = (r: T) => `<tr data-key="${esc(key(r))}">${columns.map((c) => `<td data-col="${esc(c.key)}"${c.num ? ' class="num"' : ''}>${esc(c.cell(r))}</td>`).join('')}</tr>`;
  return `<table id="${esc(id)}"><thead><tr>${head}</tr></thead><tbody>${rows.map(line).join('')}${extraRows}</tbody></table>`;
}

export const usd = (micros: number) => formatUsd(micros);
