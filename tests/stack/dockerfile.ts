// A small Dockerfile reader for the static checks and the smoke probe: stages, their base image and instructions.

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  from: string;
  alias?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (continuations joined, comments dropped, ARG defaults applied). */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue; // comment inside a continued instruction
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = "";
  }
  const args = new Map<string, string>();
  const expand = (value: string): string =>
    value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => args.get(name) ?? whole);
  const stages: Stage[] = [];
  for (const entry of logical) {
    const [keyword = "", ...rest] = entry.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: expand(rest.join(" ")) };
    if (instruction.keyword === "ARG") {
      const [name, value] = rest.join(" ").split("=");
      if (name && value !== undefined) args.set(name, value.replace(/^"|"$/g, ""));
    }
    if (instruction.keyword === "FROM") {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`unparsable FROM: ${instruction.args}`);
      stages.push({ from: match[1]!, alias: match[2], instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    if (!current) throw new Error(`${instruction.keyword} before FROM`);
    current.instructions.push(instruction);
  }
  return stages;
}
