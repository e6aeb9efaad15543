// JSON Schemas of the AgentAPI surface, written for this target to match upstream's wire format (coder/agentapi
// 0.12.x): the same component names, fields, types and enums. They drive request validation, fast response
// serialization and the target's own /openapi.json.

const schemaLink = {
  type: "string",
  format: "uri",
  readOnly: true,
  description: "Link to the JSON Schema of this object (served under /schemas/).",
} as const;

const agentStatus = { type: "string", enum: ["running", "stable"], title: "AgentStatus" } as const;
const role = { type: "string", enum: ["agent", "user"], title: "ConversationRole" } as const;

export const components = {
  AgentStatus: agentStatus,
  ConversationRole: role,
  MessageType: { type: "string", enum: ["raw", "user"], title: "MessageType" },
  Transport: { type: "string", enum: ["acp", "pty"], title: "Transport" },
  StatusResponseBody: {
    type: "object",
    additionalProperties: false,
    required: ["agent_type", "status", "transport"],
    properties: {
      $schema: schemaLink,
      agent_type: { type: "string", description: "The kind of agent this server fronts (e.g. claude)." },
      status: { ...agentStatus, description: "running: the agent is working on a message; stable: it waits." },
      transport: { type: "string", enum: ["acp", "pty"], description: "How the server talks to the agent." },
    },
  },
  Message: {
    type: "object",
    additionalProperties: false,
    required: ["content", "id", "role", "time"],
    properties: {
      id: { type: "integer", format: "int64", description: "Position of the message in the conversation." },
      content: { type: "string", description: "The text as the agent's terminal shows it (80-column lines)." },
      role,
      time: { type: "string", format: "date-time", description: "When the message last changed." },
    },
  },
  MessagesResponseBody: {
    type: "object",
    additionalProperties: false,
    required: ["messages"],
    properties: {
      $schema: schemaLink,
      messages: { type: "array", items: { $ref: "#/components/schemas/Message" } },
    },
  },
  MessageRequestBody: {
    type: "object",
    additionalProperties: false,
    required: ["content", "type"],
    properties: {
      $schema: schemaLink,
      content: { type: "string", description: "The message text (user) or keystrokes (raw)." },
      type: {
        type: "string",
        enum: ["raw", "user"],
        description: "user: stored in the history and sent to the agent; raw: written to the terminal only.",
      },
    },
  },
  MessageResponseBody: {
    type: "object",
    additionalProperties: false,
    required: ["ok"],
    properties: { $schema: schemaLink, ok: { type: "boolean" } },
  },
  UploadResponseBody: {
    type: "object",
    additionalProperties: false,
    required: ["filePath", "ok"],
    properties: { $schema: schemaLink, filePath: { type: "string" }, ok: { type: "boolean" } },
  },
  MessageUpdateBody: {
    type: "object",
    additionalProperties: false,
    required: ["id", "message", "role", "time"],
    properties: {
      id: { type: "integer", format: "int64" },
      message: { type: "string" },
      role,
      time: { type: "string", format: "date-time" },
    },
  },
  StatusChangeBody: {
    type: "object",
    additionalProperties: false,
    required: ["agent_type", "status"],
    properties: { agent_type: { type: "string" }, status: agentStatus },
  },
  ErrorLevel: { type: "string", enum: ["error", "warning"], title: "ErrorLevel" },
  ErrorBody: {
    type: "object",
    additionalProperties: false,
    required: ["level", "message", "time"],
    properties: {
      message: { type: "string", description: "Error message" },
      level: { type: "string", enum: ["error", "warning"], title: "ErrorLevel", description: "Error level" },
      time: { type: "string", format: "date-time", description: "Timestamp when the error occurred" },
    },
  },
  ErrorDetail: {
    type: "object",
    additionalProperties: false,
    properties: {
      location: { type: "string", description: "Where the problem is, e.g. body.type." },
      message: { type: "string" },
      value: { description: "The offending value." },
    },
  },
  ErrorModel: {
    type: "object",
    additionalProperties: false,
    properties: {
      $schema: schemaLink,
      type: { type: "string", format: "uri", default: "about:blank" },
      title: { type: "string" },
      status: { type: "integer", format: "int64" },
      detail: { type: "string" },
      instance: { type: "string", format: "uri" },
      errors: { type: "array", nullable: true, items: { $ref: "#/components/schemas/ErrorDetail" } },
    },
  },
  HealthBody: {
    type: "object",
    required: ["status"],
    properties: { status: { type: "string", enum: ["ok", "draining"] } },
  },
} as const;

export type ComponentName = keyof typeof components;

// Serialization schemas for fastify (self-contained: no $ref, so fast-json-stringify needs no shared registry).
export const statusResponse = components.StatusResponseBody;
export const messagesResponse = {
  ...components.MessagesResponseBody,
  properties: { $schema: schemaLink, messages: { type: "array", items: components.Message } },
} as const;
export const messageRequest = components.MessageRequestBody;
export const messageResponse = components.MessageResponseBody;
export const uploadResponse = components.UploadResponseBody;
