// The run's configuration, loaded once per VU in the init context. A bad environment throws here — one line,
// before any request — and k6 stops. The parser (config.ts) is built for this one call and let go
// (config-load.ts): a VU keeps the configuration. Its profile keeps the name and flags; the plans are read where the
// plan is made (run-plan.ts, PROFILES), not through the configuration.

import type { Config } from "./config";
import { loadConfigModule } from "./config-load";

function withoutPlans(loaded: Config): Config {
  const { name, description, abortOnFail, requiresConfirmation } = loaded.profile;
  return {
    ...loaded,
    profile: {
      name,
      description,
      abortOnFail,
      requiresConfirmation,
      get plans(): never {
        throw new Error("config.profile.plans: read PROFILES[config.profile.name].plans (run-plan.ts)");
      },
    },
  };
}

export const config: Config = withoutPlans(loadConfigModule().loadConfig(__ENV));
