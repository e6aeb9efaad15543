// Run configuration from the environment (`__ENV` in k6), validated up front. Any problem becomes ONE readable
// line (a ConfigError), thrown in the init context so k6 stops before a single request is sent.
// Pure: takes the environment as an argument, so Node tests exercise it directly.

import { PROFILE_NAMES, PROFILES, type Profile, type ProfileName } from "./profiles";
import { AGENT_ONLY_SCENARIOS, SCENARIO_NAMES, isScenarioName, type ScenarioName } from "./names";
import { agentUrlOf, type AgentTargets } from "./agent-urls";

// Where the servers are and how a VU finds its own: agent-urls.ts (re-exported for the tools and tests).
export { agentCount, agentNumberForVu, agentUrlName, agentUrlOf, type AgentTargets } from "./agent-urls";

/**
 * How the AgentAPI servers drive their agents (upstream's `transport` in GET /status): `pty` — a terminal, a send
 * returns once the agent took the prompt (≈ 1.1 s); `acp` (`agentapi server --experimental-acp`) — the Agent Client
 * Protocol, where a send lasts the agent's whole turn and holds the server's lock all along.
 */
export const TRANSPORTS = ["pty", "acp"] as const;
export type Transport = (typeof TRANSPORTS)[number];

export interface Config {
  readonly profile: Profile;
  /** AgentAPI base URL, without a trailing slash (the fleet's first agent when a fleet is given). */
  readonly baseUrl: string;
  readonly agents: AgentTargets;
  readonly oauthBaseUrl: string;
  readonly authUrl: string;
  readonly mcpUrl: string;
  /** The scenarios this run executes, after SCENARIOS and AGENT_ONLY. */
  readonly scenarios: ReadonlyArray<ScenarioName>;
  readonly vusFactor: number;
  /** Multiplies every duration of the plan (starts, stages, graceful stops), in (0, 1]; think times stay as they are. */
  readonly timeScale: number;
  readonly agentOnly: boolean;
  readonly reportDir: string;
  readonly testId: string;
  /** Multiplies every think time (0 = no pauses); for quick local checks. */
  readonly thinkTimeScale: number;
  /** Multiplies every agent-time budget (turn bound, agent-time thresholds) for slow real agents. */
  readonly agentBudgetScale: number;
  /**
   * Headers every AgentAPI request carries (SSE included): `Authorization: Bearer <AGENTAPI_TOKEN>` and the pairs of
   * AGENTAPI_HEADERS. Secrets: only their names are ever printed (describeConfig).
   */
  readonly agentApiHeaders: Readonly<Record<string, string>>;
  /** MAX_PROMPTS: the hard cap on user prompts over the whole run; null = none. */
  readonly maxPrompts: number | null;
  /** CONFIRM_PROMPTS=yes: prompting a target other than the reference one without a budget was confirmed. */
  readonly confirmPrompts: boolean;
  /** AGENTAPI_TRANSPORT: the transport the run is planned for; setup() checks every server's /status says it. */
  readonly transport: Transport;
}

export const DEFAULTS = {
  PROFILE: "local",
  BASE_URL: "http://localhost:3284",
  OAUTH_BASE_URL: "http://localhost:3000/api/mcp/oauth",
  AUTH_URL: "http://localhost:3000/api/auth/token",
  MCP_URL: "http://localhost:3000/mcp",
  REPORT_DIR: "reports",
  VUS_FACTOR: "1",
  TIME_SCALE: "1",
  THINK_TIME_SCALE: "1",
  AGENT_BUDGET_SCALE: "1",
} as const;

export class ConfigError extends Error {
  constructor(problems: ReadonlyArray<string>) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, key: keyof typeof DEFAULTS): string {
  const raw = env[key];
  return raw === undefined || raw.trim() === "" ? DEFAULTS[key] : raw.trim();
}

function url(env: Env, key: keyof typeof DEFAULTS, problems: string[]): string {
  const raw = value(env, key);
  if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(raw)) {
    problems.push(`${key} must be an http(s) URL without query or fragment (got "${raw}")`);
  }
  return raw.replace(/\/+$/, "");
}

const URL_SHAPE = /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/;

