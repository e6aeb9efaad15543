// Every check the journeys make, named once. Each takes a parsed, guarded reply and returns whether all of its
// conditions held. Condition names are static strings (they become the `check` tag).
//
// One response, one check sample: k6 records a sample per condition of a check() call (2-3 per response here), so
// each check below tries its conditions in order and records one sample — failing under the first condition that
// does not hold (a failure still says what failed), passing under the check's headline condition when all hold.

import { check } from "k6";
import type { MessagesReply, SendReply, StatusReply } from "./clients/agentapi";
import { idsAscending } from "./clients/agentapi";
import type { AuthorizeReply, OAuthInitReply, RevokeReply, TokenPairReply, UserTokenReply } from "./clients/broker";
import type { DeleteReply, InitializeReply, NotifyReply, ToolCallReply, ToolsListReply } from "./clients/mcp";
import type { InitialState } from "./clients/events-state";
import { firstText } from "./lib/guards";

/** A named condition on a reply; `context` is what the caller compares against (the state it sent, …). */
type Condition<T, C> = readonly [name: string, holds: (reply: T, context: C) => boolean];

const PASS = (): boolean => true;
const FAIL = (): boolean => false;

/**
 * A check of several conditions that records one sample (see the top of this file). `passName` (default: the last,
 * strongest condition) names the passing sample. The objects handed to check() are built once, here.
 */
function oneSample<T, C = void>(
  conditions: ReadonlyArray<Condition<T, C>>,
  passName: string = conditions[conditions.length - 1]?.[0] ?? "",
): (reply: T, context: C) => boolean {
  const failing = conditions.map(([name, holds]) => ({ holds, sample: { [name]: FAIL } }));
  const passing = { [passName]: PASS };
  return (reply, context) => {
    for (const c of failing) {
      if (!c.holds(reply, context)) {
        check(reply, c.sample);
        return false;
      }
    }
    check(reply, passing);
    return true;
  };
}

const STATUS = oneSample<StatusReply>([
  ["status: 200", (x) => x.reply.status === 200],
  ["status: agent status, type and transport", (x) => x.body !== null],
]);

export function checkStatus(r: StatusReply): boolean {
  return STATUS(r);
}

const MESSAGES: ReadonlyArray<Condition<MessagesReply, string | undefined>> = [
  ["messages: 200", (x) => x.reply.status === 200],
  ["messages: list of messages", (x) => x.body !== null],
  ["messages: ids ascending", (x) => x.body !== null && idsAscending(x.body)],
];
const MESSAGES_LISTED = oneSample(MESSAGES);
const MESSAGES_WITH_PROMPT = oneSample<MessagesReply, string | undefined>([
  ...MESSAGES,
  [
    "messages: contains the prompt just sent",
    (x, prompt) => x.body !== null && x.body.messages.some((m) => m.role === "user" && m.content === prompt),
  ],
]);

export function checkMessages(r: MessagesReply, mustContain?: string): boolean {
  return mustContain === undefined ? MESSAGES_LISTED(r, undefined) : MESSAGES_WITH_PROMPT(r, mustContain);
}

const SEND = oneSample<SendReply>([["message: accepted or agent busy", (x) => x.outcome !== "rejected"]]);

export function checkSendMessage(r: SendReply): boolean {
  return SEND(r);
}

const USER_TOKEN = oneSample<UserTokenReply>([
  ["auth token: 200", (x) => x.reply.status === 200],
  ["auth token: bearer token issued", (x) => x.body !== null],
]);

export function checkUserToken(r: UserTokenReply): boolean {
  return USER_TOKEN(r);
}

const OAUTH_INIT = oneSample<OAuthInitReply>([
  ["oauth init: 200", (x) => x.reply.status === 200],
  ["oauth init: config id, state and authorization url", (x) => x.body !== null],
]);

export function checkOAuthInit(r: OAuthInitReply): boolean {
  return OAUTH_INIT(r);
}

