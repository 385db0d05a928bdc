import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { Histogram } from "./Histogram";

afterEach(cleanup);

describe("Histogram", () => {
  it("draws a bar per class, scaled to the largest", () => {
    const { container } = render(<Histogram counts={[10, 0, 5]} label="sim-1 labels" />);
    const heights = [...container.querySelectorAll("rect")].map((r) =>
      Number(r.getAttribute("height")),
    );
    expect(heights).toHaveLength(3);
    expect(heights[0]).toBeGreaterThan(heights[2]!);
    expect(heights[1]).toBe(0);
    expect(container.querySelector("svg")?.getAttribute("aria-label")).toContain("class 2 5");
  });
});
