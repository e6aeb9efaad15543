// Broker routes on the broker listener: user tokens and the MCP OAuth flow (contract page, "Broker surface").
import type { FastifyInstance, FastifyRequest } from "fastify";
import { authenticateUser } from "./auth";
import type { BrokerContext } from "./context";
import { OAuthBroker } from "./oauth";
import {
  authorizeSchema,
  callbackSchema,
  initSchema,
  refreshSchema,
  revokeSchema,
  tokenSchema,
  type AuthorizeQuery,
  type CallbackBody,
  type InitBody,
  type RefreshBody,
  type RevokeBody,
  type TokenBody,
} from "./schemas";

export type { BrokerContext } from "./context";

/** The user each authenticated request acts for (set by the onRequest hook, before the body is even parsed). */
const requestUser = new WeakMap<FastifyRequest, string>();

function userOf(request: FastifyRequest): string {
  const userId = requestUser.get(request);
  // Unreachable: every route that calls this has the authenticating onRequest hook.
  if (userId === undefined) throw new Error("route is missing the user authentication hook");
  return userId;
}

export function registerBroker(app: FastifyInstance, { settings, store }: BrokerContext): Promise<void> {
  const broker = new OAuthBroker(settings, store);
  const authenticated = {
    onRequest: async (request: FastifyRequest): Promise<void> => {
      requestUser.set(request, await authenticateUser(request.headers.authorization, settings, store));
    },
  };

  app.post<{ Body: TokenBody }>("/api/auth/token", { schema: tokenSchema }, (request) =>
    broker.issueUserToken(request.body.user_id),
  );

  app.post<{ Body: InitBody }>("/api/mcp/oauth/init", { schema: initSchema, ...authenticated }, (request) =>
    broker.init(userOf(request), request.body, `${request.protocol}://${request.host}`),
  );

  app.get<{ Querystring: AuthorizeQuery }>(
    "/api/mcp/oauth/authorize",
    { schema: authorizeSchema, ...authenticated },
    async (request, reply) => reply.redirect((await broker.authorize(userOf(request), request.query.state)).href, 302),
  );

  app.post<{ Body: CallbackBody }>("/api/mcp/oauth/callback", { schema: callbackSchema, ...authenticated }, (request) =>
    broker.callback(userOf(request), request.body),
  );

  app.post<{ Body: RefreshBody }>("/api/mcp/oauth/refresh", { schema: refreshSchema, ...authenticated }, (request) =>
    broker.refresh(userOf(request), request.body),
  );

  app.post<{ Body: RevokeBody }>("/api/mcp/oauth/revoke", { schema: revokeSchema, ...authenticated }, (request) =>
    broker.revoke(userOf(request), request.body.mcp_config_id),
  );

  return Promise.resolve();
}
