import type { FastifyBaseLogger } from "fastify";
import type { Store } from "../store/types";
import type { BrokerSettings } from "./settings";

/** What stub.ts hands to registerBroker and registerMcp. */
export interface BrokerContext {
  settings: BrokerSettings;
  store: Store;
  log: FastifyBaseLogger;
}
