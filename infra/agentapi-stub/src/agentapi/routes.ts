// The AgentAPI surface on its own listener: GET /status, GET /messages, POST /message, GET /events,
// POST /upload (coder/agentapi's contract), plus GET /openapi.json and GET /schemas/{name}.json.
import { createHash } from "node:crypto";
import { basename } from "node:path";
import multipart from "@fastify/multipart";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { REFERENCE_TARGET_HEADER } from "../../../../k6/src/names";
import type { StubConfig } from "../config";
import { MessageRejected } from "../agent/conversation";
import { HttpProblem, type ProblemBody } from "../problem";
import type { AgentServer } from "./agent-server";
import type { AgentFleet } from "./fleet";
import { buildOpenApi } from "./openapi";
import { refusedHostRequests } from "./host-cors";
import { describedBy, SchemaLinks } from "./schema-links";
import { humaJson, humaReply, STATUS_LINK } from "./status";
import {
  components,
  messageRequest,
  messageResponse,
  messagesResponse,
  statusResponse,
  uploadResponse,
  type ComponentName,
} from "./schemas";

/** The upstream version whose contract this target follows. */
export const UPSTREAM_VERSION = "0.12.2";
/** Upstream's upload limit: 10 MiB. */
export const MAX_UPLOAD_BYTES = 10 << 20;
/** Where an upload "lands" (upstream: a per-process temp dir, one sub-directory per content checksum). */
export const UPLOAD_ROOT = "/tmp/agentapi-uploads";

const JSON_TYPE = "application/json";
/** One cache of `$schema` links for the whole AgentAPI surface. */
export const links = new SchemaLinks();

/** Adds upstream's `$schema` link to AgentAPI problem bodies (pass to installProblemHandling), except when the
 * Host itself was refused: upstream answers that before huma, without a link, and the host is not to be echoed. */
export function addErrorSchemaLink(request: FastifyRequest, body: ProblemBody): void {
  if (refusedHostRequests.has(request)) return;
  body.$schema = links.link(request.headers.host, "ErrorModel");
}

interface MessageBody {
  content: string;
  type: "user" | "raw";
}

/** Which agent a request is for: agent 1 at `/`, agent n at `/agents/{n}`. */
type AgentResolver = (request: FastifyRequest) => AgentServer;

export async function registerAgentApi(
  app: FastifyInstance,
  deps: { config: StubConfig; fleet: AgentFleet },
): Promise<void> {
  // The Host/CORS gates and fault injection run in one onRequest hook that stub.ts installs (request-gate.ts).
  const { fleet } = deps;

  // The one header upstream does not send: it tells the k6 suite this is the reference target, where prompts cost
  // nothing (against anything else the prompting journeys need MAX_PROMPTS or a confirmation).
  app.addHook("onRequest", (_request, reply, done) => {
    reply.header(REFERENCE_TARGET_HEADER, "agentapi-stub");
    done();
  });

  // Upstream reads JSON bodies only: a text/plain body is an unsupported media type (415), not a string.
  app.removeContentTypeParser("text/plain");

  // End the streams and the agents' work before the listener closes, or close() would wait for clients that never
  // leave and for sends that wait on timers.
  app.addHook("preClose", (done) => {
    fleet.close();
    done();
  });

  const first = fleet.first;
  await app.register((scope) => agentRoutes(scope, () => first));
  await app.register(
    (scope) =>
      agentRoutes(scope, (request) => {
        const segment = (request.params as { agent?: string }).agent ?? "";
        const agent = fleet.byPathSegment(segment);
        if (agent === undefined)
          throw new HttpProblem(404, `no agent ${segment.slice(0, 20)} (agents 1-${fleet.size})`);
        return agent;
      }),
    { prefix: "/agents/:agent" },
  );
}

