import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError } from "./client";
import { writeAdminToken } from "./settings";

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

function stubFetch(impl: (url: string, init?: RequestInit) => Promise<Response>) {
  const fn = vi.fn(impl);
  vi.stubGlobal("fetch", fn);
  return fn;
}

describe("api client", () => {
  it("reports a coordinator that does not answer as down", async () => {
    stubFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    const err = await api.runs().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).coordinatorDown).toBe(true);
    expect((err as ApiError).message).toContain("npm start");
  });

  it("treats the dev proxy's 502 as the coordinator being down", async () => {
    stubFetch(() => Promise.resolve(new Response("", { status: 502 })));
    const err = (await api.health().catch((e: unknown) => e)) as ApiError;
    expect(err.coordinatorDown).toBe(true);
  });

  it("surfaces the coordinator's error message and code", async () => {
    stubFetch(() =>
      Promise.resolve(
        Response.json(
          { error: { code: "invalid_request", message: "numNodes: too small" } },
          { status: 400 },
        ),
      ),
    );
    const err = (await api.createRun({} as never).catch((e: unknown) => e)) as ApiError;
    expect(err.kind).toBe("http");
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_request");
    expect(err.message).toBe("numNodes: too small");
  });

  it("sends the admin token with mutating calls only", async () => {
    writeAdminToken("s3cret");
    const fetchFn = stubFetch(() => Promise.resolve(Response.json({ id: "run-0123456789" })));
    await api.controlRun("run-0123456789", "pause");
    await api.runs();
    const [post, get] = fetchFn.mock.calls;
    expect(post?.[0]).toBe("/api/runs/run-0123456789/pause");
    expect((post?.[1]?.headers as Record<string, string>).authorization).toBe("Bearer s3cret");
    expect((get?.[1]?.headers as Record<string, string>).authorization).toBeUndefined();
  });

  it("builds the contributions query", async () => {
    const fetchFn = stubFetch(() => Promise.resolve(Response.json([])));
    await api.contributions({ run: "run-0123456789", node: "sim-1" });
    expect(fetchFn.mock.calls[0]?.[0]).toBe("/api/contributions?run=run-0123456789&node=sim-1");
  });

  it("asks for one run's contribution totals, or every run's", async () => {
    const fetchFn = stubFetch(() => Promise.resolve(Response.json({})));
    await api.contributionTotals("run-0123456789");
    await api.contributionTotals();
    expect(fetchFn.mock.calls.map((c) => c[0])).toEqual([
      "/api/contributions/totals?run=run-0123456789",
      "/api/contributions/totals",
    ]);
  });
});
