// Runs one of the project's TypeScript CLIs as a user would (`npm run <tool> -- …` is `tsx <file> …`), from the
// repository root, and returns what it printed and its exit status.
import { spawnSync } from "node:child_process";
import { REPO_ROOT } from "../k6/harness/bundle";

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(script: string, args: readonly string[], env: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
