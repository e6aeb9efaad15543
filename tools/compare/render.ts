// compare.json (everything), compare.md (GitHub job summary / PR comment), compare.html (self-contained, the look of
// summary.html: its stylesheet and escaper imported from k6/src/reports) and the terminal table.
import { escapeMarkup } from "../../k6/src/reports/escape";
import { STYLE } from "../../k6/src/reports/html";
import type { Comparison, Row, Section, Verdict } from "./compare";
import { DEFAULT_TOLERANCES } from "./tolerance";
import type { RunData } from "./run-data";

const SECTIONS: ReadonlyArray<{ section: Section; title: (c: Comparison) => string; column: string }> = [
  { section: "endpoint", title: (c) => `Endpoints — http_req_duration ${c.options.statistic}`, column: "endpoint" },
  { section: "scenario", title: (c) => `Scenarios — http_req_duration ${c.options.statistic}`, column: "scenario" },
  { section: "metric", title: () => "Metrics", column: "metric" },
  { section: "threshold", title: () => "Thresholds", column: "threshold" },
];

const CHANGED: ReadonlyArray<Verdict> = ["regressed", "improved", "new", "gone"];

/** The p-value a verdict used: Holm-adjusted when the row was beyond tolerance, else the row's own. */
export function pText(r: Row): string {
  const p = r.pAdjusted ?? r.p;
  if (p === null) return "";
  return p < 0.001 ? "<0.001" : p.toFixed(3);
}

function pct(x: number): string {
  return `${+(x * 100).toFixed(2)} %`;
}

export function verdictLine(c: Comparison): string {
  const k = c.counts;
  return (
    `${c.regressed ? "REGRESSED" : "no regression"}: ${k.regressed} regressed, ${k.improved} improved, ` +
    `${k.unchanged} unchanged, ${k.new} new, ${k.gone} gone` +
    (k.info > 0 ? `, ${k.info} informational` : "") +
    ` (${c.mode})`
  );
}

/** How the verdicts were reached, in one paragraph. */
export function methodText(c: Comparison): string {
  const t = DEFAULT_TOLERANCES;
  const tol =
    `beyond its tolerance (default ${pct(t.time.relative)} and ${t.time.absolute} ms for latencies, ` +
    `${pct(t.proportion.relative)} and ${+(t.proportion.absolute * 100).toFixed(2)} pp for rates — both must be exceeded` +
    (c.options.tolerances.size > 0
      ? `; overridden: ${[...c.options.tolerances].map(([k, v]) => `${k}=${v.text}`).join(", ")}`
      : "") +
    `)`;
  const level = `${+((1 - c.options.alpha) * 100).toFixed(2)} %`;
  if (c.mode === "noise-aware") {
    return (
      `Noise-aware: a row regresses or improves when the change is ${tol} and statistically clear: its p-value, ` +
      `Holm-adjusted over the rows beyond tolerance, is below ${c.options.alpha} ` +
      `(the table shows the ${level} confidence interval; latencies: ` +
      (c.options.bootstrap === "block"
        ? `paired block bootstrap of the ${c.options.statistic} difference over ${c.options.blocks} stretches of each run`
        : `bootstrap of the ${c.options.statistic} difference, samples taken as independent`) +
      `, ${c.options.resamples} resamples, seed ${c.options.seed}; rates and failure counts: Newcombe's ` +
      `interval from Wilson intervals). Rows with fewer than ${c.options.minSamples} values on a side are not judged.`
    );
  }
  return (
    `Aggregate-only (at least one side is a summary without samples): a row regresses or improves when the change ` +
    `is ${tol}; no confidence interval. Rows with fewer than ${c.options.minSamples} values on a side are not judged.`
  );
}

const SOURCE_TEXT: Readonly<Record<RunData["source"], string>> = {
  influx: "InfluxDB samples",
  prometheus: "Prometheus native histograms",
  summary: "summary.json",
};

function sideText(run: RunData): string {
  const parts = [run.profile ? `profile ${run.profile}` : "profile unknown", SOURCE_TEXT[run.source]];
  if (run.durationMs !== null) parts.push(`${Math.round(run.durationMs / 1000)} s`);
  return parts.join(", ");
}

// ---- JSON ---------------------------------------------------------------------------------------------------------

