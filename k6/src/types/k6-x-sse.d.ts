// Types for the xk6-sse extension (github.com/phymbert/xk6-sse v0.1.x), which @types/k6 does not cover.
// sse.open() blocks the VU while the stream is open; handlers run on the VU's thread; client.close() ends it.

declare module "k6/x/sse" {
  export interface SseParams {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    tags?: Record<string, string>;
  }

  export interface SseEvent {
    id: string;
    name: string;
    data: string;
    comment: string;
  }

  export interface SseError {
    error(): string;
  }

  export interface SseClient {
    on(event: "open", handler: () => void): void;
    on(event: "event", handler: (event: SseEvent) => void): void;
    on(event: "error", handler: (error: SseError) => void): void;
    close(): void;
  }

  export interface SseResponse {
    url: string;
    status: number;
    headers: Record<string, string>;
    error: string;
  }

  export function open(url: string, params: SseParams, setup: (client: SseClient) => void): SseResponse;
  export function open(url: string, setup: (client: SseClient) => void): SseResponse;

  const sse: { open: typeof open };
  export default sse;
}
