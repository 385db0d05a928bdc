import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { LineChart, niceTicks } from "./LineChart";

afterEach(cleanup);

describe("LineChart", () => {
  it("draws one polyline per series with a point per round", () => {
    const { container } = render(
      <LineChart
        title="Test accuracy"
        xLabel="Round"
        yDomain={[0, 1]}
        series={[
          {
            name: "accuracy",
            color: "red",
            points: [
              { x: 1, y: 0.5 },
              { x: 2, y: 0.7 },
              { x: 3, y: 0.9 },
            ],
          },
        ]}
      />,
    );
    const lines = container.querySelectorAll("polyline");
    expect(lines).toHaveLength(1);
    expect(lines[0]?.getAttribute("points")?.split(" ")).toHaveLength(3);
    expect(container.querySelectorAll("circle")).toHaveLength(3);
    expect(screen.getByRole("img").getAttribute("aria-label")).toBe("Test accuracy: 3 points");
  });

  it("puts higher values higher on the chart", () => {
    const { container } = render(
      <LineChart
        title="Loss"
        xLabel="Round"
        series={[
          {
            name: "loss",
            color: "blue",
            points: [
              { x: 1, y: 2 },
              { x: 2, y: 1 },
            ],
          },
        ]}
      />,
    );
    const [a, b] = [...container.querySelectorAll("circle")].map((c) =>
      Number(c.getAttribute("cy")),
    );
    expect(a).toBeLessThan(b!);
  });

  it("ignores non-finite values and shows the empty text without data", () => {
    render(
      <LineChart
        title="Loss"
        xLabel="Round"
        emptyText="Nothing yet"
        series={[{ name: "loss", color: "blue", points: [{ x: 1, y: Number.NaN }] }]}
      />,
    );
    expect(screen.getByText("Nothing yet")).toBeTruthy();
  });

  it("picks round tick values", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(0, 10, 6)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });
});
