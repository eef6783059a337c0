// The provider contract: everything the gateway and the shell need to know about one upstream
// API, as data and pure functions. Code outside providers/ never branches on a provider's id.
import type { ProviderId } from '../config.js';

export interface Provider {
  id: ProviderId;
  displayName: string;
  /** The provider's API path under its upstream base URL, e.g. /v1 or /inference/v1. */
  apiPrefix: string;
  /** Path (after apiPrefix) of the cheap authenticated call used by "integrations test". */
  modelsPath: string;
  /** The header that carries this provider's credential, and its value for a key. */
  credentialHeader(key: string): [name: string, value: string];
  /** Headers the API requires when the client sent none, e.g. anthropic-version. */
  defaultHeaders: Record<string, string>;
}
