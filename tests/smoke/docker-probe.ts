// Can this machine run the stack? A quick, bounded probe (seconds): Docker CLI, daemon, Compose v2, and whether
// the images can be had. Every "no" comes back as a one-line reason, so the smoke suite can skip and say why.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { parseDockerfile } from "../stack/dockerfile";

export type DockerProbe = { ok: true } | { ok: false; reason: string };

interface CommandResult {
  code: number | "missing" | "timeout";
  output: string;
}

function command(file: string, args: string[], timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, encoding: "utf8" }, (error, stdout, stderr) => {
      const output = `${stdout}\n${stderr}`.trim();
      if (!error) return resolve({ code: 0, output });
      const failure = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
      if (failure.code === "ENOENT") return resolve({ code: "missing", output });
      if (failure.killed) return resolve({ code: "timeout", output });
      resolve({ code: typeof failure.code === "number" ? failure.code : 1, output });
    });
  });
}

/** The last non-empty line of a command's output, shortened: the part of an error worth printing. */
export function lastLine(text: string): string {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  return (lines.at(-1) ?? "no output").trim().slice(0, 200);
}

/** Every image the stack pulls: compose's `image:` entries and the FROM lines of the Dockerfiles it builds. */
export function stackImages(root: string): string[] {
  const compose = parse(readFileSync(join(root, "docker-compose.yml"), "utf8")) as {
    services?: Record<string, { image?: string; build?: { dockerfile?: string } }>;
  };
  const images = new Set<string>();
  for (const service of Object.values(compose.services ?? {})) {
    if (service.image) images.add(service.image);
    if (service.build?.dockerfile) {
      const stages = parseDockerfile(readFileSync(join(root, service.build.dockerfile), "utf8"));
      const aliases = new Set(stages.flatMap((stage) => (stage.alias ? [stage.alias] : [])));
      for (const stage of stages) if (!aliases.has(stage.from)) images.add(stage.from);
    }
  }
  return [...images];
}

/**
 * Checks, in order: the Docker CLI, its daemon, that images are available (unless `pullTimeoutMs` is 0: present
 * locally, or the first missing one can be pulled within the timeout), then the Compose v2 plugin.
 */
export async function probeDocker(images: readonly string[], pullTimeoutMs: number): Promise<DockerProbe> {
  const cli = await command("docker", ["version", "--format", "{{.Client.Version}}"], 5_000);
  if (cli.code === "missing") return { ok: false, reason: "the Docker CLI is not installed" };

  const daemon = await command("docker", ["info", "--format", "{{.ServerVersion}}"], 10_000);
  if (daemon.code === "timeout") return { ok: false, reason: "the Docker daemon did not answer within 10 s" };
  if (daemon.code !== 0)
    return { ok: false, reason: `the Docker daemon is not reachable (${lastLine(daemon.output)})` };

  const available = await imagesAvailable(images, pullTimeoutMs);
  if (!available.ok) return available;

  const compose = await command("docker", ["compose", "version", "--short"], 10_000);
  if (compose.code !== 0) return { ok: false, reason: "the Docker Compose v2 plugin is not installed" };
  return { ok: true };
}

async function imagesAvailable(images: readonly string[], pullTimeoutMs: number): Promise<DockerProbe> {
  if (pullTimeoutMs <= 0) return { ok: true };
  for (const image of images) {
    const local = await command("docker", ["image", "inspect", "--format", "{{.Id}}", image], 10_000);
    if (local.code === 0) continue;
    const pull = await command("docker", ["pull", "--quiet", image], pullTimeoutMs);
    if (pull.code === "timeout") {
      return { ok: false, reason: `image ${image} could not be pulled within ${pullTimeoutMs / 1000} s` };
    }
    if (pull.code !== 0) return { ok: false, reason: `image ${image} cannot be pulled (${lastLine(pull.output)})` };
    // One successful pull proves the registry is reachable; compose pulls the rest itself.
    break;
  }
  return { ok: true };
}

/** Errors from `docker compose up/run --build` that mean "could not download", not "the stack is broken". */
export const DOWNLOAD_FAILURE =
  /pull access denied|manifest unknown|failed to resolve source metadata|failed to do request|no such host|dial tcp|i\/o timeout|TLS handshake timeout|temporary failure in name resolution|network is unreachable|toomanyrequests|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|proxy\.golang\.org|registry\.npmjs\.org/i;
