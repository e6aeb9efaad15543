// Journey 1 — authentication: user token → OAuth init with PKCE → authorize (code read from the 302) →
// callback → GET /status, then sign out (revoke the config just created, so the broker's state stays bounded by
// the number of VUs instead of growing with every login).

import { agentStatusStep, logIn, revokeOwnConfig } from "../flows";
import { beginIteration } from "../lib/iteration";
import { think } from "../lib/think";

export function authentication(): void {
  beginIteration();

  // user token → oauth init → authorize → callback (each its own group)
  const tokens = logIn();

  agentStatusStep();

  if (tokens !== null) revokeOwnConfig();

  think(1, 5);
}
