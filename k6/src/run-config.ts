// The run's configuration, parsed once per test run and shared with every VU. A bad environment throws here — one
// line, before any request — and k6 stops. The parser (config.ts) runs in k6's first init context only: a k6
// SharedArray calls its function once and hands each VU a parsed, frozen copy of the JSON it returned (k6 v1.8.1
// internal/js/modules/k6/data), so no VU builds the parser, nor the JavaScript built-ins it touches, which a VU
// would otherwise keep for the whole run (k6/README.md "What a VU costs"). The configuration is plain data; its
// profile keeps the name and flags, and the plans are read where the plan is made (run-plan.ts, PROFILES).

import { SharedArray } from "k6/data";
import type { Config } from "./config";
import { loadConfigModule } from "./config-load";

type SharedConfig = Omit<Config, "profile"> & { profile: Omit<Config["profile"], "plans"> };

/** What crosses to the VUs: the configuration without the profile's plans (a VU would parse them for nothing). */
function shareable(loaded: Config): SharedConfig {
  const { name, description, abortOnFail, requiresConfirmation } = loaded.profile;
  return { ...loaded, profile: { name, description, abortOnFail, requiresConfirmation } };
}

function withoutPlans(shared: SharedConfig): Config {
  return {
    ...shared,
    profile: {
      ...shared.profile,
      get plans(): never {
        throw new Error("config.profile.plans: read PROFILES[config.profile.name].plans (run-plan.ts)");
      },
    },
  };
}

const sharedConfig = new SharedArray<SharedConfig>("agentapi-load configuration", () => [
  shareable(loadConfigModule().loadConfig(__ENV)),
]);

export const config: Config = withoutPlans(sharedConfig[0] as SharedConfig);
