import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CreateRunRequest } from "../../../../backend/src/domain/index";
import {
  DATASETS,
  describeParams,
  MODELS,
  RUN_PRESETS,
  STRATEGIES,
} from "../../../../backend/src/domain/index";
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
    fireEvent.change(screen.getByLabelText("μ"), { target: { value: "0.1" } });
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
    fireEvent.change(screen.getByLabelText("Pool per round (FLR)"), { target: { value: "lots" } });
    fireEvent.click(screen.getByTestId("start-run"));
    expect(onSubmit).not.toHaveBeenCalled();
    const alerts = screen.getAllByRole("alert").map((a) => a.textContent);
    expect(alerts.some((t) => t?.includes("Fix the highlighted fields"))).toBe(true);
    expect(alerts.some((t) => t?.includes("decimal token amount"))).toBe(true);
  });

  it("starts a run for remote node agents with its minimum, round and stage timeouts", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    expect(screen.queryByLabelText("Min nodes")).toBeNull();
    fireEvent.change(screen.getByLabelText("Node source"), { target: { value: "remote" } });
    fireEvent.change(screen.getByLabelText("Min nodes"), { target: { value: "2" } });
    fireEvent.change(screen.getByLabelText("Round timeout (s)"), { target: { value: "90" } });
    fireEvent.change(screen.getByLabelText("Aggregation"), { target: { value: "secure" } });
    fireEvent.change(screen.getByLabelText("Contribution score"), {
      target: { value: "aggregate-loss" },
    });
    fireEvent.change(screen.getByLabelText("Stage timeout (s)"), { target: { value: "20" } });
    fireEvent.click(screen.getByTestId("start-run"));
    const req = submitted(onSubmit);
    expect(req).toMatchObject({ nodeSource: "remote", minNodes: 2, roundTimeoutMs: 90_000 });
    expect(req.aggregation).toEqual({ mode: "secure", clipRange: 1, stageTimeoutMs: 20_000 });
  });

  it("drops the remote-only settings when switched back to simulated nodes", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    fireEvent.change(screen.getByLabelText("Node source"), { target: { value: "remote" } });
    fireEvent.change(screen.getByLabelText("Min nodes"), { target: { value: "2" } });
    fireEvent.change(screen.getByLabelText("Node source"), { target: { value: "simulated" } });
    fireEvent.click(screen.getByTestId("start-run"));
    const req = submitted(onSubmit);
    expect(req.nodeSource).toBe("simulated");
    expect(req).not.toHaveProperty("minNodes");
    expect(req).not.toHaveProperty("roundTimeoutMs");
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

describe("RunForm privacy and aggregation", () => {
  it("switches DP-FedAvg on with fixed or adaptive clipping and submits its settings", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    expect(screen.queryByLabelText("Clip norm (C)")).toBeNull();
    fireEvent.change(screen.getByLabelText("Differential privacy"), { target: { value: "on" } });
    fireEvent.change(screen.getByLabelText("Clip norm (C)"), { target: { value: "0.5" } });
    fireEvent.change(screen.getByLabelText("Noise multiplier (z)"), { target: { value: "1.2" } });
    fireEvent.change(screen.getByLabelText("Clipping"), { target: { value: "adaptive" } });
    fireEvent.change(screen.getByLabelText("Target quantile"), { target: { value: "0.7" } });
    fireEvent.change(screen.getByLabelText("δ (delta)"), { target: { value: "0.0001" } });
    fireEvent.click(screen.getByTestId("start-run"));
    expect(submitted(onSubmit).privacy).toEqual({
      clipNorm: 0.5,
      noiseMultiplier: 1.2,
      adaptiveClipping: { targetQuantile: 0.7, learningRate: 0.2 },
      delta: 1e-4,
    });
  });

  it("drops adaptive clipping and DP from the request when switched off, and restores DP", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="dp-fedavg" />);
    fireEvent.change(screen.getByLabelText("Noise multiplier (z)"), { target: { value: "0.5" } });
    fireEvent.change(screen.getByLabelText("Clipping"), { target: { value: "adaptive" } });
    fireEvent.change(screen.getByLabelText("Clipping"), { target: { value: "fixed" } });
    fireEvent.change(screen.getByLabelText("Differential privacy"), { target: { value: "off" } });
    fireEvent.click(screen.getByTestId("start-run"));
    expect(submitted(onSubmit)).not.toHaveProperty("privacy");
    fireEvent.change(screen.getByLabelText("Differential privacy"), { target: { value: "on" } });
    fireEvent.click(screen.getByTestId("start-run"));
    const again = onSubmit.mock.calls[1]![0] as CreateRunRequest;
    expect(again.privacy).toEqual({ clipNorm: 1, noiseMultiplier: 0.5, delta: 1e-5 });
    expect(Object.keys(again.privacy!)).not.toContain("adaptiveClipping");
  });

  it("says at once that secure aggregation needs aggregate-loss rewards, and submits once chosen", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    fireEvent.change(screen.getByLabelText("Aggregation"), { target: { value: "secure" } });
    const policy = screen.getByLabelText("Contribution score");
    expect(policy.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getAllByRole("alert").map((a) => a.textContent)).toContain(
      "secure aggregation hides each node's update, so per-node loss rewards cannot be measured: use reward.policy aggregate-loss",
    );
    fireEvent.click(screen.getByTestId("start-run"));
    expect(onSubmit).not.toHaveBeenCalled();

    fireEvent.change(policy, { target: { value: "aggregate-loss" } });
    expect(screen.getByText(/the only policy secure aggregation allows/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Clip range (R)"), { target: { value: "0.5" } });
    fireEvent.change(screen.getByLabelText("Neighbours"), { target: { value: "3" } });
    fireEvent.change(screen.getByLabelText("Neighbours"), { target: { value: "" } });
    fireEvent.click(screen.getByTestId("start-run"));
    const req = submitted(onSubmit);
    expect(req.aggregation).toEqual({ mode: "secure", clipRange: 0.5 });
    expect(Object.keys(req.aggregation!)).not.toContain("neighbours");
    expect(req.reward?.policy).toBe("aggregate-loss");
  });

  it("refuses robust strategies and Byzantine nodes with secure aggregation, at their fields", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="byzantine" />);
    fireEvent.change(screen.getByLabelText("Contribution score"), {
      target: { value: "aggregate-loss" },
    });
    fireEvent.change(screen.getByLabelText("Aggregation"), { target: { value: "secure" } });
    expect(screen.getByLabelText("Strategy").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByLabelText("Byzantine nodes").getAttribute("aria-invalid")).toBe("true");
    fireEvent.click(screen.getByTestId("start-run"));
    expect(onSubmit).not.toHaveBeenCalled();

    fireEvent.change(screen.getByLabelText("Strategy"), { target: { value: "fedavg" } });
    fireEvent.change(screen.getByLabelText("Byzantine nodes"), {
      target: { value: "0" },
    });
    expect(screen.queryAllByRole("alert")).toEqual([]);
    fireEvent.click(screen.getByTestId("start-run"));
    expect(submitted(onSubmit)).toMatchObject({
      strategy: { name: "fedavg" },
      aggregation: { mode: "secure", clipRange: 1 },
      reward: { policy: "aggregate-loss" },
    });
  });

  it("switching back to plain aggregation clears the conflict", () => {
    render(<RunForm onSubmit={vi.fn()} initialPreset="quick-demo" />);
    fireEvent.change(screen.getByLabelText("Aggregation"), { target: { value: "secure" } });
    expect(screen.getAllByRole("alert")).toHaveLength(1);
    fireEvent.change(screen.getByLabelText("Aggregation"), { target: { value: "plain" } });
    expect(screen.queryAllByRole("alert")).toEqual([]);
    expect(screen.queryByLabelText("Clip range (R)")).toBeNull();
  });
});

