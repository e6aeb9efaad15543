// The simulated MCP tools. Each waits a random time from its own latency range (times the configured scale) and
// answers with text shaped like the real command's output; nothing touches the file system or spawns a process.
import { arch, cpus, platform, totalmem, uptime } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

export const TOOL_NAMES = ["list_files", "git_status", "node_version", "system_info", "run_tests", "echo"] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** Simulated latency per tool, in milliseconds before scaling (README table). */
export const TOOL_LATENCY_MS: Readonly<Record<ToolName, { min: number; max: number }>> = Object.freeze({
  echo: { min: 1, max: 5 },
  node_version: { min: 5, max: 20 },
  system_info: { min: 10, max: 40 },
  list_files: { min: 20, max: 80 },
  git_status: { min: 30, max: 120 },
  run_tests: { min: 300, max: 1200 },
});

/** A small fixed project tree for list_files. */
const PROJECT_TREE: Readonly<Record<string, readonly string[]>> = {
  ".": ["README.md", "package.json", "tsconfig.json", "src/", "tests/"],
  src: ["index.ts", "server.ts", "tools.ts"],
  tests: ["server.test.ts", "tools.test.ts"],
};

// Input schemas are built once: every session registers the same tools.
const LIST_FILES_INPUT = {
  path: z.string().max(256).default(".").describe("directory relative to the project root"),
};
const RUN_TESTS_INPUT = {
  pattern: z.string().max(200).optional().describe("substring of the test file names to run"),
};
const ECHO_INPUT = { text: z.string().max(10_000).describe("text to echo back") };

const TEST_FILES = ["server.test.ts", "tools.test.ts"];
const TESTS_PER_FILE = 6;

function text(value: string, isError = false): CallToolResult {
  return isError ? { content: [{ type: "text", text: value }], isError } : { content: [{ type: "text", text: value }] };
}

function normalisePath(path: string): string {
  const trimmed = path.replace(/^\.\/+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "." : trimmed;
}

export function registerTools(server: McpServer, latencyScale: number): void {
  const simulate = async (tool: ToolName, signal: AbortSignal): Promise<number> => {
    const { min, max } = TOOL_LATENCY_MS[tool];
    const ms = Math.round((min + Math.random() * (max - min)) * latencyScale);
    // The signal aborts when the client cancels the request or the session closes.
    if (ms > 0) await sleep(ms, undefined, { signal });
    return ms;
  };

  server.registerTool(
    "list_files",
    {
      description: "List the entries of a directory of the (simulated) project.",
      inputSchema: LIST_FILES_INPUT,
    },
    async ({ path }, { signal }) => {
      await simulate("list_files", signal);
      const dir = normalisePath(path);
      const entries = PROJECT_TREE[dir];
      if (entries === undefined) return text(`ls: cannot access '${dir}': No such file or directory`, true);
      return text(entries.join("\n"));
    },
  );

  server.registerTool(
    "git_status",
    { description: "Show the working tree status of the (simulated) project repository." },
    async ({ signal }) => {
      await simulate("git_status", signal);
      return text(
        [
          "On branch main",
          "Your branch is up to date with 'origin/main'.",
          "",
          "Changes not staged for commit:",
          "  modified:   src/server.ts",
          "",
          "no changes added to commit",
        ].join("\n"),
      );
    },
  );

  server.registerTool("node_version", { description: "Report the Node.js version." }, async ({ signal }) => {
    await simulate("node_version", signal);
    return text(process.version);
  });

  server.registerTool("system_info", { description: "Report platform, CPU and memory facts." }, async ({ signal }) => {
    await simulate("system_info", signal);
    return text(
      [
        `platform: ${platform()}`,
        `arch: ${arch()}`,
        `cpus: ${cpus().length}`,
        `memory_mb: ${Math.round(totalmem() / 1_048_576)}`,
        `uptime_s: ${Math.round(uptime())}`,
      ].join("\n"),
    );
  });

  server.registerTool(
    "run_tests",
    {
      description: "Run the (simulated) project's test suite, optionally only files whose name contains a pattern.",
      inputSchema: RUN_TESTS_INPUT,
    },
    async ({ pattern }, { signal }) => {
      const elapsed = await simulate("run_tests", signal);
      const files = TEST_FILES.filter((file) => pattern === undefined || file.includes(pattern));
      if (files.length === 0) return text(`No test files found matching "${pattern}"`, true);
      const lines = files.map((file) => ` ✓ tests/${file} (${TESTS_PER_FILE} tests)`);
      const total = files.length * TESTS_PER_FILE;
      return text(
        [
          ...lines,
          "",
          ` Test Files  ${files.length} passed`,
          `      Tests  ${total} passed`,
          `   Duration  ${elapsed}ms`,
        ].join("\n"),
      );
    },
  );

  server.registerTool(
    "echo",
    {
      description: "Return the given text unchanged.",
      inputSchema: ECHO_INPUT,
    },
    async ({ text: value }, { signal }) => {
      await simulate("echo", signal);
      return text(value);
    },
  );
}
