// One gateway request: name it, check its target, find the caller and the integration, then
// answer locally (hello, model lists, reflection) or forward upstream with the right credential.
// This is the gateway's error boundary: every refusal leaves here in the caller's wire shape.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config.js';
import type { Changes } from '../core/changes.js';
import type { IndexedIntegration, Snapshot } from '../core/integrationIndex.js';
import type { LlmSettings } from '../core/integrations.js';
import type { Services } from '../core/services.js';
import type { Db } from '../db/open.js';
import { GatehouseError } from '../errors.js';
import type { Log } from '../log.js';
import { providers } from '../providers/index.js';
import type { ErrorStyle } from '../providers/provider.js';
import { parseJsonBody, readBody } from './body.js';
import { identify, integrationFor, llmOnly, type Caller } from './caller.js';
import { isLingering } from './linger.js';
import { keyCaller } from './keyCaller.js';
import { admitCaller } from './rateLimit.js';
import { Credentials } from './credentials.js';
import { sendError, sendJson, styleFor } from './errors.js';
import { Forwarder, type ForwardOutcome } from './forward.js';
import { askForUsage, UsageChunkHider } from './usageChunk.js';
import { apiOf } from '../providers/usage.js';
import { upstreamHeaders } from './headers.js';
import { parseModel } from './modelPolicy.js';
import { beginMetering, credentialOf, lendsManagedKey, managedKeyRefusal, planCall, withBareModel } from './plan.js';
import { anthropicModelList, modelsJson, nativeModelList, openAiModelList, usableModels } from './models.js';
import { reflect } from './reflection.js';
import { hostRoute, isHello, llmHostRoute, metadataRoute, modelFromPath, type LlmRoute } from './routes.js';
import { parseTarget } from './target.js';
import { ResponsesSocketRelay } from './websocket.js';
import { ChatgptModels } from './chatgptModels.js';
import { ChatgptSource } from './chatgptSource.js';
import { pathOf, RequestTrace, type TraceSink } from './trace.js';

export interface GatewayDeps {
  config: Readonly<Config>;
  db: Db;
  services: Services;
  changes: Changes;
  log: Log;
}

export class Gateway {
  private readonly forwarder: Forwarder;
  private readonly credentials: Credentials;
  private readonly upstreams: Record<string, { origin: string; basePath: string }> = {};
  private readonly relay: ResponsesSocketRelay;
  private readonly chatgpt: ChatgptSource;
  private readonly sink: TraceSink;

  constructor(private readonly deps: GatewayDeps) {
    this.sink = { metrics: deps.services.metrics, log: deps.log };
    this.forwarder = new Forwarder(deps.config.sseKeepaliveMs, deps.config.upstreamTimeoutMs);
    this.credentials = new Credentials(deps.config, deps.db, deps.services.sealer, deps.changes);
    for (const [p, base] of Object.entries(deps.config.upstreams)) {
      const url = new URL(base);
      this.upstreams[p] = { origin: url.origin, basePath: url.pathname.replace(/\/$/, '') };
    }
    const chatgptModels = new ChatgptModels(deps.services.chatgpt, deps.config.chatgpt.backend, deps.changes, deps.log);
    this.chatgpt = new ChatgptSource(deps.config, deps.services, this.forwarder, chatgptModels);
    this.relay = new ResponsesSocketRelay({ config: deps.config, services: deps.services, credentials: this.credentials, upstream: this.upstreams.openai, log: deps.log }, this.sink);
  }

