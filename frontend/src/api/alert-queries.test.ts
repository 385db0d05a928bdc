import { afterEach, describe, expect, it, vi } from "vitest";
import type { Alert } from "../../../backend/src/domain/index";
import {
  acknowledgeErrorMessage,
  alertApi,
  contributionKey,
  subscribeAlertEvents,
  worstSeverity,
  type AlertEventData,
} from "./alert-queries";
import { ApiError } from "./client";
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

const alert = (over: Partial<Alert> = {}): Alert => ({
  id: 1,
  kind: "accuracy-drop",
  severity: "warning",
  runId: "run-0123456789",
  nodeId: null,
  message: "Test accuracy 61% is 22 points below the run's best (83%)",
  action: "Check the last rounds' updates",
  raisedAt: 1_700_000_000_000,
  clearedAt: null,
  acknowledgedAt: null,
  ...over,
});

class FakeEventSource {
  static instances: FakeEventSource[] = [];
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  readyState = 0;
  closed = false;
  private readonly handlers = new Map<string, ((e: MessageEvent<string>) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent<string>) => void) {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: string) {
    for (const fn of this.handlers.get(type) ?? []) fn(new MessageEvent(type, { data }));
  }
}

describe("alert API calls", () => {
  it("lists alerts by status, run and limit", async () => {
    const fetchFn = stubFetch(() =>
      Promise.resolve(Response.json({ alerts: [], counts: { active: 0, unacknowledged: 0 } })),
    );
    await alertApi.list({ status: "unacknowledged", run: "run-0123456789", limit: 50 });
    await alertApi.list({ status: "all" });
    expect(fetchFn.mock.calls.map((c) => c[0])).toEqual([
      "/api/alerts?status=unacknowledged&run=run-0123456789&limit=50",
      "/api/alerts?status=all",
    ]);
  });

  it("acknowledges with a POST that carries the admin token", async () => {
    writeAdminToken("0123456789abcdef");
    const acked = alert({ acknowledgedAt: 1_700_000_100_000 });
    const fetchFn = stubFetch(() => Promise.resolve(Response.json(acked)));
    expect(await alertApi.acknowledge(7)).toEqual(acked);
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe("/api/alerts/7/acknowledge");
    expect(init?.method).toBe("POST");
    expect(init?.body).toBeUndefined();
    expect((init?.headers as Record<string, string>).authorization).toBe("Bearer 0123456789abcdef");
  });

  it("keeps the coordinator's error code, and reports a coordinator that is down", async () => {
    stubFetch(() =>
      Promise.resolve(
        Response.json(
          { error: { code: "alert_not_found", message: "No alert 9" } },
          { status: 404 },
        ),
      ),
    );
    const err = (await alertApi.acknowledge(9).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(404);
    expect(err.code).toBe("alert_not_found");
    expect(acknowledgeErrorMessage(err)).toMatch(/no such alert/);

    stubFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    const down = (await alertApi.list({ status: "active" }).catch((e: unknown) => e)) as ApiError;
    expect(down.coordinatorDown).toBe(true);
  });

  it("asks for every stored contribution (the coordinator's cap) to read anomaly flags (flagged ones only)", async () => {
    const fetchFn = stubFetch(() => Promise.resolve(Response.json([])));
    await alertApi.storedContributions("run-0123456789");
    await alertApi.storedContributions();
    expect(fetchFn.mock.calls.map((c) => c[0])).toEqual([
      "/api/contributions?limit=10000&flagged=true&run=run-0123456789",
      "/api/contributions?limit=10000&flagged=true",
    ]);
    expect(contributionKey(3, "0xABcd")).toBe("3:0xabcd");
  });
});

describe("acknowledgeErrorMessage", () => {
  const unauthorized = new ApiError("http", "admin token required", 401, "unauthorized");
  it("tells a missing token from a refused one", () => {
    expect(acknowledgeErrorMessage(unauthorized, false)).toMatch(/needs the coordinator's admin/);
    expect(acknowledgeErrorMessage(unauthorized, true)).toMatch(/refused the admin token/);
  });
});

describe("worstSeverity", () => {
  it("ranks critical over warning over info", () => {
    expect(worstSeverity([])).toBeNull();
    expect(worstSeverity([{ severity: "info" }, { severity: "warning" }])).toBe("warning");
    expect(
      worstSeverity([{ severity: "warning" }, { severity: "critical" }, { severity: "info" }]),
    ).toBe("critical");
  });
});

describe("subscribeAlertEvents", () => {
  it("shares one stream among subscribers and closes it after the last leaves", () => {
    FakeEventSource.instances = [];
    vi.stubGlobal("EventSource", FakeEventSource);
    const a: (AlertEventData | null)[] = [];
    const b: (AlertEventData | null)[] = [];
    const offA = subscribeAlertEvents((e) => a.push(e));
    const offB = subscribeAlertEvents((e) => b.push(e));
    expect(FakeEventSource.instances).toHaveLength(1);
    const es = FakeEventSource.instances[0]!;
    expect(es.url).toBe("/api/alerts/events");

    es.onopen?.();
    const data: AlertEventData = { change: "raised", alert: alert() };
    es.emit("alert", JSON.stringify(data));
    es.emit("alert", "not json");
    expect(a).toEqual([null, data]);
    expect(b).toEqual([null, data]);

    offA();
    expect(es.closed).toBe(false);
    offB();
    expect(es.closed).toBe(true);
    subscribeAlertEvents(() => {})();
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it("opens the stream again a while after the coordinator refused it", () => {
    vi.useFakeTimers();
    try {
      FakeEventSource.instances = [];
      vi.stubGlobal("EventSource", FakeEventSource);
      const off = subscribeAlertEvents(() => {});
      const first = FakeEventSource.instances[0]!;
      first.onerror?.(); // a dropped connection the browser retries itself: nothing to do
      expect(FakeEventSource.instances).toHaveLength(1);
      first.readyState = 2; // refused (e.g. 429): the browser gave up
      first.onerror?.();
      vi.advanceTimersByTime(29_000);
      expect(FakeEventSource.instances).toHaveLength(1);
      vi.advanceTimersByTime(1_000);
      expect(FakeEventSource.instances).toHaveLength(2);
      off();
      expect(FakeEventSource.instances[1]!.closed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does nothing where the browser has no EventSource (polling still runs)", () => {
    vi.stubGlobal("EventSource", undefined);
    const off = subscribeAlertEvents(() => {});
    expect(off).toBeTypeOf("function");
    off();
  });
});
