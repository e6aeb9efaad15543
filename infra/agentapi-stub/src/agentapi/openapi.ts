// The target's own OpenAPI 3.0 document (GET /openapi.json): every path it serves on the AgentAPI listener,
// built from the same schemas that validate and serialize the traffic.
import { components } from "./schemas";

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });

const problem = {
  description: "Error (RFC 9457 problem details)",
  content: { "application/problem+json": { schema: ref("ErrorModel") } },
};

const json = (name: string, description = "OK"): object => ({
  description,
  content: { "application/json": { schema: ref(name) } },
});

function sseEvent(name: string, body: string): object {
  return {
    type: "object",
    title: `Event ${name}`,
    required: ["data", "event"],
    properties: {
      event: { type: "string", const: name, description: "The event name." },
      data: ref(body),
      id: { type: "integer", description: "The event ID." },
      retry: { type: "integer", description: "The retry time in milliseconds." },
    },
  };
}

export function buildOpenApi(version: string): Record<string, unknown> {
  return {
    openapi: "3.0.3",
    info: {
      title: "AgentAPI",
      version,
      description:
        "Reference AgentAPI target of agentapi-load: the AgentAPI HTTP contract (coder/agentapi) served by a " +
        "simulated agent, plus health and schema endpoints.",
    },
    paths: {
      "/status": {
        get: {
          operationId: "get-status",
          summary: "Get status",
          description: "The agent's current status.",
          responses: { "200": json("StatusResponseBody"), default: problem },
        },
      },
      "/messages": {
        get: {
          operationId: "get-messages",
          summary: "Get messages",
          description: "The conversation history, oldest first (bounded: the oldest messages are dropped).",
          responses: { "200": json("MessagesResponseBody"), default: problem },
        },
      },
      "/message": {
        post: {
          operationId: "post-message",
          summary: "Post message",
          description:
            "Send a message. A `user` message needs the agent to be `stable`, and must be non-empty and trimmed; " +
            "a `raw` message is written to the terminal in any state and is not stored.",
          requestBody: {
            required: true,
            content: { "application/json": { schema: ref("MessageRequestBody") } },
          },
          responses: { "200": json("MessageResponseBody"), default: problem },
        },
      },
      "/upload": {
        post: {
          operationId: "post-upload",
          summary: "Post upload",
          description: "Upload one file (multipart field `file`, at most 10 MiB).",
          requestBody: {
            content: {
              "multipart/form-data": {
                schema: {
                  type: "object",
                  required: ["file"],
                  properties: { file: { type: "string", format: "binary", description: "The file." } },
                },
                encoding: { file: { contentType: "application/octet-stream" } },
              },
            },
          },
          responses: { "200": json("UploadResponseBody"), default: problem },
        },
      },
      "/events": {
        get: {
          operationId: "subscribeEvents",
          summary: "Subscribe to events",
          description:
            "Server-Sent Events. First the events that rebuild the current state (a message_update per message, " +
            "then a status_change, then the stored agent_error events), then each change as it happens.",
          responses: {
            "200": {
              description: "OK",
              content: {
                "text/event-stream": {
                  schema: {
                    title: "Server Sent Events",
                    type: "array",
                    items: {
                      oneOf: [
                        sseEvent("agent_error", "ErrorBody"),
                        sseEvent("message_update", "MessageUpdateBody"),
                        sseEvent("status_change", "StatusChangeBody"),
                      ],
                    },
                  },
                },
              },
            },
            default: problem,
          },
        },
      },
      "/openapi.json": {
        get: {
          operationId: "get-openapi",
          summary: "This document",
          responses: { "200": { description: "OK", content: { "application/json": { schema: { type: "object" } } } } },
        },
      },
      "/schemas/{name}.json": {
        get: {
          operationId: "get-schema",
          summary: "JSON Schema of one component (the target of every `$schema` link)",
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": { description: "OK", content: { "application/json": { schema: { type: "object" } } } },
            default: problem,
          },
        },
      },
      "/healthz": {
        get: {
          operationId: "get-healthz",
          summary: "Health check (not part of upstream AgentAPI)",
          responses: { "200": json("HealthBody"), "503": json("HealthBody", "Draining"), default: problem },
        },
      },
    },
    components: { schemas: components },
  };
}