  /** A WebSocket upgrade: the Responses API relay (websocket.ts), or 426 where it cannot be served. */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.relay.upgrade(req, socket, head);

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    // A request pipelined behind a refused upload, on a connection that is closing: never served.
    if (isLingering(req.socket)) return void req.socket.destroy();
    const method = req.method ?? 'GET';
    const path = pathOf(req.url);
    // Named without its query or headers (they may carry keys), for the event-loop watch; the
    // trace ends the registration with the request (one count and one log line: trace.ts).
    const trace = new RequestTrace(this.sink, 'request', method, path, undefined, this.deps.services.loop.begin(`gateway ${method} ${path} from ${req.socket.remoteAddress}`));
    res.setHeader('x-gatehouse-request-id', trace.id);
    // A response that closes before its headers went out was never answered: the client left (499).
    res.once('close', () => trace.close(res.headersSent ? res.statusCode : CLIENT_GONE));
    // The one choice of error shape for this request: every refusal and stream error uses it.
    const style = styleFor(req.url ?? '');
    req.on('error', () => res.destroy());
    this.serve(req, res, style, trace).catch((err) => {
      trace.refused(err);
      sendError(res, style, err, this.deps.log);
    });
  };

  private async serve(req: IncomingMessage, res: ServerResponse, style: ErrorStyle, trace: RequestTrace): Promise<void> {
    const target = parseTarget(req.url);
    const method = req.method ?? 'GET';
    const host = hostRoute(req.headers.host, this.deps.config.domain);
    if (host.kind === 'plain') {
      if (isHello(method, target.pathname)) return (trace.api = 'hello'), hello(res, method);
      const meta = metadataRoute(target.pathname);
      if (!meta) throw new GatehouseError('not_found', `no route for ${method} ${target.pathname}; use /gateway/INTEGRATION/PROVIDER/… or http://NAME.int.${this.deps.config.domain}/`);
      const snapshot = await this.deps.services.index.current();
      const caller = await this.identify(req, res, snapshot, trace);
      return this.llm(req, res, caller, integrationFor(caller, snapshot, meta.integration, 'path'), meta.route, target.search, style, trace);
    }
    const snapshot = await this.deps.services.index.current();
    const caller = await this.identify(req, res, snapshot, trace);
    const integration = integrationFor(caller, snapshot, host.name, host.kind);
    if (integration.type === 'reflection') {
      trace.api = 'reflection';
      const llmPath = llmHostRoute(method, target.pathname);
      if (llmPath && llmPath.kind !== 'hello') llmOnly(integration, this.deps.config.domain);
      if (method !== 'GET' && method !== 'HEAD') throw new GatehouseError('invalid_input', 'reflection answers GET only');
      return sendJson(res, 200, await reflect(this.deps.db, snapshot, this.deps.config.domain, caller, integration, target.pathname));
    }
    const route = llmHostRoute(method, target.pathname);
    if (!route) throw new GatehouseError('not_found', `no route for ${method} ${target.pathname} on integration "${integration.name}"; try GET /v1/models`);
    return this.llm(req, res, caller, integration, route, target.search, style, trace);
  }

  /** Who is calling, admitted by their rate limits (429 before anything is read or reserved). */
  private async identify(req: IncomingMessage, res: ServerResponse, snapshot: Snapshot, trace: RequestTrace): Promise<Caller> {
    // callerOf (plan.ts) inlined: one await less on every request.
    const caller = (await keyCaller(req, this.deps.services.apiKeys)) ?? identify(req, snapshot);
    trace.identified(caller);
    await admitCaller(this.deps.services.limits, caller, res); // the slot is freed when res closes
    return caller;
  }

  private async llm(req: IncomingMessage, res: ServerResponse, caller: Caller, integration: IndexedIntegration, route: LlmRoute, search: string, style: ErrorStyle, trace: RequestTrace): Promise<void> {
    const { catalog } = this.deps.services;
    trace.through(integration.name);
    llmOnly(integration, this.deps.config.domain, route.kind === 'proxy' ? route.provider : undefined);
    if (route.kind === 'hello') return (trace.api = 'hello'), hello(res, req.method ?? 'GET');
    if (route.kind === 'models' || route.kind === 'models_json') trace.api = 'models';
    if (route.kind === 'models') {
      const models = usableModels(integration, catalog, caller.apiKey?.models);
      if (req.headers['anthropic-version']) return sendJson(res, 200, anthropicModelList(models));
      // A ChatGPT account's models are its plan's, as its backend lists them.
      if ((integration.settings as LlmSettings).providers.openai?.source === 'chatgpt') return sendJson(res, 200, await this.chatgpt.models.list(integration, models, caller.apiKey?.models));
      return sendJson(res, 200, openAiModelList(models));
    }
    if (route.kind === 'models_json') return sendJson(res, 200, modelsJson(usableModels(integration, catalog, caller.apiKey?.models)));

    let body = await readBody(req, this.deps.config.maxBodyBytes);
    let json = parseJsonBody(body, req.headers['content-type']);
    // A model in the path (Gemini native) is the one upstream serves, whatever the body says.
    const named = (route.kind === 'proxy' ? modelFromPath(route.rest) : undefined) ?? (typeof json?.model === 'string' ? json.model : undefined);
    const plan = planCall(catalog, caller, integration, route.kind === 'proxy' ? route.provider : undefined, named ? parseModel(named) : undefined);
    trace.planned(plan, catalog);
    const providerId = plan.provider;
    const provider = providers[providerId];
    let path = route.rest;
    if (route.kind === 'by_model') {
      if (!provider.openaiCompatBase) throw new GatehouseError('invalid_input', `${providerId} has no OpenAI-compatible API; use its native path`);
      path = provider.openaiCompatBase + route.rest;
    }
    if (plan.setting.source === 'chatgpt') {
      const outgoing = withBareModel(json, plan.ref);
      // Issue 13: a rewritten model and the backend's body rules make one object, serialised once (chatgpt.ts).
      return this.chatgpt.serve({ req, res, plan, path, search, json: outgoing, body: outgoing === json ? body : undefined, style, trace });
    }
    const api = apiOf(path);
    trace.api = api;
    if (!lendsManagedKey(plan, api)) {
      // A models list is answered from the catalog; nothing else (files, batches, fine-tunes …) goes upstream on the managed key.
      if (!plan.ref && req.method === 'GET' && /\/models$/.test(route.rest)) {
        const models = usableModels(integration, catalog, caller.apiKey?.models).filter((m) => m.provider === providerId);
        return sendJson(res, 200, nativeModelList(provider.errorStyle, models));
      }
      throw managedKeyRefusal(plan);
    }
    const key = await credentialOf(this.credentials, plan);
    // Upstream knows only bare model ids, and chat streams must carry usage for metering: the only
    // two reasons the gateway ever re-serialises a body.
    let outgoing = withBareModel(json, plan.ref);
    const withUsage = api === 'chat' && outgoing && this.deps.config.metering ? askForUsage(outgoing) : undefined;
    if (withUsage) body = withUsage;
    else if (outgoing !== json) body = Buffer.from(JSON.stringify(outgoing));

    const beginning = beginMetering(this.deps.config, this.deps.services, plan, api, body.length, json, trace);
    const metering = beginning && (await beginning);
    // Else this suspended frame holds the parsed body for the life of a stream: 46% of 2,000 held
    // streams did (heap snapshot); at 10,000 streams of 100 KB conversations, gigabytes.
    json = outgoing = undefined;
    const upstream = this.upstreams[providerId];
    let outcome: ForwardOutcome | undefined;
    let failedStatus: number | undefined;
    try {
      outcome = await this.forwarder.forward({
        req,
        res,
        origin: upstream.origin,
        path: upstream.basePath + path + search,
        headers: upstreamHeaders(req.headers, provider.defaultHeaders, provider.credentialHeader(key)),
        body: body.length ? body : undefined,
        style,
        onStart: metering?.onStart,
        tap: metering?.feed,
        rewrite: withUsage ? new UsageChunkHider() : undefined,
      });
    } catch (err) {
      failedStatus = err instanceof GatehouseError ? err.httpStatus : 500;
      throw err;
    } finally {
      trace.forwarded(outcome);
      metering?.end(req, res, outcome, failedStatus);
    }
  }

  /** Streams being relayed now (the metrics' gauge). */
  get openStreams(): number {
    return this.forwarder.openStreams;
  }

  /** Ends what is still in flight cleanly (a shutdown calls it after its drain period), then closes the upstream pools. */
  async close(): Promise<void> {
    this.relay.close();
    await this.forwarder.endStreams('the gateway is shutting down; retry the request');
    await this.forwarder.close();
  }
}

function hello(res: ServerResponse, method: string): void {
  if (method === 'HEAD') {
    res.writeHead(200, { 'content-length': 0 });
    res.end();
    return;
  }
  sendJson(res, 200, { service: 'gatehouse', status: 'ok' });
}

/** node:http's "client closed request", as usage rows record it. */
const CLIENT_GONE = 499;
