// Shared helpers for the static stack checks: where the repository is, and how to read its files.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const repoPath = (...parts: string[]): string => join(ROOT, ...parts);

export const readText = (relativePath: string): string => readFileSync(repoPath(relativePath), "utf8");

export const readYaml = (relativePath: string): unknown => parse(readText(relativePath));

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command synchronously from the repository root (never through a shell). */
export function run(command: string, args: string[], options: SpawnSyncOptions = {}): RunResult {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", timeout: 60_000, ...options });
  return { status: result.status, stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") };
}

/** True when `name` can be executed from PATH. */
export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
