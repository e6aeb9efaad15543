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

/** A check's conditions in the shape check() takes: one sample object per condition, one for the pass. */
interface Samples<T, C> {
  failing: ReadonlyArray<{ holds: (reply: T, context: C) => boolean; sample: Record<string, () => boolean> }>;
  passing: Record<string, () => boolean>;
}

/**
 * A check of several conditions that records one sample (see the top of this file). `passName` (default: the last,
 * strongest condition) names the passing sample. Each check below builds its samples on its first call (`??=`), once
 * per VU: every VU evaluates this file at init and uses a few of its checks, and every function and object built at
 * init costs each VU memory (k6/README.md "What a VU costs").
 */
function samplesOf<T, C = void>(conditions: ReadonlyArray<Condition<T, C>>, passName?: string): Samples<T, C> {
  const failing = conditions.map(([name, holds]) => ({ holds, sample: { [name]: FAIL } }));
  const passing = { [passName ?? conditions[conditions.length - 1]?.[0] ?? ""]: PASS };
  return { failing, passing };
}

/** Record one sample: under the first condition that does not hold, or under the pass name. */
function recordOne<T, C>(samples: Samples<T, C>, reply: T, context: C): boolean {
  for (const c of samples.failing) {
    if (!c.holds(reply, context)) {
      check(reply, c.sample);
      return false;
    }
  }
  check(reply, samples.passing);
  return true;
}

let statusSamples: Samples<StatusReply, void> | undefined;

export function checkStatus(r: StatusReply): boolean {
  statusSamples ??= samplesOf<StatusReply, void>([
    ["status: 200", (x) => x.reply.status === 200],
    ["status: agent status, type and transport", (x) => x.body !== null],
  ]);
  return recordOne(statusSamples, r, undefined);
}

function messagesConditions(): Array<Condition<MessagesReply, string | undefined>> {
  return [
    ["messages: 200", (x) => x.reply.status === 200],
    ["messages: list of messages", (x) => x.body !== null],
    ["messages: ids ascending", (x) => x.body !== null && idsAscending(x.body)],
  ];
}
let messagesSamples: Samples<MessagesReply, string | undefined> | undefined;
let messagesWithPromptSamples: Samples<MessagesReply, string | undefined> | undefined;

export function checkMessages(r: MessagesReply, mustContain?: string): boolean {
  if (mustContain === undefined) {
    messagesSamples ??= samplesOf(messagesConditions());
    return recordOne(messagesSamples, r, undefined);
  }
  messagesWithPromptSamples ??= samplesOf<MessagesReply, string | undefined>([
    ...messagesConditions(),
    [
      "messages: contains the prompt just sent",
      (x, prompt) => x.body !== null && x.body.messages.some((m) => m.role === "user" && m.content === prompt),
    ],
  ]);
  return recordOne(messagesWithPromptSamples, r, mustContain);
}

let sendMessageSamples: Samples<SendReply, void> | undefined;

export function checkSendMessage(r: SendReply): boolean {
  sendMessageSamples ??= samplesOf<SendReply, void>([
    ["message: accepted or agent busy", (x) => x.outcome !== "rejected"],
  ]);
  return recordOne(sendMessageSamples, r, undefined);
}

let userTokenSamples: Samples<UserTokenReply, void> | undefined;

export function checkUserToken(r: UserTokenReply): boolean {
  userTokenSamples ??= samplesOf<UserTokenReply, void>([
    ["auth token: 200", (x) => x.reply.status === 200],
    ["auth token: bearer token issued", (x) => x.body !== null],
  ]);
  return recordOne(userTokenSamples, r, undefined);
}

let oAuthInitSamples: Samples<OAuthInitReply, void> | undefined;

export function checkOAuthInit(r: OAuthInitReply): boolean {
  oAuthInitSamples ??= samplesOf<OAuthInitReply, void>([
    ["oauth init: 200", (x) => x.reply.status === 200],
    ["oauth init: config id, state and authorization url", (x) => x.body !== null],
  ]);
  return recordOne(oAuthInitSamples, r, undefined);
}

let authorizeSamples: Samples<AuthorizeReply, string> | undefined;

export function checkAuthorize(r: AuthorizeReply, sentState: string): boolean {
  authorizeSamples ??= samplesOf<AuthorizeReply, string>([
    ["authorize: 302 (not followed)", (x) => x.reply.status === 302],
    ["authorize: redirect carries a code", (x) => x.code !== null && x.code !== ""],
    ["authorize: redirect echoes the state", (x, sentState) => x.state === sentState],
  ]);
  return recordOne(authorizeSamples, r, sentState);
}

let callbackSamples: Samples<TokenPairReply, string> | undefined;