export function toJson(c: Comparison): string {
  const side = (run: RunData) => ({
    input: run.input,
    label: run.label,
    testid: run.testid,
    profile: run.profile,
    source: run.source,
    durationMs: run.durationMs,
    config: run.config,
  });
  return JSON.stringify(
    {
      kind: "agentapi-load-compare",
      version: 1,
      generatedAt: new Date().toISOString(),
      baseline: side(c.baseline),
      candidate: side(c.candidate),
      mode: c.mode,
      verdict: c.regressed ? "regressed" : "ok",
      counts: c.counts,
      settings: {
        alpha: c.options.alpha,
        resamples: c.options.resamples,
        seed: c.options.seed,
        statistic: c.options.statistic,
        minSamples: c.options.minSamples,
        bootstrap: c.options.bootstrap,
        blocks: c.options.blocks,
        defaultTolerances: DEFAULT_TOLERANCES,
        tolerances: Object.fromEntries([...c.options.tolerances].map(([k, v]) => [k, v.text])),
      },
      notes: c.notes,
      rows: c.rows,
    },
    null,
    2,
  );
}

// ---- Markdown -----------------------------------------------------------------------------------------------------

const mdCell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const mdVerdict = (v: Verdict): string => (v === "regressed" ? "**regressed**" : v === "improved" ? "*improved*" : v);

function okText(ok: boolean | null | undefined): string {
  return ok === true ? "pass" : ok === false ? "FAIL" : "—";
}

function mdTable(rows: Row[], column: string, withSection: boolean): string {
  const head = [
    ...(withSection ? ["section"] : []),
    column,
    "baseline",
    "candidate",
    "delta",
    "CI of delta",
    "p",
    "verdict",
  ];
  const lines = [
    `| ${head.join(" | ")} |`,
    `|${head.map((_, i) => (i >= head.length - 6 ? "---:" : "---")).join("|")}|`,
  ];
  for (const r of rows) {
    const label = r.section === "threshold" ? `\`${r.label}\`` : r.label;
    const base = r.thresholdOk ? `${r.baselineText} ${okText(r.thresholdOk.baseline)}` : r.baselineText;
    const cand = r.thresholdOk ? `${r.candidateText} ${okText(r.thresholdOk.candidate)}` : r.candidateText;
    const cells = [
      ...(withSection ? [r.section] : []),
      label,
      base,
      cand,
      r.deltaText,
      r.intervalText,
      pText(r),
      mdVerdict(r.verdict) + (r.note ? ` ¹` : ""),
    ];
    lines.push(`| ${cells.map(mdCell).join(" | ")} |`);
  }
  return lines.join("\n");
}

export function renderMarkdown(c: Comparison): string {
  const out: string[] = [];
  out.push(`## Run comparison: ${c.regressed ? "❌ regressed" : "✅ no regression"}`);
  out.push("");
  out.push(
    `Baseline \`${c.baseline.label}\` (${sideText(c.baseline)}) → candidate \`${c.candidate.label}\` (${sideText(c.candidate)}).`,
  );
  out.push("");
  out.push(`**${verdictLine(c)}**`);
  out.push("");
  out.push(methodText(c));
  for (const note of c.notes) out.push("", `> ${note}`);
  out.push("");
  const changed = c.rows.filter((r) => CHANGED.includes(r.verdict));
  out.push("### Changes", "");
  out.push(changed.length > 0 ? mdTable(changed, "row", true) : "No row changed beyond its tolerance.");
  for (const s of SECTIONS) {
    const rows = c.rows.filter((r) => r.section === s.section);
    if (rows.length === 0) continue;
    out.push(
      "",
      `<details><summary>${s.title(c)} (${rows.length} ${rows.length === 1 ? "row" : "rows"})</summary>`,
      "",
      mdTable(rows, s.column, false),
    );
    out.push("", "</details>");
  }
  if (c.rows.some((r) => r.note)) {
    out.push("", "¹ " + [...new Set(c.rows.flatMap((r) => (r.note ? [r.note] : [])))].join("; "));
  }
  out.push("");
  return out.join("\n");
}

// ---- HTML ---------------------------------------------------------------------------------------------------------

const EXTRA_STYLE = `
tr.improved td{background:#e9f6ec}.v-regressed{color:#c62828;font-weight:700}.v-improved{color:#1a7f37;font-weight:700}
.v-new,.v-gone,.v-info{color:#5b6475;font-weight:700}td.note{color:#5b6475;font-size:12px}
`;