function agentTargets(env: Env, baseUrl: string, problems: string[]): AgentTargets {
  const template = (env.AGENTAPI_URL_TEMPLATE ?? "").trim();
  const list = (env.AGENTAPI_URLS ?? "").trim();
  const count = (env.AGENTS ?? "").trim();
  if (template !== "" && list !== "") {
    problems.push("set AGENTAPI_URL_TEMPLATE (with AGENTS) or AGENTAPI_URLS, not both");
  }
  if (template !== "") {
    if (!template.includes("{agent}")) problems.push(`AGENTAPI_URL_TEMPLATE must contain {agent} (got "${template}")`);
    else if (!URL_SHAPE.test(template.split("{agent}").join("1"))) {
      problems.push(`AGENTAPI_URL_TEMPLATE must be an http(s) URL without query or fragment (got "${template}")`);
    }
    const agents = Number(count === "" ? "1" : count);
    if (!Number.isInteger(agents) || agents < 1) {
      problems.push(`AGENTS must be a whole number ≥ 1 (got "${count}")`);
      return { kind: "single", url: baseUrl };
    }
    return { kind: "template", template: template.replace(/\/+$/, ""), agents };
  }
  if (count !== "") problems.push("AGENTS needs AGENTAPI_URL_TEMPLATE (a URL with {agent})");
  if (list !== "") {
    const urls = list.split(",").map((u) => u.trim());
    urls.forEach((u, i) => {
      if (u === "") problems.push(`AGENTAPI_URLS has an empty URL at position ${i + 1}`);
      else if (!URL_SHAPE.test(u)) problems.push(`AGENTAPI_URLS has "${u}", not an http(s) URL without query`);
    });
    return { kind: "list", urls: urls.map((u) => u.replace(/\/+$/, "")) };
  }
  return { kind: "single", url: baseUrl };
}

function flag(env: Env, key: string, problems: string[]): boolean {
  const raw = (env[key] ?? "").trim().toLowerCase();
  if (raw === "" || raw === "false" || raw === "0" || raw === "no") return false;
  if (raw === "true" || raw === "1" || raw === "yes") return true;
  problems.push(`${key} must be true or false (got "${env[key] ?? ""}")`);
  return false;
}

function positiveNumber(
  env: Env,
  key: "VUS_FACTOR" | "THINK_TIME_SCALE" | "AGENT_BUDGET_SCALE",
  allowZero: boolean,
  problems: string[],
) {
  const raw = value(env, key);
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    problems.push(`${key} must be a ${allowZero ? "non-negative" : "positive"} number (got "${raw}")`);
    return 1;
  }
  return n;
}

/** TIME_SCALE: the profile's shape in a fraction of its time, a number in (0, 1]. */
function timeScale(env: Env, problems: string[]): number {
  const raw = value(env, "TIME_SCALE");
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 1) {
    problems.push(`TIME_SCALE must be a number in (0, 1], e.g. 0.1 (got "${raw}")`);
    return 1;
  }
  return n;
}

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A header value k6 can send: visible ASCII and spaces, no line breaks. */
const HEADER_VALUE = /^[\x20-\x7e\t]*$/;

/**
 * The credentials for AgentAPI (a fleet behind an authenticating proxy: Coder's workspace apps take a session token
 * in `Coder-Session-Token`, gateways a bearer token). Problems name the variable, never its value: both are secrets.
 */
function agentApiHeaders(env: Env, problems: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const rawHeaders = (env.AGENTAPI_HEADERS ?? "").trim();
  if (rawHeaders !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawHeaders);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      problems.push(
        'AGENTAPI_HEADERS must be a JSON object of header names to values, e.g. {"Coder-Session-Token":"…"}',
      );
    } else {
      for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
        if (!HEADER_NAME.test(name)) problems.push(`AGENTAPI_HEADERS has "${name}", not a header name`);
        else if (typeof value !== "string" || !HEADER_VALUE.test(value)) {
          problems.push(
            `AGENTAPI_HEADERS["${name}"] must be a string of printable characters (its value is not shown)`,
          );
        } else headers[name] = value;
      }
    }
  }
  const token = (env.AGENTAPI_TOKEN ?? "").trim();
  if (token !== "") {
    if (Object.keys(headers).some((name) => name.toLowerCase() === "authorization")) {
      problems.push("set Authorization with AGENTAPI_TOKEN or in AGENTAPI_HEADERS, not both");
    } else if (!HEADER_VALUE.test(token)) {
      problems.push("AGENTAPI_TOKEN must be printable characters on one line (its value is not shown)");
    } else headers.Authorization = `Bearer ${token}`;
  }
  return headers;
}

/** MAX_PROMPTS: a whole number ≥ 0, or unset. */
function maxPrompts(env: Env, problems: string[]): number | null {
  const raw = (env.MAX_PROMPTS ?? "").trim();
  if (raw === "") return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    problems.push(`MAX_PROMPTS must be a whole number ≥ 0 (got "${raw}")`);
    return null;
  }
  return n;
}

