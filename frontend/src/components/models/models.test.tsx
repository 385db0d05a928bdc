import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ModelVersion } from "../../api/client";
import { decodeValidation } from "../../models/browser-check";
import { defaultVersion } from "./ModelsSection";
import { Sparkline } from "./Sparkline";
import { ConfusionMatrix, PerClassAccuracy } from "./VersionEvaluation";
import { VersionsTable } from "./VersionsTable";

afterEach(cleanup);

const version = (round: number, acc: number | null, extra: Partial<ModelVersion> = {}) => ({
  round,
  hash: `0x${String(round).padStart(64, "0")}`,
  testAccuracy: acc,
  testLoss: acc === null ? null : 1 - acc,
  txHash: round === 0 ? null : `0x${"f".repeat(64)}`,
  bytes: 796_040,
  stored: true,
  best: false,
  ...extra,
});

describe("Models section parts", () => {
  const versions = [
    version(0, null),
    version(1, 0.8),
    version(2, 0.9, { best: true }),
    version(3, 0.85, { stored: false }),
  ];

  it("lists versions newest first with size, stored/pruned and the best marker; a click selects", () => {
    const onSelect = vi.fn();
    render(<VersionsTable versions={versions} selected={2} onSelect={onSelect} />);
    const rows = screen.getByTestId("model-versions").querySelectorAll("tbody tr");
    expect([...rows].map((r) => r.getAttribute("data-round"))).toEqual(["3", "2", "1", "0"]);
    expect(rows[0]!.textContent).toContain("pruned");
    expect(rows[1]!.textContent).toContain("best");
    expect(rows[1]!.getAttribute("aria-selected")).toBe("true");
    expect(rows[2]!.textContent).toContain("777.4 KiB");
    fireEvent.click(screen.getByLabelText("Select version 1"));
    expect(onSelect).toHaveBeenCalledWith(1);
  });

  it("shows the best version first, else the latest stored one", () => {
    expect(defaultVersion(versions)?.round).toBe(2);
    expect(defaultVersion(versions.map((v) => ({ ...v, best: false })))?.round).toBe(2);
    expect(defaultVersion([])).toBeUndefined();
  });

  it("draws the accuracy sparkline and marks the best point", () => {
    const { container } = render(
      <Sparkline
        label="accuracy"
        points={[
          { x: 1, y: 0.8 },
          { x: 2, y: 0.9 },
        ]}
        highlight={2}
        yDomain={[0, 1]}
      />,
    );
    expect(container.querySelector("polyline")?.getAttribute("points")?.split(" ")).toHaveLength(2);
    expect(container.querySelector("circle")).toBeTruthy();
  });

  it("shows per-class accuracy and the confusion matrix", () => {
    render(
      <>
        <PerClassAccuracy perClass={[1, 0.5, null]} />
        <ConfusionMatrix
          confusion={[
            [3, 0, 0],
            [1, 1, 0],
            [0, 0, 0],
          ]}
        />
      </>,
    );
    const classes = screen.getByTestId("per-class-accuracy").querySelectorAll("tbody tr");
    expect([...classes].map((r) => r.children[1]!.textContent)).toEqual([
      "100.0%",
      "50.0%",
      "no samples",
    ]);
    const cells = screen.getByTestId("confusion-matrix").querySelectorAll("tbody td");
    expect([...cells].map((c) => c.textContent)).toEqual([
      "3",
      "0",
      "0",
      "1",
      "1",
      "0",
      "0",
      "0",
      "0",
    ]);
    expect(cells[3]!.getAttribute("title")).toBe("true 1, predicted 0: 1 (50.0% of class 1)");
  });

  it("decodes the validation artifact's layout and refuses other bytes", () => {
    const n = 2;
    const buf = new ArrayBuffer(4 + n * 784 * 4 + n);
    new DataView(buf).setUint32(0, n, true);
    new Float32Array(buf, 4, n * 784).fill(0.5);
    new Uint8Array(buf, 4 + n * 784 * 4).set([7, 2]);
    const v = decodeValidation(buf);
    expect(v.n).toBe(2);
    expect(v.x[783 * 2]).toBe(0.5);
    expect([...v.y]).toEqual([7, 2]);
    expect(() => decodeValidation(new ArrayBuffer(12))).toThrow(/not a validation artifact/);
  });
});
