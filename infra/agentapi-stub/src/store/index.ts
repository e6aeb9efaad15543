export * from "./types";
export { createMemoryStore, DEFAULT_STORE_CAPS, DEFAULT_SWEEP_INTERVAL_MS, type MemoryStore } from "./memory";
