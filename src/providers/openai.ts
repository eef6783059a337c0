import type { Provider } from './provider.js';

export const openai: Provider = {
  id: 'openai',
  displayName: 'OpenAI',
  apiPrefix: '/v1',
  modelsPath: '/models',
  defaultHeaders: {},
  credentialHeader: (key) => ['authorization', `Bearer ${key}`],
};