function htmlTable(rows: Row[], column: string): string {
  const body = rows
    .map((r) => {
      const css = r.verdict === "regressed" ? "bad" : r.verdict === "improved" ? "improved" : "";
      const ok = (v: boolean | null | undefined) =>
        r.thresholdOk ? ` <span class="${v === false ? "ko" : v === true ? "ok" : "skip"}">${okText(v)}</span>` : "";
      return (
        `<tr class="${css}"><td>${r.section === "threshold" ? `<code>${escapeMarkup(r.label)}</code>` : escapeMarkup(r.label)}</td>` +
        `<td class="num">${escapeMarkup(r.baselineText)}${ok(r.thresholdOk?.baseline)}</td>` +
        `<td class="num">${escapeMarkup(r.candidateText)}${ok(r.thresholdOk?.candidate)}</td>` +
        `<td class="num">${escapeMarkup(r.deltaText)}</td><td class="num">${escapeMarkup(r.intervalText)}</td>` +
        `<td class="num">${escapeMarkup(pText(r))}</td>` +
        `<td class="v-${r.verdict}">${r.verdict}</td><td class="note">${escapeMarkup(r.note ?? "")}</td></tr>`
      );
    })
    .join("\n");
  return (
    `<table><thead><tr><th>${escapeMarkup(column)}</th><th>baseline</th><th>candidate</th><th>delta</th>` +
    `<th>CI of delta</th><th>p</th><th>verdict</th><th>note</th></tr></thead><tbody>${body}</tbody></table>`
  );
}

export function renderHtml(c: Comparison): string {
  const sections = SECTIONS.map((s) => {
    const rows = c.rows.filter((r) => r.section === s.section);
    return rows.length === 0 ? "" : `<h2>${escapeMarkup(s.title(c))}</h2>\n${htmlTable(rows, s.column)}`;
  }).join("\n");
  const changed = c.rows.filter((r) => CHANGED.includes(r.verdict));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>agentapi-load compare: ${escapeMarkup(c.baseline.label)} vs ${escapeMarkup(c.candidate.label)} — ${c.regressed ? "REGRESSED" : "OK"}</title>
<style>${STYLE}${EXTRA_STYLE}</style></head>
<body><main>
<h1>AgentAPI load test — run comparison</h1>
<div class="meta">baseline ${escapeMarkup(c.baseline.label)} (${escapeMarkup(sideText(c.baseline))}) → candidate ${escapeMarkup(c.candidate.label)} (${escapeMarkup(sideText(c.candidate))})</div>
<div class="meta">generated ${escapeMarkup(new Date().toISOString())}</div>
<div class="verdict ${c.regressed ? "fail" : "pass"}">${escapeMarkup(verdictLine(c))}</div>
<p class="meta">${escapeMarkup(methodText(c))}</p>
${c.notes.map((n) => `<p class="meta">${escapeMarkup(n)}</p>`).join("\n")}
<h2>Changes</h2>
${changed.length > 0 ? htmlTable(changed, "row") : `<p class="meta">No row changed beyond its tolerance.</p>`}
${sections}
</main></body></html>
`;
}

// ---- terminal -----------------------------------------------------------------------------------------------------

function textTable(rows: Row[], column: string): string {
  const cells = rows.map((r) => [
    r.label,
    r.baselineText + (r.thresholdOk ? ` ${okText(r.thresholdOk.baseline)}` : ""),
    r.candidateText + (r.thresholdOk ? ` ${okText(r.thresholdOk.candidate)}` : ""),
    r.deltaText,
    r.intervalText,
    pText(r),
    r.verdict + (r.note ? " *" : ""),
  ]);
  const head = [column, "baseline", "candidate", "delta", "CI of delta", "p", "verdict"];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 0 || i === row.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(head), ...cells.map(line)].join("\n");
}

/** Endpoints and scenarios in full, then every other row that changed, then the verdict line. */
export function renderText(c: Comparison): string {
  const out: string[] = [
    `compare: baseline ${c.baseline.label} (${sideText(c.baseline)}) → candidate ${c.candidate.label} (${sideText(c.candidate)})`,
  ];
  if (c.mode === "aggregate-only") {
    out.push("mode: aggregate-only (a side has no samples): the tolerance rule alone, no confidence interval");
  }
  for (const note of c.notes) out.push(`note: ${note}`);
  for (const s of SECTIONS.slice(0, 2)) {
    const rows = c.rows.filter((r) => r.section === s.section);
    if (rows.length > 0) out.push("", s.title(c), textTable(rows, s.column));
  }
  const others = c.rows.filter(
    (r) => (r.section === "metric" || r.section === "threshold") && CHANGED.includes(r.verdict),
  );
  if (others.length > 0) out.push("", "Other changes (metrics, thresholds)", textTable(others, "row"));
  if (c.rows.some((r) => r.note))
    out.push("", `* ${[...new Set(c.rows.flatMap((r) => (r.note ? [r.note] : [])))].join("; ")}`);
  out.push("", verdictLine(c));
  return out.join("\n");
}
