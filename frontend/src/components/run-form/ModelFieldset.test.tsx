import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CreateRunRequest, RunSummary } from "../../../../backend/src/domain/index";
import { CreateRunRequest as Schema, presetById } from "../../../../backend/src/domain/index";
import { continueRequest } from "../../run-request";
import { RunForm } from "./RunForm";

afterEach(cleanup);

function submitted(onSubmit: ReturnType<typeof vi.fn>): CreateRunRequest {
  expect(onSubmit).toHaveBeenCalledTimes(1);
  return onSubmit.mock.calls[0]![0] as CreateRunRequest;
}

const change = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe("RunForm model registry options", () => {
  it("leaves a preset's request alone until an option is set", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    fireEvent.click(screen.getByTestId("start-run"));
    const req = submitted(onSubmit);
    for (const key of ["initialModel", "stopAtAccuracy", "rollbackDropPoints", "keepBest"])
      expect(req).not.toHaveProperty(key);
  });

  it("submits a warm start, an early stop, rollback, keepBest and a retention policy", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    change("Start from", "version");
    change("From run", "run-00000000ab");
    change("Version", "3");
    change("Stop at accuracy (%)", "97.5");
    change("Roll back after a drop of (points)", "5");
    fireEvent.click(screen.getByLabelText("Keep the best version"));
    change("Keep model versions", "best-and-last");
    change("Last versions (N)", "2");
    change("Keep node updates", "last");
    change("Update rounds (N)", "1");
    fireEvent.click(screen.getByTestId("start-run"));
    const req = submitted(onSubmit);
    expect(req).toMatchObject({
      initialModel: { run: "run-00000000ab", round: 3 },
      stopAtAccuracy: 0.975,
      rollbackDropPoints: 5,
      keepBest: false,
      retention: {
        models: { keep: "best-and-last", last: 2 },
        updates: { keep: "last", rounds: 1 },
      },
    });
    expect(Schema.safeParse(req).success).toBe(true);
  });

  it("starts from a model hash, refuses one that is not a hash, and goes back to fresh weights", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    change("Start from", "hash");
    change("Model hash", "0x1234");
    fireEvent.click(screen.getByTestId("start-run"));
    expect(onSubmit).not.toHaveBeenCalled();
    const hash = `0x${"ab".repeat(32)}`;
    change("Model hash", hash);
    fireEvent.click(screen.getByTestId("start-run"));
    expect(submitted(onSubmit).initialModel).toEqual({ hash });
    change("Start from", "fresh");
    fireEvent.click(screen.getByTestId("start-run"));
    expect(onSubmit.mock.calls[1]![0]).not.toHaveProperty("initialModel");
  });

  it("opens prefilled to continue a run from one of its versions", () => {
    const preset = presetById("quick-demo")!;
    const config = Schema.parse(preset.request);
    const run = { id: "run-0123456789", name: "Source", config } as unknown as RunSummary;
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialRequest={continueRequest(run, 2)} />);
    expect((screen.getByLabelText("From run") as HTMLInputElement).value).toBe("run-0123456789");
    expect((screen.getByLabelText("Version") as HTMLInputElement).value).toBe("2");
    fireEvent.click(screen.getByTestId("start-run"));
    const req = submitted(onSubmit);
    expect(req.initialModel).toEqual({ run: "run-0123456789", round: 2 });
    expect(req.name).toBe("Source from round 2");
    expect(req.rounds).toBe(config.rounds);
  });
});