const AUTHORIZE = oneSample<AuthorizeReply, string>([
  ["authorize: 302 (not followed)", (x) => x.reply.status === 302],
  ["authorize: redirect carries a code", (x) => x.code !== null && x.code !== ""],
  ["authorize: redirect echoes the state", (x, sentState) => x.state === sentState],
]);

export function checkAuthorize(r: AuthorizeReply, sentState: string): boolean {
  return AUTHORIZE(r, sentState);
}

const CALLBACK = oneSample<TokenPairReply, string>([
  ["callback: 200", (x) => x.reply.status === 200],
  ["callback: access and refresh tokens", (x) => x.body !== null],
  ["callback: same config id", (x, configId) => x.body !== null && (x.body.mcp_config_id ?? configId) === configId],
]);

export function checkCallback(r: TokenPairReply, configId: string): boolean {
  return CALLBACK(r, configId);
}

const REFRESH = oneSample<TokenPairReply, string>([
  ["refresh: 200", (x) => x.reply.status === 200],
  ["refresh: new token pair", (x) => x.body !== null],
  ["refresh: refresh token rotated", (x, previous) => x.body !== null && x.body.refresh_token !== previous],
]);

export function checkRefresh(r: TokenPairReply, previousRefreshToken: string): boolean {
  return REFRESH(r, previousRefreshToken);
}

const REVOKE = oneSample<RevokeReply>([
  ["revoke: 200", (x) => x.reply.status === 200],
  ["revoke: revoked", (x) => x.body !== null && x.body.revoked],
]);

export function checkRevoke(r: RevokeReply): boolean {
  return REVOKE(r);
}

const INITIALIZE = oneSample<InitializeReply>([
  ["mcp initialize: 200", (x) => x.reply.status === 200],
  ["mcp initialize: server info and capabilities", (x) => x.result !== null],
  ["mcp initialize: session id issued", (x) => x.session !== null],
]);

export function checkInitialize(r: InitializeReply): boolean {
  return INITIALIZE(r);
}

const INITIALIZED = oneSample<NotifyReply>([["mcp initialized: 202", (x) => x.accepted]]);

export function checkInitialized(r: NotifyReply): boolean {
  return INITIALIZED(r);
}

const TOOLS_LIST = oneSample<ToolsListReply>([
  ["mcp tools/list: 200", (x) => x.reply.status === 200],
  ["mcp tools/list: tools listed", (x) => x.tools !== null && x.tools.length > 0],
]);

export function checkToolsList(r: ToolsListReply): boolean {
  return TOOLS_LIST(r);
}

const TOOL_CALL = oneSample<ToolCallReply>([
  ["mcp tools/call: 200", (x) => x.reply.status === 200],
  ["mcp tools/call: text result", (x) => x.result !== null && firstText(x.result) !== null],
  ["mcp tools/call: not an error", (x) => x.result !== null && x.result.isError !== true],
]);

export function checkToolCall(r: ToolCallReply): boolean {
  return TOOL_CALL(r);
}

const DELETE_SESSION = oneSample<DeleteReply>([["mcp delete: session ended", (x) => x.ended]]);

export function checkDeleteSession(r: DeleteReply): boolean {
  return DELETE_SESSION(r);
}

/** Two samples, once per disconnect: the refusal and its WWW-Authenticate are reported separately. */
const TOKEN_REFUSED = {
  "revoked token: refused with 401": (x: InitializeReply) => x.reply.status === 401,
  "revoked token: WWW-Authenticate Bearer": (x: InitializeReply) => /^Bearer/i.test(x.wwwAuthenticate ?? ""),
};

export function checkTokenRefused(r: InitializeReply): boolean {
  return check(r, TOKEN_REFUSED);
}

/**
 * An incomplete initial state (stream cut before the status_change) is not a failed check: it is counted in
 * timeout_count, which has its own threshold (the seed counted SSE timeouts as failures).
 */
const INITIAL_STATE = oneSample<InitialState>(
  [
    ["events: stream opened", (x) => x.status === 200],
    ["events: well-formed events", (x) => x.error === null],
  ],
  "events: stream opened",
);

export function checkInitialState(s: InitialState): boolean {
  return INITIAL_STATE(s);
}