export function checkCallback(r: TokenPairReply, configId: string): boolean {
  callbackSamples ??= samplesOf<TokenPairReply, string>([
    ["callback: 200", (x) => x.reply.status === 200],
    ["callback: access and refresh tokens", (x) => x.body !== null],
    ["callback: same config id", (x, configId) => x.body !== null && (x.body.mcp_config_id ?? configId) === configId],
  ]);
  return recordOne(callbackSamples, r, configId);
}

let refreshSamples: Samples<TokenPairReply, string> | undefined;

export function checkRefresh(r: TokenPairReply, previousRefreshToken: string): boolean {
  refreshSamples ??= samplesOf<TokenPairReply, string>([
    ["refresh: 200", (x) => x.reply.status === 200],
    ["refresh: new token pair", (x) => x.body !== null],
    ["refresh: refresh token rotated", (x, previous) => x.body !== null && x.body.refresh_token !== previous],
  ]);
  return recordOne(refreshSamples, r, previousRefreshToken);
}

let revokeSamples: Samples<RevokeReply, void> | undefined;

export function checkRevoke(r: RevokeReply): boolean {
  revokeSamples ??= samplesOf<RevokeReply, void>([
    ["revoke: 200", (x) => x.reply.status === 200],
    ["revoke: revoked", (x) => x.body !== null && x.body.revoked],
  ]);
  return recordOne(revokeSamples, r, undefined);
}

let initializeSamples: Samples<InitializeReply, void> | undefined;

export function checkInitialize(r: InitializeReply): boolean {
  initializeSamples ??= samplesOf<InitializeReply, void>([
    ["mcp initialize: 200", (x) => x.reply.status === 200],
    ["mcp initialize: server info and capabilities", (x) => x.result !== null],
    ["mcp initialize: session id issued", (x) => x.session !== null],
  ]);
  return recordOne(initializeSamples, r, undefined);
}

let initializedSamples: Samples<NotifyReply, void> | undefined;

export function checkInitialized(r: NotifyReply): boolean {
  initializedSamples ??= samplesOf<NotifyReply, void>([["mcp initialized: 202", (x) => x.accepted]]);
  return recordOne(initializedSamples, r, undefined);
}

let toolsListSamples: Samples<ToolsListReply, void> | undefined;

export function checkToolsList(r: ToolsListReply): boolean {
  toolsListSamples ??= samplesOf<ToolsListReply, void>([
    ["mcp tools/list: 200", (x) => x.reply.status === 200],
    ["mcp tools/list: tools listed", (x) => x.tools !== null && x.tools.length > 0],
  ]);
  return recordOne(toolsListSamples, r, undefined);
}

let toolCallSamples: Samples<ToolCallReply, void> | undefined;

export function checkToolCall(r: ToolCallReply): boolean {
  toolCallSamples ??= samplesOf<ToolCallReply, void>([
    ["mcp tools/call: 200", (x) => x.reply.status === 200],
    ["mcp tools/call: text result", (x) => x.result !== null && firstText(x.result) !== null],
    ["mcp tools/call: not an error", (x) => x.result !== null && x.result.isError !== true],
  ]);
  return recordOne(toolCallSamples, r, undefined);
}

let deleteSessionSamples: Samples<DeleteReply, void> | undefined;

export function checkDeleteSession(r: DeleteReply): boolean {
  deleteSessionSamples ??= samplesOf<DeleteReply, void>([["mcp delete: session ended", (x) => x.ended]]);
  return recordOne(deleteSessionSamples, r, undefined);
}

/** Two samples, once per disconnect: the refusal and its WWW-Authenticate are reported separately. */
let tokenRefused: Record<string, (x: InitializeReply) => boolean> | undefined;

export function checkTokenRefused(r: InitializeReply): boolean {
  tokenRefused ??= {
    "revoked token: refused with 401": (x) => x.reply.status === 401,
    "revoked token: WWW-Authenticate Bearer": (x) => /^Bearer/i.test(x.wwwAuthenticate ?? ""),
  };
  return check(r, tokenRefused);
}

/**
 * An incomplete initial state (stream cut before the status_change) is not a failed check: it is counted in
 * timeout_count, which has its own threshold (the seed counted SSE timeouts as failures).
 */
let initialStateSamples: Samples<InitialState, void> | undefined;

export function checkInitialState(s: InitialState): boolean {
  initialStateSamples ??= samplesOf<InitialState>(
    [
      ["events: stream opened", (x) => x.status === 200],
      ["events: well-formed events", (x) => x.error === null],
    ],
    "events: stream opened",
  );
  return recordOne(initialStateSamples, s, undefined);
}
