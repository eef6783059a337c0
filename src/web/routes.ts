// Every route of the web listener. Add a page: write its handler, add one line here.
import type { WebRoute } from './types.js';
import { logoutPageRoute, logoutRoute, sessionRoute, signedOutRoute, verifyRoute } from './auth.js';

export const routes: WebRoute[] = [
  verifyRoute, logoutRoute, logoutPageRoute, signedOutRoute, sessionRoute,
];
