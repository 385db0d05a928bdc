// The coordinator's HTTP API as the CLI uses it: JSON in and out, the admin token on mutating
// calls, errors turned into exit codes (unreachable 3, a refused request 2, a server error 1).
import { CliError, EXIT } from "./errors.js";
import { readSse, type SseItem } from "./sse.js";

interface ErrorBody {
  error?: { code?: string; message?: string };
}

export class CoordinatorClient {
  constructor(
    readonly base: string,
    private readonly token: string | undefined,
  ) {}

  private unreachable(err: unknown): CliError {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return new CliError(
      `cannot reach the coordinator at ${this.base} (${cause?.code ?? cause?.message ?? (err as Error).message}). Start it (npm start) or point --coordinator / FEDLEDGER_COORDINATOR at it.`,
      EXIT.unreachable,
    );
  }

  /** The raw response of a call (non-2xx answers are errors with the coordinator's message). */
  async fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.token && method !== "GET") headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw this.unreachable(err);
    }
    if (res.ok) return res;
    const text = await res.text();
    let message = text.slice(0, 500) || res.statusText;
    try {
      const parsed = JSON.parse(text) as ErrorBody;
      if (parsed.error?.message) message = `${parsed.error.code}: ${parsed.error.message}`;
    } catch {
      /* not JSON */
    }
    const hint =
      res.status === 401 ? " (set FEDLEDGER_ADMIN_TOKEN or pass --token-file <file>)" : "";
    throw new CliError(
      `${method} ${path}: HTTP ${res.status} ${message}${hint}`,
      res.status >= 500 ? EXIT.failed : EXIT.usage,
    );
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(method, path, body);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>("GET", path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>("POST", path, body);
  }

  /** The run's event stream (history first, then live), until the signal aborts or it ends. */
  async *events(runId: string, signal?: AbortSignal): AsyncGenerator<SseItem> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/runs/${encodeURIComponent(runId)}/events`, {
        headers: { accept: "text/event-stream" },
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) return;
      throw this.unreachable(err);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new CliError(`the event stream of ${runId}: HTTP ${res.status}`, EXIT.usage);
    }
    try {
      yield* readSse(res.body);
    } catch (err) {
      if (signal?.aborted) return;
      throw this.unreachable(err);
    }
  }
}
