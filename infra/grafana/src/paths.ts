// Where the generated dashboard lives (mounted into Grafana at /var/lib/grafana/dashboards by docker compose).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const DASHBOARDS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "dashboards");
export const DASHBOARD_FILE = join(DASHBOARDS_DIR, "agentapi-load.json");
export const COMPARE_DASHBOARD_FILE = join(DASHBOARDS_DIR, "agentapi-compare.json");
/** The PromQL twins, on the Prometheus datasource (same folder, so the same file provider loads them). */
export const PROM_DASHBOARD_FILE = join(DASHBOARDS_DIR, "agentapi-load-prometheus.json");
export const PROM_COMPARE_DASHBOARD_FILE = join(DASHBOARDS_DIR, "agentapi-compare-prometheus.json");
