// Every route of the web listener. Add a page: write its handler, add one line here.
import type { WebRoute } from './types.js';
import { logoutRoute, sessionRoute, signedOutRoute, verifyRoute } from './auth.js';
import { logoutPageRoute } from './auth.js';

export const routes: WebRoute[] = [
  verifyRoute, logoutRoute, signedOutRoute, sessionRoute,
  logoutPageRoute,
];