/** One upstream server's surface; `agentOf` picks the agent (and so its lock, conversation and streams). */
async function agentRoutes(app: FastifyInstance, agentOf: AgentResolver): Promise<void> {
  app.get("/status", { schema: { response: { 200: statusResponse } } }, (request, reply) => {
    // The hottest route under load: a body serialized once per Host value and agent status (status.ts), sent as a
    // string so no serializer runs (the schema still documents the shape). Upstream reads it under the server's
    // read lock, so during a send it waits; otherwise it is answered synchronously (a block body, not `return
    // reply`: fastify would treat the returned reply as a thenable and wait on it).
    const agent = agentOf(request);
    void humaReply(reply).header("link", STATUS_LINK);
    if (agent.lock.readable) {
      void reply.send(agent.statusBodies.current(request.headers.host));
      return;
    }
    return agent.lock.waitForRead().then(() => agent.statusBodies.current(request.headers.host));
  });

  const messagesLink = describedBy("MessagesResponseBody");
  app.get("/messages", { schema: { response: { 200: messagesResponse } } }, (request, reply) => {
    const agent = agentOf(request);
    void humaReply(reply).header("Link", messagesLink);
    const body = (): string =>
      humaJson({
        $schema: links.link(request.headers.host, "MessagesResponseBody"),
        messages: agent.conversation.messages(),
      });
    return agent.lock.readable ? body() : agent.lock.waitForRead().then(body);
  });

  const messageLink = describedBy("MessageResponseBody");
  app.post(
    "/message",
    { schema: { body: messageRequest, response: { 200: messageResponse } } },
    async (request: FastifyRequest<{ Body: MessageBody }>, reply) => {
      const agent = agentOf(request);
      const { content, type } = request.body;
      // Upstream holds the server's lock exclusively for the whole send, content checks included.
      // Under ACP a send (user or raw) lasts the agent's whole turn, and so does the lock.
      await agent.lock.write(async () => {
        try {
          if (type === "raw") await agent.conversation.sendRaw(content);
          else await agent.conversation.sendUser(content);
        } catch (error) {
          if (!(error instanceof MessageRejected)) throw error;
          // Upstream returns the agent's refusal as a handler error: huma's 500 with the reason in `errors`.
          throw new HttpProblem(500, "unexpected error occurred", {
            errors: [{ message: `failed to send message: ${error.message}` }],
          });
        }
      });
      void humaReply(reply).header("Link", messageLink);
      return humaJson({ $schema: links.link(request.headers.host, "MessageResponseBody"), ok: true });
    },
  );

  app.get("/events", (request, reply) => {
    agentOf(request).events.open(reply);
  });

  // Multipart lives in its own encapsulated context: @fastify/multipart adds an async onRequest and an onResponse
  // hook to every route of the context it is registered in, and only /upload needs them.
  await app.register(async (scope) => {
    await scope.register(multipart, {
      // One byte over the limit marks a file as too large (busboy truncates at the limit).
      limits: { fileSize: MAX_UPLOAD_BYTES, files: 4, fields: 16, parts: 32, fieldSize: 64 * 1024, headerPairs: 64 },
      throwFileSizeLimit: false,
    });
    const uploadLink = describedBy("UploadResponseBody");
    scope.post("/upload", { schema: { response: { 200: uploadResponse } } }, async (request, reply) => {
      // Upstream's (huma's) multipart errors: 422 "validation failed" with the reason and where.
      const unreadable = (reason: string): HttpProblem =>
        new HttpProblem(422, "validation failed", {
          errors: [{ message: `cannot read multipart form: ${reason}`, location: "body" }],
        });
      if (!request.isMultipart()) throw unreadable("request Content-Type isn't multipart/form-data");
      let filePath: string | undefined;
      let tooLarge = false;
      try {
        for await (const part of request.parts()) {
          if (part.type !== "file") continue;
          if (part.fieldname !== "file" || filePath !== undefined || tooLarge) {
            part.file.resume();
            continue;
          }
          // The content is hashed (as upstream names its directory) and discarded: nothing accumulates on disk.
          const hash = createHash("sha256");
          for await (const chunk of part.file) hash.update(chunk as Buffer);
          if (part.file.truncated) {
            tooLarge = true;
            continue;
          }
          const name = basename(part.filename || "file");
          const safeName = name === "." || name === ".." || name === "" ? "file" : name;
          filePath = `${UPLOAD_ROOT}/${hash.digest("hex").slice(0, 16)}/${safeName}`;
        }
      } catch (error) {
        // busboy's parse errors (no boundary, truncated form) carry no status: they are the client's malformed body.
        const status = (error as { statusCode?: unknown }).statusCode;
        if (error instanceof HttpProblem || (typeof status === "number" && status < 500)) throw error;
        throw unreadable(error instanceof Error ? error.message : String(error));
      }
      if (tooLarge) throw new HttpProblem(400, "file size exceeds 10MB limit");
      if (filePath === undefined) {
        throw new HttpProblem(422, "validation failed", { errors: [{ message: "File required", location: "file" }] });
      }
      void humaReply(reply).header("Link", uploadLink);
      return humaJson({ $schema: links.link(request.headers.host, "UploadResponseBody"), ok: true, filePath });
    });
  });

  const openApiBody = JSON.stringify(buildOpenApi(UPSTREAM_VERSION), null, 2);
  app.get("/openapi.json", (_request, reply) => reply.type(JSON_TYPE).send(openApiBody));

  app.get("/schemas/:file", (request: FastifyRequest<{ Params: { file: string } }>, reply: FastifyReply) => {
    const file = request.params.file;
    const name = file.endsWith(".json") ? file.slice(0, -5) : "";
    if (!Object.hasOwn(components, name)) throw new HttpProblem(404, `no schema named ${file.slice(0, 80)}`);
    return reply.type(JSON_TYPE).send({ $id: `/schemas/${file}`, ...components[name as ComponentName] });
  });
}
