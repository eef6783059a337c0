import type { Provider } from './provider.js';

export const fireworks: Provider = {
  id: 'fireworks',
  displayName: 'Fireworks',
  apiPrefix: '/inference/v1',
  modelsPath: '/models',
  defaultHeaders: {},
  credentialHeader: (key) => ['authorization', `Bearer ${key}`],
};
