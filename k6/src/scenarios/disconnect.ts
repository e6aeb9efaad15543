// Journey 5 — disconnect: create a connection (log in, open an MCP session) → DELETE the session → revoke THAT
// config → check its access token is now refused (401 + WWW-Authenticate). (The seed revoked a random id.)

import { group } from "k6";
import { oauthRevoke } from "../clients/broker";
import { deleteSession, initialize } from "../clients/mcp";
import { checkDeleteSession, checkRevoke, checkTokenRefused } from "../checks";
import { connectMcp, ensureUserToken, logIn } from "../flows";
import { beginIteration } from "../lib/iteration";
import { think } from "../lib/think";
import { metrics } from "../metrics";
import { config } from "../run-config";
import { setSession, vu } from "../vu-state";

export function disconnect(): void {
  beginIteration();

  // user token → oauth init → authorize → callback → mcp initialize → initialized → tools/list
  const tokens = logIn();
  const session = tokens === null ? null : connectMcp(tokens);
  if (tokens === null || session === null) {
    think(1, 3);
    return; // nothing to disconnect; the failure is already in auth/mcp connection rates
  }

  const started = Date.now();

  const ended = checkDeleteSession(deleteSession(config.mcpUrl, session));
  setSession(null);

  const userToken = ensureUserToken();
  const revoked =
    userToken !== null &&
    group("revoke", () => checkRevoke(oauthRevoke(config.oauthBaseUrl, userToken, tokens.configId)));
  if (revoked) vu.config = null;

  // The probe's 401 is the expected answer, so it is declared expected (not an http_req_failed).
  const refused = group("revoked token refused", () =>
    checkTokenRefused(initialize(config.mcpUrl, tokens.accessToken, [401])),
  );

  metrics.disconnectSuccessRate.add(ended && revoked && refused);
  metrics.disconnectDuration.add(Date.now() - started);

  think(1, 3);
}
