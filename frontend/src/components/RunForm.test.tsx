import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CreateRunRequest } from "../../../backend/src/api/schemas";
import { RUN_PRESETS } from "../presets";
import { RunForm } from "./RunForm";

afterEach(cleanup);

function submitted(onSubmit: ReturnType<typeof vi.fn>): CreateRunRequest {
  expect(onSubmit).toHaveBeenCalledTimes(1);
  return onSubmit.mock.calls[0]![0] as CreateRunRequest;
}

describe("RunForm", () => {
  it.each(RUN_PRESETS.map((p) => [p.id, p] as const))(
    "submits the %s preset as its CreateRunRequest",
    (id, preset) => {
      const onSubmit = vi.fn();
      render(<RunForm onSubmit={onSubmit} />);
      fireEvent.change(screen.getByLabelText("Preset"), { target: { value: id } });
      fireEvent.click(screen.getByTestId("start-run"));
      expect(submitted(onSubmit)).toEqual(preset.request);
    },
  );

  it("shows strategy parameters for the chosen strategy and submits edits", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    fireEvent.change(screen.getByLabelText("Strategy"), { target: { value: "fedprox" } });
    fireEvent.change(screen.getByLabelText("Proximal μ"), { target: { value: "0.1" } });
    fireEvent.change(screen.getByLabelText("Rounds"), { target: { value: "3" } });
    fireEvent.change(screen.getByLabelText("Partition"), { target: { value: "dirichlet" } });
    fireEvent.click(screen.getByTestId("start-run"));
    const req = submitted(onSubmit);
    expect(req.strategy).toEqual({ name: "fedprox", mu: 0.1 });
    expect(req.rounds).toBe(3);
    expect(req.partition).toEqual({ kind: "dirichlet", alpha: 0.5 });
  });

  it("does not submit an invalid form and says which field is wrong", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    fireEvent.change(screen.getByLabelText("Nodes"), { target: { value: "0" } });
    fireEvent.change(screen.getByLabelText("Tokens per round"), { target: { value: "lots" } });
    fireEvent.click(screen.getByTestId("start-run"));
    expect(onSubmit).not.toHaveBeenCalled();
    const alerts = screen.getAllByRole("alert").map((a) => a.textContent);
    expect(alerts.some((t) => t?.includes("Fix the highlighted fields"))).toBe(true);
    expect(alerts.some((t) => t?.includes("decimal token amount"))).toBe(true);
  });

  it("shows how many nodes train per round", () => {
    render(<RunForm onSubmit={vi.fn()} initialPreset="fedavg-iid" />);
    expect(screen.getByText("10 node(s) per round")).toBeTruthy();
  });

  it("shows the coordinator's refusal", () => {
    render(<RunForm onSubmit={vi.fn()} serverError="numNodes: too big" />);
    expect(screen.getByRole("alert").textContent).toContain("numNodes: too big");
  });
});
