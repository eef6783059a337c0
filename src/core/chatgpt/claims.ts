// What gatehouse reads from ChatGPT's JWTs: the id_token's email, plan and account id, and an
// access token's expiry. The signature is not checked (Codex does not either): the tokens come
// straight from the issuer over TLS, and the backend, not us, decides whether they are valid.

export interface IdClaims {
  email: string | null;
  plan: string | null;
  chatgptAccountId: string | null;
}

/** The payload of a JWT (second segment, base64url), or undefined when it is not one. */
function payload(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3 || parts[1].length > 64 * 1024) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function text(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** email = `email` or the profile claim's; plan and account id from the auth claim (token_data.rs). */
export function idTokenClaims(jwt: string): IdClaims {
  const claims = payload(jwt) ?? {};
  const auth = record(claims['https://api.openai.com/auth']);
  const profile = record(claims['https://api.openai.com/profile']);
  return {
    email: text(claims.email, 254) ?? text(profile.email, 254),
    plan: text(auth.chatgpt_plan_type, 32),
    chatgptAccountId: text(auth.chatgpt_account_id, 128),
  };
}

/** exp at or above this (year 5138) is not unix seconds: milliseconds (1.7e12) or garbage. */
const MAX_EXP_S = 1e11;

/** The standard `exp` (unix seconds), or undefined when the token is not a JWT, has none, or an absurd one. */
export function jwtExp(jwt: string): number | undefined {
  const exp = payload(jwt)?.exp;
  // Out of range, exp would make an invalid Date (1e16 throws after the token was rotated) or one
  // so far ahead (exp in ms: year 58893) that the token is never refreshed: unknown instead (review 3).
  return typeof exp === 'number' && Number.isFinite(exp) && exp > 0 && exp < MAX_EXP_S ? exp : undefined;
}
