// Every check the journeys make, named once. Each takes a parsed, guarded reply and returns whether all of its
// checks passed. Check names are static strings (they become the `check` tag).

import { check } from "k6";
import type { MessagesReply, SendReply, StatusReply } from "./clients/agentapi";
import { idsAscending } from "./clients/agentapi";
import type { AuthorizeReply, OAuthInitReply, RevokeReply, TokenPairReply, UserTokenReply } from "./clients/broker";
import type { DeleteReply, InitializeReply, NotifyReply, ToolCallReply, ToolsListReply } from "./clients/mcp";
import type { InitialState } from "./clients/events-state";
import { firstText } from "./lib/guards";

export function checkStatus(r: StatusReply): boolean {
  return check(r, {
    "status: 200": (x) => x.reply.status === 200,
    "status: agent status, type and transport": (x) => x.body !== null,
  });
}

export function checkMessages(r: MessagesReply, mustContain?: string): boolean {
  return check(r, {
    "messages: 200": (x) => x.reply.status === 200,
    "messages: list of messages": (x) => x.body !== null,
    "messages: ids ascending": (x) => x.body !== null && idsAscending(x.body),
    ...(mustContain === undefined
      ? {}
      : {
          "messages: contains the prompt just sent": (x: MessagesReply) =>
            x.body !== null && x.body.messages.some((m) => m.role === "user" && m.content === mustContain),
        }),
  });
}

export function checkSendMessage(r: SendReply): boolean {
  return check(r, {
    "message: accepted or agent busy": (x) => x.outcome !== "rejected",
  });
}

export function checkUserToken(r: UserTokenReply): boolean {
  return check(r, {
    "auth token: 200": (x) => x.reply.status === 200,
    "auth token: bearer token issued": (x) => x.body !== null,
  });
}

export function checkOAuthInit(r: OAuthInitReply): boolean {
  return check(r, {
    "oauth init: 200": (x) => x.reply.status === 200,
    "oauth init: config id, state and authorization url": (x) => x.body !== null,
  });
}

export function checkAuthorize(r: AuthorizeReply, sentState: string): boolean {
  return check(r, {
    "authorize: 302 (not followed)": (x) => x.reply.status === 302,
    "authorize: redirect carries a code": (x) => x.code !== null && x.code !== "",
    "authorize: redirect echoes the state": (x) => x.state === sentState,
  });
}

export function checkCallback(r: TokenPairReply, configId: string): boolean {
  return check(r, {
    "callback: 200": (x) => x.reply.status === 200,
    "callback: access and refresh tokens": (x) => x.body !== null,
    "callback: same config id": (x) => x.body !== null && (x.body.mcp_config_id ?? configId) === configId,
  });
}

export function checkRefresh(r: TokenPairReply, previousRefreshToken: string): boolean {
  return check(r, {
    "refresh: 200": (x) => x.reply.status === 200,
    "refresh: new token pair": (x) => x.body !== null,
    "refresh: refresh token rotated": (x) => x.body !== null && x.body.refresh_token !== previousRefreshToken,
  });
}

export function checkRevoke(r: RevokeReply): boolean {
  return check(r, {
    "revoke: 200": (x) => x.reply.status === 200,
    "revoke: revoked": (x) => x.body !== null && x.body.revoked,
  });
}

export function checkInitialize(r: InitializeReply): boolean {
  return check(r, {
    "mcp initialize: 200": (x) => x.reply.status === 200,
    "mcp initialize: server info and capabilities": (x) => x.result !== null,
    "mcp initialize: session id issued": (x) => x.session !== null,
  });
}

export function checkInitialized(r: NotifyReply): boolean {
  return check(r, {
    "mcp initialized: 202": (x) => x.accepted,
  });
}

export function checkToolsList(r: ToolsListReply): boolean {
  return check(r, {
    "mcp tools/list: 200": (x) => x.reply.status === 200,
    "mcp tools/list: tools listed": (x) => x.tools !== null && x.tools.length > 0,
  });
}

export function checkToolCall(r: ToolCallReply): boolean {
  return check(r, {
    "mcp tools/call: 200": (x) => x.reply.status === 200,
    "mcp tools/call: text result": (x) => x.result !== null && firstText(x.result) !== null,
    "mcp tools/call: not an error": (x) => x.result !== null && x.result.isError !== true,
  });
}

export function checkDeleteSession(r: DeleteReply): boolean {
  return check(r, {
    "mcp delete: session ended": (x) => x.ended,
  });
}

export function checkTokenRefused(r: InitializeReply): boolean {
  return check(r, {
    "revoked token: refused with 401": (x) => x.reply.status === 401,
    "revoked token: WWW-Authenticate Bearer": (x) => /^Bearer/i.test(x.wwwAuthenticate ?? ""),
  });
}

/**
 * An incomplete initial state (stream cut before the status_change) is not a failed check: it is counted in
 * timeout_count, which has its own threshold (the seed counted SSE timeouts as failures).
 */
export function checkInitialState(s: InitialState): boolean {
  return check(s, {
    "events: stream opened": (x) => x.status === 200,
    "events: well-formed events": (x) => x.error === null,
  });
}
