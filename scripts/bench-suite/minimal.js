// The baseline of `npm run bench:suite`: the smallest k6 script that sends a journey's typical reads — GET /status
// and GET /messages — with no checks, groups, custom metrics or tags. What it costs per request is what k6 (here:
// the harness and its k6 doubles) costs anyway; the suite's journeys are measured against it.
/* global __ENV */
import http from "k6/http";

export const options = {
  scenarios: { minimal: { executor: "per-vu-iterations", exec: "minimal", vus: 1, iterations: 1 } },
};

export function minimal() {
  http.get(`${__ENV.BASE_URL}/status`);
  http.get(`${__ENV.BASE_URL}/messages`);
}
