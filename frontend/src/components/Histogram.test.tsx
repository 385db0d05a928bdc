import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { Histogram, truncate } from "./Histogram";

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

describe("Histogram with class names", () => {
  it("names the classes on the axis (truncated), in the tooltips and the accessible label", () => {
    const { container } = render(
      <Histogram
        counts={[3, 1]}
        label="n1 labels"
        classNames={["benign", "malignant-and-spreading"]}
      />,
    );
    const texts = [...container.querySelectorAll("text")].map((t) => t.textContent);
    expect(texts[0]).toBe("benign");
    expect(texts[1]!.endsWith("…")).toBe(true);
    expect(texts[1]!.length).toBeLessThan("malignant-and-spreading".length);
    const titles = [...container.querySelectorAll("title")].map((t) => t.textContent);
    expect(titles[1]).toBe("malignant-and-spreading: 1 samples (25.0%)");
    const aria = container.querySelector("svg")?.getAttribute("aria-label");
    expect(aria).toBe("n1 labels: benign 3, malignant-and-spreading 1");
  });

  it("skips the per-bar text labels with many classes but keeps a bar and tooltip each", () => {
    const names = Array.from({ length: 40 }, (_, i) => `species-${i}`);
    const { container } = render(
      <Histogram counts={names.map((_, i) => i)} label="n2 labels" classNames={names} />,
    );
    expect(container.querySelectorAll("text")).toHaveLength(0);
    const rects = [...container.querySelectorAll("rect")];
    expect(rects).toHaveLength(40);
    expect(rects.every((r) => Number(r.getAttribute("width")) > 0)).toBe(true);
    expect(rects[39]!.querySelector("title")?.textContent).toContain("species-39: 39 samples");
  });

  it("truncates with an ellipsis only when needed", () => {
    expect(truncate("abc", 3)).toBe("abc");
    expect(truncate("abcdef", 3)).toBe("ab…");
    expect(truncate("abcdef", 1)).toBe("…");
  });
});
