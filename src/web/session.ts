// Finding a request's session. Skeleton: no sessions yet (magic links land with `browser`).
import { html } from './respond.js';
import type { SessionLookup, SignInPage } from './server.js';

export const findSession: SessionLookup = async () => undefined;

export const signInPage: SignInPage = async (ctx) => {
  html(ctx.res, 401, '<!doctype html><html lang="en"><meta charset="utf-8"><title>Sign in · gatehouse</title><p>Sign in by running <code>ssh HOST browser</code> and opening the link it prints.</p></html>');
};
