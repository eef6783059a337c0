import type { Provider } from './provider.js';

export const fireworks: Provider = {
  id: 'fireworks',
  displayName: 'Fireworks',
  apiPrefix: '/inference/v1',
  openaiCompatBase: '/inference/v1',
  modelsPath: '/models',
  modelPattern: /^accounts\/fireworks\//,
  defaultHeaders: {},
  credentialHeader: (key) => ['authorization', `Bearer ${key}`],
  badKeyStatuses: [401, 403],
  errorStyle: 'openai',
};
