// HTTP calls on an integration whose OpenAI source is a ChatGPT account (issue 13, research §2.5):
// the Responses API goes to the ChatGPT backend with the account's access token and account id
// (the client's credentials removed), with the body rules of chatgpt.ts; a 401 from the backend
// refreshes the token once and resends; the plan's usage windows are noted from every answer.
// Metered as every call is, with source chatgpt: never charged (metering.ts), cost 0.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { BackendCredential } from '../core/chatgpt/types.js';
import type { Services } from '../core/services.js';
import { GatehouseError } from '../errors.js';
import { chatgptBackend } from '../providers/chatgpt.js';
import type { ErrorStyle } from '../providers/provider.js';
import { chatgptCall } from './chatgpt.js';
import { refreshGuard } from './chatgptRefusals.js';
import type { ChatgptModels } from './chatgptModels.js';
import { sendJson } from './errors.js';
import type { ForwardOutcome, Forwarder } from './forward.js';
import { upstreamHeaders } from './headers.js';
import { usableModels } from './models.js';
import { beginMetering, type CallPlan } from './plan.js';
import type { RequestTrace } from './trace.js';

export interface ChatgptRequest {
  req: IncomingMessage;
  res: ServerResponse;
  plan: CallPlan;
  /** The OpenAI path as the provider knows it (/v1/responses for every route to it). */
  path: string;
  search: string;
  json: Record<string, unknown> | undefined;
  /** Undefined when `json` was rewritten (serialised once the body rules are applied). */
  body: Buffer | undefined;
  style: ErrorStyle;
  trace: RequestTrace;
}

const HIDDEN: ReadonlySet<string> = new Set(['set-cookie']);

export class ChatgptSource {
  private readonly origin: string;
  private readonly basePath: string;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly services: Services,
    private readonly forwarder: Forwarder,
    readonly models: ChatgptModels,
  ) {
    const url = new URL(config.chatgpt.backend);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/$/, '');
  }

  async serve(c: ChatgptRequest): Promise<void> {
    const { req, res, plan } = c;
    const account = plan.setting.account ?? '';
    if (req.method === 'GET' && c.path === '/v1/models') {
      c.trace.api = 'models';
      const catalog = usableModels(plan.integration, this.services.catalog, plan.caller.apiKey?.models);
      return sendJson(res, 200, await this.models.list(plan.integration, catalog, plan.caller.apiKey?.models));
    }
    const call = chatgptCall(plan.integration.name, account, req.method ?? 'GET', c.path, c.json, c.body);
    c.trace.api = call.api;
    const accounts = this.services.chatgpt;
    const userId = plan.integration.userId;
    const guard = refreshGuard(accounts);
    let credential = await accounts.credential(userId, account);
    const headersFor = (cred: BackendCredential) => {
      const h = upstreamHeaders(req.headers, chatgptBackend.defaultHeaders, chatgptBackend.credentialHeaders(cred.accessToken, cred.chatgptAccountId));
      if (call.collect) h.accept = 'text/event-stream';
      // Issue 13: the backend reads a JSON body only as JSON; a client may have sent no type.
      h['content-type'] ??= 'application/json';
      return h;
    };
    const beginning = beginMetering(this.config, this.services, plan, call.api, call.body.length, c.json, c.trace);
    const metering = beginning && (await beginning);
    let outcome: ForwardOutcome | undefined;
    let failedStatus: number | undefined;
    try {
      outcome = await this.forwarder.forward({
        req,
        res,
        origin: this.origin,
        path: this.basePath + call.path + c.search,
        headers: headersFor(credential),
        body: call.body,
        style: c.style,
        collect: call.collect,
        // Issue 13: the backend's cookies (Cloudflare's and chatgpt.com's) are not the VM's to keep.
        hideHeaders: HIDDEN,
        onStart: (contentType, status, headers) => {
          metering?.onStart(contentType);
          accounts.noteWindows(credential.accountRowId, headers, { force: status === 429 });
        },
        tap: metering?.feed,
        onUnauthorized: async () => headersFor((credential = await guard.afterUnauthorized(credential, userId, account))),
        unauthorizedAgain: () => guard.refused(credential, userId, account),
      });
    } catch (err) {
      failedStatus = err instanceof GatehouseError ? err.httpStatus : 500;
      throw err;
    } finally {
      c.trace.forwarded(outcome);
      metering?.end(req, res, outcome, failedStatus);
    }
  }
}
