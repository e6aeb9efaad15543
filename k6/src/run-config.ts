// The run's configuration, loaded once per VU in the init context. A bad environment throws here — one line,
// before any request — and k6 stops.

import { loadConfig } from "./config";

export const config = loadConfig(__ENV);
