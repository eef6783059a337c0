// Every route of the web listener. Add a page: write its handler, add one line here.
import { assetRoutes } from './assets.js';
import { modelsJson, modelsPage } from './pages/models.js';
import { userPage } from './pages/user.js';
import { adminPage, teamPage } from './pages/wide.js';
import type { WebRoute } from './types.js';
import { logoutPageRoute, logoutRoute, sessionRoute, signedOutRoute, verifyRoute } from './auth.js';

export const routes: WebRoute[] = [
  ...assetRoutes,
  modelsPage,
  modelsJson,
  userPage,
  teamPage,
  adminPage,
  verifyRoute, logoutRoute, logoutPageRoute, signedOutRoute, sessionRoute,
];
