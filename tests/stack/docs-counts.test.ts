// The docs count what the code has: every "N journeys" in the guides is the number of scenarios the suite runs, and
// what `make up` starts (QUICKSTART's count and table, README's list) is exactly docker-compose.yml's services without
// a profile. Counts drifted before (six journeys for eight, three containers for four); this keeps them true.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SCENARIO_NAMES } from "../../k6/src/names";
import { ROOT } from "./repo";

const GUIDES = ["README.md", "QUICKSTART.md", "TESTING_GUIDE.md", "k6/README.md"];
const WORDS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
];

const read = (file: string): string => readFileSync(join(ROOT, file), "utf8");

/** Every "<number> [user] journeys" in a text, as numbers (words or digits). */
function journeyCounts(text: string): number[] {
  const counts: number[] = [];
  for (const m of text.matchAll(/\b(\w+) (?:user )?journeys\b/gi)) {
    const word = (m[1] ?? "").toLowerCase();
    const n = /^\d+$/.test(word) ? Number(word) : WORDS.indexOf(word);
    if (n >= 0) counts.push(n);
  }
  return counts;
}

/** The services `docker compose up` starts: those without a profile. */
function defaultServices(): string[] {
  const compose = parse(read("docker-compose.yml")) as { services: Record<string, { profiles?: string[] }> };
  return Object.entries(compose.services)
    .filter(([, service]) => service.profiles === undefined || service.profiles.length === 0)
    .map(([name]) => name);
}

describe("the docs count what the code has", () => {
  it(`every "N journeys" says ${SCENARIO_NAMES.length}`, () => {
    let found = 0;
    for (const file of GUIDES) {
      const counts = journeyCounts(read(file));
      found += counts.length;
      for (const n of counts) expect(n, `${file} counts ${n} journeys`).toBe(SCENARIO_NAMES.length);
    }
    expect(found, "the guides say how many journeys there are somewhere").toBeGreaterThanOrEqual(2);
  });

  it("QUICKSTART counts and lists the containers `make up` starts; README names each of them", () => {
    const services = defaultServices();
    expect(services.sort()).toEqual(["agentapi-stub", "grafana", "influxdb", "rollup"]);
    const quickstart = read("QUICKSTART.md");
    const started = /starts (\w+) containers/.exec(quickstart);
    expect(started, "QUICKSTART says how many containers make up starts").not.toBeNull();
    expect(WORDS.indexOf(started![1]!)).toBe(services.length);
    for (const service of services) expect(quickstart, service).toContain(`| \`${service}\` |`);
    const readme = read("README.md");
    const upLine = /`make up` starts ([^.]+)\./.exec(readme)?.[1] ?? "";
    for (const service of services) expect(upLine, service).toContain(`\`${service}\``);
  });
});
