// The fake agent through the real coder/agentapi (the pinned version): boot to `stable`, the banner as message 0,
// a user message typed and echoed (POST /message waits ≥ 1 s for the echo to settle), `running` while the agent
// thinks, then `stable` and a reply that quotes the prompt; a second prompt the same way. Skips without an agentapi
// binary (fails under CI=true): see tests/support/real-agentapi.ts.
import { afterAll, beforeAll, expect, it } from "vitest";
import { agentApiVersion, pinnedVersion } from "../../infra/agentapi-real/launch";
import {
  describeRealAgentApi,
  findAgentApiBinary,
  startRealAgentApi,
  type RealAgentApi,
} from "../support/real-agentapi";

interface Message {
  id: number;
  content: string;
  role: "user" | "agent";
}

/** agentapi pads every screen line to 80 columns: compare lines without their trailing spaces. */
const lines = (content: string): string[] => content.split("\n").map((line) => line.trimEnd());

describeRealAgentApi("the fake agent behind the real agentapi", () => {
  let server: RealAgentApi;

  const status = async (): Promise<string> => {
    const body = (await (await fetch(`${server.url}/status`)).json()) as { status: string };
    return body.status;
  };
  const messages = async (): Promise<Message[]> => {
    const body = (await (await fetch(`${server.url}/messages`)).json()) as { messages: Message[] };
    return body.messages;
  };
  const send = async (content: string): Promise<{ status: number; body: unknown; ms: number }> => {
    const started = performance.now();
    const response = await fetch(`${server.url}/message`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content, type: "user" }),
    });
    return { status: response.status, body: await response.json(), ms: performance.now() - started };
  };
  /** Milliseconds until /status says `stable` (polled every 50 ms, at most `limitMs`). */
  const untilStable = async (limitMs: number): Promise<number> => {
    const started = performance.now();
    while (performance.now() - started < limitMs) {
      if ((await status()) === "stable") return performance.now() - started;
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(`not stable within ${limitMs} ms`);
  };

  beforeAll(async () => {
    server = await startRealAgentApi({ thinkMs: 1000 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("runs the pinned agentapi version", () => {
    expect(`v${agentApiVersion(findAgentApiBinary()!)}`, `${findAgentApiBinary()} --version`).toBe(pinnedVersion());
  });

  it("is stable after boot, as a custom agent on the PTY transport, on loopback", async () => {
    const body = (await (await fetch(`${server.url}/status`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "stable", agent_type: "custom", transport: "pty" });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("shows the banner as message 0, without the prompt line", async () => {
    const [first, ...rest] = await messages();
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ id: 0, role: "agent" });
    expect(lines(first!.content)).toEqual([
      "fake-agent: a stand-in coding agent for load tests of coder/agentapi",
      "think time 1000 ms, replies of 4 lines; type a prompt and press Enter",
    ]);
  });

  it("takes a prompt: POST waits for the echo (≥ 1 s), then running, then stable with the reply", async () => {
    const sent = await send("hello fake agent");
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ ok: true });
    expect(sent.ms).toBeGreaterThanOrEqual(1000);
    expect(await status()).toBe("running");

    // Busy: a second prompt is refused while the agent runs (upstream: a handler error, 500 problem+json).
    const busy = await send("too early");
    expect(busy.status).toBe(500);
    expect(JSON.stringify(busy.body)).toMatch(/stable|waiting|changing/i);

    // think 1 s + 2 s of stillness; generous upper bound for a loaded machine.
    expect(await untilStable(15_000)).toBeGreaterThanOrEqual(1500);
    const all = await messages();
    expect(all.map((m) => [m.id, m.role])).toEqual([
      [0, "agent"],
      [1, "user"],
      [2, "agent"],
    ]);
    expect(all[1]!.content).toBe("hello fake agent");
    expect(lines(all[2]!.content)).toEqual([
      "fake-agent reply 1: hello fake agent",
      "  - your prompt had 16 characters and 3 words",
      "  - I thought about it for 1000 ms (FAKE_AGENT_THINK_MS)",
      "  - line 4 of 4: nothing was run, this agent only answers",
    ]);
    for (const line of all[2]!.content.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  });

  it("takes a second prompt the same way", async () => {
    const sent = await send("and now a second prompt");
    expect(sent.status).toBe(200);
    expect(await status()).toBe("running");
    await untilStable(15_000);
    const all = await messages();
    expect(all.map((m) => m.id)).toEqual([0, 1, 2, 3, 4]);
    expect(all[3]).toMatchObject({ role: "user", content: "and now a second prompt" });
    expect(all[4]!.role).toBe("agent");
    expect(lines(all[4]!.content)[0]).toBe("fake-agent reply 2: and now a second prompt");
    expect(all[2]!.content).toContain("fake-agent reply 1: hello fake agent"); // the first reply is unchanged
  });
});
