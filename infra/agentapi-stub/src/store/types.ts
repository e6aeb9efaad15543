// The broker's state behind one interface. Every kind of record is an expiring, capped key/value collection, so a
// Redis store can replace the in-memory one: get/set/take/touch/delete map onto GET, SET PX, GETDEL, GETEX PX, DEL.
// Records are plain JSON-serialisable data and treated as immutable (replace them with set, never mutate).

export type OAuthProvider = "github" | "google" | "azure";

/** An end user known to the broker; a user token is honoured only while its user record exists. */
export interface UserRecord {
  userId: string;
  firstSeenAt: number;
  tokensIssued: number;
}

/** An OAuth authorization in progress, keyed by `state`; consumed by the simulated provider's consent. */
export interface OAuthStateRecord {
  configId: string;
  ownerId: string;
}

/** A single-use authorization code, keyed by the code itself. */
export interface OAuthCodeRecord {
  configId: string;
  ownerId: string;
  state: string;
  /** base64url(SHA-256(code_verifier)) sent at init. */
  codeChallenge: string;
}

/** An MCP server connection of one user. `pending` until the callback exchanges its code. */
export interface McpConfigRecord {
  configId: string;
  ownerId: string;
  mcpName: string;
  provider: OAuthProvider;
  redirectUri: string;
  codeChallenge: string;
  status: "pending" | "active";
  createdAt: number;
  /** `jti` of the only access token currently honoured for this config (rotation drops the previous one). */
  accessTokenId?: string;
  /** SHA-256 of the current refresh token: the key of its RefreshTokenRecord, deleted on revoke. */
  refreshTokenHash?: string;
}

/** A refresh token, keyed by its SHA-256 (the token itself is never stored); single-use. */
export interface RefreshTokenRecord {
  configId: string;
  ownerId: string;
}

/** Kept after a config is revoked (and deleted) so later calls get a precise answer instead of "unknown". */
export interface RevocationRecord {
  configId: string;
  ownerId: string;
  revokedAt: number;
}

/** Who may use an MCP session; the live McpServer+transport stays in the MCP module's own bounded map. */
export interface McpSessionRecord {
  sessionId: string;
  configId: string;
  ownerId: string;
  createdAt: number;
}

/** One expiring, capped collection. At the cap, inserting evicts the entry written or touched longest ago. */
export interface ExpiringCollection<V> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, ttlMs: number): Promise<void>;
  /** Read and delete in one atomic step: the basis of every single-use record (state, code, refresh token). */
  take(key: string): Promise<V | undefined>;
  /** Extend the TTL (and count as recently used); undefined when absent or expired. */
  touch(key: string, ttlMs: number): Promise<V | undefined>;
  delete(key: string): Promise<boolean>;
}

export const STORE_KINDS = [
  "users",
  "oauthStates",
  "oauthCodes",
  "mcpConfigs",
  "refreshTokens",
  "revocations",
  "mcpSessions",
] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** Maximum number of live entries per kind. */
export type StoreCaps = Record<StoreKind, number>;

export interface CollectionStats {
  size: number;
  cap: number;
  /** Entries dropped because the cap was reached. */
  evicted: number;
  /** Entries dropped because their TTL passed (lazily on read or by the sweep). */
  expired: number;
}

export interface Store {
  users: ExpiringCollection<UserRecord>;
  oauthStates: ExpiringCollection<OAuthStateRecord>;
  oauthCodes: ExpiringCollection<OAuthCodeRecord>;
  mcpConfigs: ExpiringCollection<McpConfigRecord>;
  refreshTokens: ExpiringCollection<RefreshTokenRecord>;
  revocations: ExpiringCollection<RevocationRecord>;
  mcpSessions: ExpiringCollection<McpSessionRecord>;
  stats(): Promise<Record<StoreKind, CollectionStats>>;
  /** Stop background work and drop everything. */
  close(): Promise<void>;
}

export interface MemoryStoreOptions {
  caps: StoreCaps;
  /** How often expired entries are swept (they are also dropped lazily when read). */
  sweepIntervalMs: number;
}
