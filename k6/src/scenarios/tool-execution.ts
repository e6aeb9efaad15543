// Journey 3 — tool_execution: an MCP tools/call on the VU's session (the seed's five tasks, as tools), then an
// agent prompt via POST /message when /status says the agent is stable (and the prompt budget allows it), then
// GET /messages. "Agent busy" (one agent per AgentAPI server) is counted in agent_busy_total and is not a failure.

import { getMessages, sendMessage } from "../clients/agentapi";
import { checkMessages, checkSendMessage } from "../checks";
import { agentStatusStep } from "../flows";
import { loadBrokerSteps } from "../broker-steps-load";
import { beginIteration, iteration, vuId } from "../lib/iteration";
import { think } from "../lib/think";
import { metrics } from "../metrics";
import { agentUrl } from "../agent-target";
import { mayPrompt, scenarioIteration } from "../prompt-budget";
import { PROMPT_THINK_SECONDS } from "../prompt-plan";
import { config } from "../run-config";

/** The seed's five tasks: what a user would ask the agent, and the MCP tool that does it. */
export const TASKS = [
  { tool: "list_files", args: {}, prompt: "List the files in the current directory" },
  { tool: "git_status", args: {}, prompt: "Show git status" },
  { tool: "node_version", args: {}, prompt: "Check the version of Node.js" },
  { tool: "system_info", args: {}, prompt: "Display system information" },
  { tool: "run_tests", args: {}, prompt: "Run tests" },
] as const;

export function toolExecution(): void {
  beginIteration();
  const task = TASKS[iteration() % TASKS.length] ?? TASKS[0];

  // (first iteration: user token → oauth init → authorize → callback → mcp initialize → initialized → tools/list)
  if (!config.agentOnly) loadBrokerSteps().toolCallStep(task.tool, { ...task.args });

  const status = agentStatusStep();

  let prompt: string | undefined;
  if (status !== null && status.status === "stable" && mayPrompt(scenarioIteration())) {
    const content = `${task.prompt} (k6 vu ${vuId()} iteration ${iteration()})`;
    const r = sendMessage(agentUrl(), content);
    checkSendMessage(r);
    if (r.outcome === "busy") {
      metrics.agentBusyTotal.add(1);
    } else {
      metrics.toolExecutionSuccessRate.add(r.outcome === "accepted");
      if (r.outcome === "accepted") prompt = content;
    }
  }

  checkMessages(getMessages(agentUrl()), prompt);

  think(...PROMPT_THINK_SECONDS.tool_execution);
}