function defaultTestId(profile: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${profile}-${stamp}`;
}

/** Parse and validate the environment; throws ConfigError (one line listing every problem). */
export function loadConfig(env: Env, now: Date = new Date()): Config {
  const problems: string[] = [];

  const profileName = value(env, "PROFILE");
  if (!(PROFILE_NAMES as ReadonlyArray<string>).includes(profileName)) {
    problems.push(`PROFILE must be one of ${PROFILE_NAMES.join(", ")} (got "${profileName}")`);
  }
  const profile =
    PROFILES[(PROFILE_NAMES as ReadonlyArray<string>).includes(profileName) ? (profileName as ProfileName) : "local"];
  if (profile.requiresConfirmation && (env.CONFIRM_PRODUCTION ?? "").trim() !== "yes") {
    problems.push(`PROFILE=${profile.name} sends real load; set CONFIRM_PRODUCTION=yes to confirm`);
  }

  const explicitBase = url(env, "BASE_URL", problems);
  const agents = agentTargets(env, explicitBase, problems);
  const baseUrl = agents.kind === "single" ? explicitBase : agentUrlOf(agents, 1);
  const oauthBaseUrl = url(env, "OAUTH_BASE_URL", problems);
  const authUrl = url(env, "AUTH_URL", problems);
  const mcpUrl = url(env, "MCP_URL", problems);
  const agentOnly = flag(env, "AGENT_ONLY", problems);
  const vusFactor = positiveNumber(env, "VUS_FACTOR", false, problems);
  const timeScaleValue = timeScale(env, problems);
  const thinkTimeScale = positiveNumber(env, "THINK_TIME_SCALE", true, problems);
  const agentBudgetScale = positiveNumber(env, "AGENT_BUDGET_SCALE", false, problems);
  const headers = agentApiHeaders(env, problems);
  const budget = maxPrompts(env, problems);
  const confirmPrompts = (env.CONFIRM_PROMPTS ?? "").trim() === "yes";
  const transportName = (env.AGENTAPI_TRANSPORT ?? "").trim() || "pty";
  if (!(TRANSPORTS as ReadonlyArray<string>).includes(transportName)) {
    problems.push(`AGENTAPI_TRANSPORT must be one of ${TRANSPORTS.join(", ")} (got "${transportName}")`);
  }

  let scenarios: ScenarioName[] = [...SCENARIO_NAMES];
  const filter = (env.SCENARIOS ?? "").trim();
  if (filter !== "") {
    const names = filter
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    const unknown = names.filter((n) => !isScenarioName(n));
    if (unknown.length > 0) {
      problems.push(`SCENARIOS has unknown ${unknown.join(", ")} (choose from ${SCENARIO_NAMES.join(", ")})`);
    }
    scenarios = SCENARIO_NAMES.filter((n) => names.includes(n));
  }
  if (agentOnly) {
    const needBroker = scenarios.filter((n) => !AGENT_ONLY_SCENARIOS.includes(n));
    if (filter !== "" && needBroker.length > 0) {
      problems.push(
        `AGENT_ONLY=true cannot run ${needBroker.join(", ")} (they need the broker; choose from ${AGENT_ONLY_SCENARIOS.join(", ")})`,
      );
    }
    scenarios = scenarios.filter((n) => AGENT_ONLY_SCENARIOS.includes(n));
  }
  if (scenarios.length === 0 && problems.length === 0) problems.push("SCENARIOS selects no scenario");

  const reportDir = value(env, "REPORT_DIR").replace(/\/+$/, "") || ".";
  const testId = (env.TESTID ?? "").trim() || defaultTestId(profile.name, now);
  if (!/^[A-Za-z0-9._:-]{1,80}$/.test(testId)) {
    problems.push(`TESTID must be 1-80 characters of letters, digits, . _ : - (got "${testId}")`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    profile,
    baseUrl,
    agents,
    oauthBaseUrl,
    authUrl,
    mcpUrl,
    scenarios,
    vusFactor,
    timeScale: timeScaleValue,
    agentOnly,
    reportDir,
    testId,
    thinkTimeScale,
    agentBudgetScale,
    agentApiHeaders: headers,
    maxPrompts: budget,
    confirmPrompts,
    transport: transportName === "acp" ? "acp" : "pty",
  };
}

function describeAgents(targets: AgentTargets): string {
  if (targets.kind === "single") return targets.url;
  if (targets.kind === "template") return `${targets.template} ×${targets.agents}`;
  return `${targets.urls.length} servers (${targets.urls[0] ?? ""}, …)`;
}

/** The credentials as the names of the headers they set (values are secrets and never printed). */
function describeCredentials(headers: Readonly<Record<string, string>>): string {
  const names = Object.keys(headers).map((name) =>
    name === "Authorization" && (headers[name] ?? "").startsWith("Bearer ") ? "bearer" : name,
  );
  return names.length === 0 ? "none" : names.join("+");
}

/** The configuration in one line, for logs and reports. Secrets appear only as the header names they set. */
export function describeConfig(config: Config): string {
  const agentapi = describeAgents(config.agents);
  const target = config.agentOnly
    ? `agentapi=${agentapi} (agent only)`
    : `agentapi=${agentapi} auth=${config.authUrl} oauth=${config.oauthBaseUrl} mcp=${config.mcpUrl}`;
  return (
    `profile=${config.profile.name} scenarios=${config.scenarios.join(",")} vus_factor=${config.vusFactor} ` +
    `${target} transport=${config.transport} agentapi_credentials=${describeCredentials(config.agentApiHeaders)} ` +
    `max_prompts=${config.maxPrompts ?? "none"} testid=${config.testId} reports=${config.reportDir}`
  );
}
