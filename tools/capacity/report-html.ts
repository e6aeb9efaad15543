// reports/<testid>/capacity.html: the capacity search as a page people look at, rendered from capacity.json alone
// (a pure function of that document, so fixtures test it). Self-contained: inline CSS and hand-written inline SVG, no
// scripts, fonts or images from anywhere. Every chart plots against the step's planned rate (x), draws the SLO limits
// as dashed lines, marks the knee (the last held step and the first one that was not held) and colours each step's
// point by its verdict; a data table under each chart carries the same numbers for screen readers and copy/paste.

/** What capacityJson (report.ts) writes — only the parts the page reads. */
export interface CapacityDocument {
  testid: string;
  store?: string;
  outcome: string;
  summary: string;
  generator: { droppedIterations: number; vusMax: number | null; poolSize: number };
  highestHeld: { step: number; rate: number } | null;
  firstNotHeld: { step: number; rate: number; verdict: string; broke: string[] } | null;
  plan: {
    unit?: string;
    mix: Record<string, number | undefined>;
    stepSeconds: number;
    warmupSeconds: number;
    steps: { index: number; rate: number }[];
  };
  steps: DocumentStep[];
}

export interface DocumentStep {
  step: number;
  rate: number;
  startedRate: number;
  delivered: number;
  p95Ms: number | null;
  p99Ms: number | null;
  errorRate: number | null;
  requestRate: number | null;
  verdict: string;
  broke: string[];
  outcomes: { key: string; expression: string; observed: number; verdict: string; samples: number }[];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const PALETTE = ["#1f6fb2", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c", "#0b7285", "#e67700", "#495057"];
const VERDICT_COLOUR: Record<string, string> = {
  held: "#2b8a3e",
  "target-limited": "#c92a2a",
  "generator-limited": "#e67700",
  undecided: "#7048e8",
  "no samples": "#868e96",
};
const verdictColour = (v: string) => VERDICT_COLOUR[v] ?? "#868e96";

/** A series: one value per step (null: no sample), an optional limit drawn dashed in the same colour. */
interface Series {
  name: string;
  values: (number | null)[];
  limit?: number;
  dashed?: boolean;
}

interface Chart {
  id: string;
  title: string;
  yLabel: string;
  unit: string;
  series: Series[];
  format: (v: number) => string;
}

const fmtNum = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
const tick = (v: number) => String(Number(v.toPrecision(6)));
const fmtPct = (v: number) => `${(v * 100).toFixed(v < 0.1 ? 2 : 1)}`;

/** A condition's statistic and limit: `p(95)<500` → { stat: "p(95)", limit: 500 }. */
export function parseCondition(expression: string): { stat: string; op: string; limit: number } | null {
  const m = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(<=|>=|<|>|==|===|!=)\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*$/i.exec(
    expression,
  );
  if (m === null) return null;
  const limit = Number(m[3]);
  return Number.isFinite(limit) ? { stat: m[1] as string, op: m[2] as string, limit } : null;
}

const metricOf = (key: string) => key.replace(/\{.*$/, "");
/** A row's name in a chart of its metric: its tags (`endpoint:status`), or the metric when it has none. */
const shortName = (key: string) => /\{(.*)\}$/.exec(key)?.[1] ?? key;

/** The rows of one metric and statistic, one series per key, with its limit. */
function rowSeries(doc: CapacityDocument, keep: (key: string) => boolean, stat: string, scale = 1): Series[] {
  const byKey = new Map<string, Series>();
  doc.steps.forEach((s, i) => {
    for (const o of s.outcomes) {
      if (!keep(o.key)) continue;
      const c = parseCondition(o.expression);
      if (c === null || c.stat !== stat) continue;
      const id = `${o.key} ${o.expression}`;
      let series = byKey.get(id);
      if (series === undefined) {
        series = { name: shortName(o.key), values: doc.steps.map(() => null), limit: c.limit * scale };
        byKey.set(id, series);
      }
      const judged = o.samples > 0 || Number.isNaN(o.samples) || o.samples === null;
      series.values[i] = judged && Number.isFinite(o.observed) ? o.observed * scale : null;
    }
  });
  return [...byKey.values()];
}

function charts(doc: CapacityDocument): Chart[] {
  const out: Chart[] = [];
  const latency = (key: string) => metricOf(key) === "http_req_duration";
  const all = (pick: (s: DocumentStep) => number | null): (number | null)[] => doc.steps.map(pick);
  out.push({
    id: "p95",
    title: "Request latency p95 by endpoint (http_req_duration)",
    yLabel: "p95",
    unit: "ms",
    series: [{ name: "all calls (kind:call)", values: all((s) => s.p95Ms) }, ...rowSeries(doc, latency, "p(95)")],
    format: fmtNum,
  });
  out.push({
    id: "p99",
    title: "Request latency p99 by endpoint (http_req_duration)",
    yLabel: "p99",
    unit: "ms",
    series: [{ name: "all calls (kind:call)", values: all((s) => s.p99Ms) }, ...rowSeries(doc, latency, "p(99)")],
    format: fmtNum,
  });
  const errorRows = rowSeries(doc, (k) => metricOf(k) === "http_req_failed", "rate", 100);
  const whole = errorRows.find((r) => r.name === "http_req_failed");
  out.push({
    id: "errors",
    title: "Error rate",
    yLabel: "failed requests",
    unit: "%",
    series: [
      {
        name: "http_req_failed (all)",
        values: all((s) => (s.errorRate === null ? null : s.errorRate * 100)),
        ...(whole?.limit === undefined ? {} : { limit: whole.limit }),
      },
      ...errorRows.filter((r) => r !== whole),
    ],
    format: (v) => fmtPct(v / 100),
  });
  const turnRows = rowSeries(doc, (k) => metricOf(k) === "agent_turn_duration", "p(95)");
  if ((doc.plan.mix.agent_conversation ?? 0) > 0 || turnRows.length > 0) {
    out.push({ id: "turn", title: "Agent turn p95", yLabel: "turn p95", unit: "ms", series: turnRows, format: fmtNum });
  }
  out.push({
    id: "throughput",
    title: "Throughput: achieved vs planned",
    yLabel: "rate",
    unit: "per second",
    series: [
      { name: "planned iterations/s", values: all((s) => s.rate), dashed: true },
      { name: "started iterations/s", values: all((s) => s.startedRate) },
      { name: "requests/s (kind:call)", values: all((s) => s.requestRate) },
    ],
    format: fmtNum,
  });
  return out;
}

/** A round axis maximum and its ticks. */
function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((f) => f * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const W = 520;
const H = 300;
const M = { left: 64, right: 16, top: 16, bottom: 48 };

function chartSvg(doc: CapacityDocument, chart: Chart): string {
  const rates = doc.steps.map((s) => s.rate);
  const xTicks = niceTicks(Math.max(...rates, 0));
  const xMax = xTicks[xTicks.length - 1] ?? 1;
  const values = chart.series.flatMap((s) => [...s.values, s.limit ?? null]).filter((v): v is number => v !== null);
  const yTicks = niceTicks(Math.max(...values, 0) * 1.08);
  const yMax = yTicks[yTicks.length - 1] ?? 1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number) => M.left + (v / xMax) * pw;
  const y = (v: number) => M.top + ph - (v / yMax) * ph;
  const r = (v: number) => v.toFixed(1);
  const parts: string[] = [];
  const titleId = `${chart.id}-title`;
  parts.push(
    `<svg class="chart" data-chart="${chart.id}" role="img" aria-labelledby="${titleId} ${chart.id}-desc" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">`,
    `<title id="${titleId}">${esc(chart.title)} (${esc(chart.unit)}) against planned load (iterations/s)</title>`,
    `<desc id="${chart.id}-desc">One point per step; dashed lines are the SLO limits; the shaded band is the knee. The table below holds the numbers.</desc>`,
  );
  // The knee: from the last held step to the first one that was not held.
  const held = doc.highestHeld;
  const broken = doc.firstNotHeld;
  if (broken !== null) {
    const x1 = held === null ? M.left : x(held.rate);
    const x2 = x(broken.rate);
    const colour = verdictColour(broken.verdict);
    const label =
      broken.verdict === "target-limited"
        ? "knee"
        : broken.verdict === "generator-limited"
          ? "generator limit"
          : broken.verdict;
    parts.push(
      `<g class="knee" data-from-step="${held?.step ?? ""}" data-to-step="${broken.step}">`,
      `<rect class="knee-band" x="${r(x1)}" y="${M.top}" width="${r(Math.max(x2 - x1, 1))}" height="${ph}" fill="${colour}" fill-opacity="0.10"/>`,
      `<line x1="${r(x2)}" x2="${r(x2)}" y1="${M.top}" y2="${M.top + ph}" stroke="${colour}" stroke-width="1.5"/>`,
      `<text x="${r((x1 + x2) / 2)}" y="${M.top + 12}" text-anchor="middle" class="knee-label" fill="${colour}">${esc(label)}</text>`,
      `</g>`,
    );
  }
  // Axes and grid.
  parts.push(`<g class="y-axis">`);
  for (const t of yTicks) {
    parts.push(
      `<g class="tick" data-value="${t}"><line x1="${M.left}" x2="${W - M.right}" y1="${r(y(t))}" y2="${r(y(t))}" class="grid"/>` +
        `<text x="${M.left - 6}" y="${r(y(t) + 4)}" text-anchor="end">${esc(tick(t))}</text></g>`,
    );
  }
  parts.push(`</g><g class="x-axis">`);
  for (const t of xTicks) {
    parts.push(
      `<g class="tick" data-value="${t}"><line x1="${r(x(t))}" x2="${r(x(t))}" y1="${M.top + ph}" y2="${M.top + ph + 4}" class="axis"/>` +
        `<text x="${r(x(t))}" y="${M.top + ph + 17}" text-anchor="middle">${esc(tick(t))}</text></g>`,
    );
  }
  parts.push(
    `</g>`,
    `<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" class="axis"/>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" class="axis"/>`,
    `<text class="axis-label" x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">planned load (iterations/s of the mix)</text>`,
    `<text class="axis-label" transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)} (${esc(chart.unit)})</text>`,
  );
  // SLO limits, dashed, labelled once per value.
  const labelled = new Set<number>();
  chart.series.forEach((s, i) => {
    if (s.limit === undefined) return;
    const colour = PALETTE[i % PALETTE.length] as string;
    parts.push(
      `<line class="slo" data-series="${esc(s.name)}" data-limit="${s.limit}" x1="${M.left}" x2="${W - M.right}" y1="${r(y(s.limit))}" y2="${r(y(s.limit))}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    );
    if (!labelled.has(s.limit)) {
      labelled.add(s.limit);
      parts.push(
        `<text class="slo-label" x="${M.left + 4}" y="${r(y(s.limit) - 4)}" text-anchor="start" fill="${colour}">SLO ${esc(chart.format(s.limit))} ${esc(chart.unit === "%" ? "%" : chart.unit === "ms" ? "ms" : "")}</text>`,
      );
    }
  });
  // The series: a line through the steps with samples, a point per step coloured by the step's verdict.
  chart.series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length] as string;
    const pts = s.values
      .map((v, j) => (v === null ? null : { px: x(rates[j] ?? 0), py: y(v), step: doc.steps[j] as DocumentStep, v }))
      .filter((p): p is NonNullable<typeof p> => p !== null);
    if (pts.length === 0) return;
    parts.push(
      `<g class="series" data-series="${esc(s.name)}">`,
      `<polyline fill="none" stroke="${colour}" stroke-width="2"${s.dashed ? ` stroke-dasharray="3 3"` : ""} points="${pts.map((p) => `${r(p.px)},${r(p.py)}`).join(" ")}"/>`,
      ...pts.map(
        (p) =>
          `<circle class="point" data-step="${p.step.step}" data-verdict="${p.step.verdict}" cx="${r(p.px)}" cy="${r(p.py)}" r="4" fill="${verdictColour(p.step.verdict)}" stroke="${colour}" stroke-width="2"><title>${esc(s.name)}, step ${p.step.step} (${fmtNum(p.step.rate)} it/s): ${esc(chart.format(p.v))} ${esc(chart.unit)}, ${esc(p.step.verdict)}</title></circle>`,
      ),
      `</g>`,
    );
  });
  parts.push(`</svg>`);
  return parts.join("\n");
}

function legend(chart: Chart): string {
  const items = chart.series.map((s, i) => {
    const colour = PALETTE[i % PALETTE.length] as string;
    const swatch = `<svg width="26" height="10" aria-hidden="true"><line x1="1" x2="25" y1="5" y2="5" stroke="${colour}" stroke-width="2"${s.dashed ? ` stroke-dasharray="3 3"` : ""}/></svg>`;
    const limit =
      s.limit === undefined
        ? ""
        : ` <span class="limit"><svg width="22" height="10" aria-hidden="true"><line x1="1" x2="21" y1="5" y2="5" stroke="${colour}" stroke-width="1.5" stroke-dasharray="6 4"/></svg>limit ${esc(chart.format(s.limit))} ${esc(chart.unit)}</span>`;
    return `<li>${swatch} ${esc(s.name)}${limit}</li>`;
  });
  return `<ul class="legend">${items.join("")}</ul>`;
}

function dataTable(doc: CapacityDocument, chart: Chart): string {
  const head = chart.series
    .map(
      (s) =>
        `<th scope="col">${esc(s.name).replace(/:/g, ":<wbr>")}${s.limit === undefined ? "" : ` (limit ${esc(chart.format(s.limit))})`}</th>`,
    )
    .join("");
  const rows = doc.steps.map((step, j) => {
    const cells = chart.series
      .map((s) => {
        const v = s.values[j];
        const over = v != null && s.limit !== undefined && v > s.limit;
        return `<td${over ? ` class="over"` : ""}>${v == null ? "–" : esc(chart.format(v))}</td>`;
      })
      .join("");
    return `<tr><th scope="row">${step.step}</th><td>${esc(fmtNum(step.rate))}</td>${cells}<td><span class="verdict" style="--c:${verdictColour(step.verdict)}">${esc(step.verdict)}</span></td></tr>`;
  });
  return (
    `<div class="table-wrap"><table class="data"><caption>${esc(chart.title)} — numbers (${esc(chart.unit)})</caption>` +
    `<thead><tr><th scope="col">step</th><th scope="col">planned it/s</th>${head}<th scope="col">verdict</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table></div>`
  );
}

function headline(doc: CapacityDocument): string {
  const held = doc.highestHeld;
  const broken = doc.firstNotHeld;
  const heldText = held === null ? "no step held" : `step ${held.step} held at ${fmtNum(held.rate)} it/s`;
  if (doc.outcome === "generator-limited" && broken !== null) {
    return (
      `<p class="callout generator" role="alert"><strong>The load generator was the limit, not the target.</strong> ` +
      `At step ${broken.step} (${fmtNum(broken.rate)} it/s) k6 could not start the planned iterations (${esc(broken.broke.join("; "))}). ` +
      `No knee was found below that: ${heldText}, a lower bound on the target's capacity. Raise CAPACITY_MAX_VUS or add generators.</p>`
    );
  }
  if (doc.outcome === "knee" && broken !== null) {
    return (
      `<p class="callout knee"><strong>Knee: ${heldText}; step ${broken.step} (${fmtNum(broken.rate)} it/s) broke.</strong> ` +
      `${esc(broken.broke.join("; "))}</p>`
    );
  }
  if (doc.outcome === "all-held") {
    return `<p class="callout held"><strong>Every step held</strong>: ${heldText}, the top step. Raise CAPACITY_MAX_RATE to find the knee.</p>`;
  }
  return `<p class="callout other"><strong>${esc(doc.outcome)}</strong>: ${esc(doc.summary)}</p>`;
}

function stepsTable(doc: CapacityDocument): string {
  const rows = doc.steps.map(
    (s) =>
      `<tr><th scope="row">${s.step}</th><td>${fmtNum(s.rate)}</td><td>${fmtNum(s.startedRate)} (${(s.delivered * 100).toFixed(0)}%)</td>` +
      `<td>${s.requestRate === null ? "–" : fmtNum(s.requestRate)}</td><td>${s.p95Ms === null ? "–" : fmtNum(s.p95Ms)}</td>` +
      `<td>${s.p99Ms === null ? "–" : fmtNum(s.p99Ms)}</td><td>${s.errorRate === null ? "–" : `${fmtPct(s.errorRate)}%`}</td>` +
      `<td><span class="verdict" style="--c:${verdictColour(s.verdict)}">${esc(s.verdict)}</span></td>` +
      `<td class="broke">${esc(s.broke.join("; "))}</td></tr>`,
  );
  return (
    `<table class="steps"><caption>Steps and their verdicts</caption><thead><tr><th scope="col">step</th><th scope="col">planned it/s</th>` +
    `<th scope="col">started it/s</th><th scope="col">req/s</th><th scope="col">p95 ms</th><th scope="col">p99 ms</th>` +
    `<th scope="col">errors</th><th scope="col">verdict</th><th scope="col" class="broke">what broke it</th></tr></thead><tbody>${rows.join("")}</tbody></table>`
  );
}

const CSS = `
:root{color-scheme:light;font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;color:#212529;background:#fff}
body{margin:24px;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 6px}
.meta{color:#495057;font-size:13px;margin:0 0 12px}
.callout{border-left:5px solid;padding:10px 14px;margin:12px 0;font-size:14px;background:#f8f9fa}
.callout.knee{border-color:#c92a2a}.callout.generator{border-color:#e67700;background:#fff4e6}
.callout.held{border-color:#2b8a3e}.callout.other{border-color:#7048e8}
.keyline{display:flex;gap:14px;flex-wrap:wrap;font-size:12px;margin:6px 0 14px;padding:0;list-style:none}
.grid-charts{display:grid;grid-template-columns:repeat(2,${W}px);gap:20px 28px}
figure{margin:0;width:${W}px}.table-wrap{overflow-x:auto;max-width:${W}px}
svg.chart{display:block;font-size:11px}
svg.chart text{fill:#343a40}svg.chart .axis-label{font-size:12px;fill:#212529}
svg.chart .knee-label{font-size:11px;font-weight:bold}svg.chart .slo-label{font-size:10px}
.grid{stroke:#e9ecef}.axis{stroke:#868e96}
.legend{list-style:none;padding:0;margin:4px 0;font-size:12px;display:flex;flex-wrap:wrap;gap:4px 14px}
.legend svg{vertical-align:middle}.legend .limit{color:#495057}
table{border-collapse:collapse;font-size:12px;margin:6px 0}
caption{text-align:left;font-weight:bold;padding-bottom:4px;font-size:12px}
th,td{border-bottom:1px solid #dee2e6;padding:2px 8px;text-align:right}
thead th{background:#f1f3f5}
table.data{width:100%;table-layout:fixed}table.data th,table.data td{padding:2px 5px}table.data th{overflow-wrap:anywhere;font-size:11px;font-weight:600}
table.data th:first-child{width:30px}table.data thead th:nth-child(2){width:52px}table.data thead th:last-child{width:100px}
td.over{color:#c92a2a;font-weight:bold}
th.broke{text-align:left}td.broke{text-align:left;max-width:420px;color:#495057}
.verdict{display:inline-block;border-radius:3px;padding:0 6px;color:#fff;background:var(--c);font-size:11px;white-space:nowrap}
`;

/** The page: a headline, the steps with their verdicts, then one chart (with legend and data table) per plot. */
export function capacityHtml(doc: CapacityDocument): string {
  const mix = Object.entries(doc.plan.mix)
    .map(([name, share]) => `${name} ${((share ?? 0) * 100).toFixed(0)}%`)
    .join(", ");
  const keyline = Object.entries(VERDICT_COLOUR)
    .filter(([v]) => v !== "no samples" || doc.steps.some((s) => s.verdict === v))
    .map(([v, c]) => `<li><span class="verdict" style="--c:${c}">${esc(v)}</span></li>`)
    .join("");
  const figures = charts(doc).map(
    (c) =>
      `<figure id="chart-${c.id}"><h2>${esc(c.title)}</h2>${chartSvg(doc, c)}${legend(c)}${dataTable(doc, c)}</figure>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Capacity: ${esc(doc.testid)}</title><style>${CSS}</style></head>
<body>
<h1>Capacity search — ${esc(doc.testid)}</h1>
<p class="meta">${doc.steps.length} steps of ${doc.plan.stepSeconds} s (first ${doc.plan.warmupSeconds} s warm-up, not judged); mix ${esc(mix)}; load in iterations/s of the mix${doc.store === undefined ? "" : `; samples from ${esc(doc.store)}`}. Generator: ${doc.generator.droppedIterations} iterations dropped, at most ${doc.generator.vusMax ?? "–"} of ${doc.generator.poolSize} VUs.</p>
${headline(doc)}
<ul class="keyline" aria-label="step verdicts: point colours">${keyline}</ul>
${stepsTable(doc)}
<div class="grid-charts">
${figures.join("\n")}
</div>
</body></html>
`;
}