describe("RunForm catalogues", () => {
  it.each(STRATEGIES.map((s) => [s.id, s] as const))(
    "offers %s with a field per parameter, filled with its schema's defaults",
    (id, entry) => {
      const onSubmit = vi.fn();
      render(<RunForm onSubmit={onSubmit} initialPreset="fedavg-iid" />);
      fireEvent.change(screen.getByLabelText("Strategy"), { target: { value: id } });
      expect(screen.getByText(entry.help)).toBeTruthy();
      const params = describeParams(entry.schema, ["name"]);
      for (const p of params) {
        const input = screen.getByLabelText(p.title) as HTMLInputElement;
        expect(input.name).toBe(p.name);
        expect(Number(input.value)).toBe(p.default);
      }
      fireEvent.click(screen.getByTestId("start-run"));
      expect(submitted(onSubmit).strategy).toEqual(entry.schema.parse({ name: id }));
    },
  );

  it("shows Krum's participant rule at the strategy as soon as it is chosen", () => {
    render(<RunForm onSubmit={vi.fn()} initialPreset="quick-demo" />);
    fireEvent.change(screen.getByLabelText("Strategy"), { target: { value: "krum" } });
    expect(screen.getByLabelText("Strategy").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByRole("alert").textContent).toContain("needs at least 5 participants");
    fireEvent.change(screen.getByLabelText("Nodes"), { target: { value: "5" } });
    expect(screen.queryAllByRole("alert")).toEqual([]);
  });

  it("keeps the pool when the reward policy changes and adds the new policy's defaults", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    fireEvent.change(screen.getByLabelText("Pool per round (FLR)"), { target: { value: "42" } });
    fireEvent.change(screen.getByLabelText("Contribution score"), {
      target: { value: "shapley-mc" },
    });
    expect((screen.getByLabelText("Permutations") as HTMLInputElement).value).toBe("20");
    // An emptied parameter with a default is left to the schema.
    fireEvent.change(screen.getByLabelText("Permutations"), { target: { value: "" } });
    fireEvent.click(screen.getByTestId("start-run"));
    expect(submitted(onSubmit).reward).toEqual({ policy: "shapley-mc", poolPerRound: "42" });
  });

  it("offers the attacks and their parameters once some nodes attack", () => {
    const onSubmit = vi.fn();
    render(<RunForm onSubmit={onSubmit} initialPreset="quick-demo" />);
    expect(screen.queryByLabelText("Attack")).toBeNull();
    fireEvent.change(screen.getByLabelText("Byzantine nodes"), { target: { value: "0.25" } });
    fireEvent.change(screen.getByLabelText("Attack"), { target: { value: "scale" } });
    expect((screen.getByLabelText("Scale") as HTMLInputElement).value).toBe("-4");
    fireEvent.click(screen.getByTestId("start-run"));
    expect(submitted(onSubmit).byzantine).toEqual({ attack: "scale", fraction: 0.25, scale: -4 });
  });

  it("lists the datasets and models of the catalogues, with the chosen one's help", () => {
    render(<RunForm onSubmit={vi.fn()} initialPreset="quick-demo" />);
    const options = (label: string) =>
      [...(screen.getByLabelText(label) as HTMLSelectElement).options].map((o) => o.value);
    expect(options("Dataset")).toEqual([...DATASETS.map((d) => d.id), "own"]);
    expect(options("Model")).toEqual([...MODELS.map((m) => m.id), "layers"]);
    fireEvent.change(screen.getByLabelText("Model"), { target: { value: "cnn" } });
    expect(screen.getByText(MODELS.find((m) => m.id === "cnn")!.help)).toBeTruthy();
  });
});
