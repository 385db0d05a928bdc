// Charts as files: the rendered <svg> serialized as a standalone SVG (every computed colour, line
// and font written inline, so it looks the same outside the page's CSS) or drawn into a PNG.

const STYLE_PROPS = [
  "fill",
  "stroke",
  "stroke-width",
  "stroke-dasharray",
  "opacity",
  "font-family",
  "font-size",
  "font-weight",
  "text-anchor",
  "dominant-baseline",
] as const;

/** The chart as a standalone SVG document. */
export function standaloneSvg(svg: SVGSVGElement, title: string): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const source = [svg, ...svg.querySelectorAll("*")];
  const target = [clone, ...clone.querySelectorAll("*")];
  source.forEach((el, i) => {
    const style = window.getComputedStyle(el);
    const inline = STYLE_PROPS.map((p) => `${p}:${style.getPropertyValue(p)}`)
      .filter((d) => !d.endsWith(":"))
      .join(";");
    const copy = target[i]!;
    copy.setAttribute("style", inline);
    // Presentation attributes that name page variables (stroke="var(--chart-1)") get their value.
    for (const a of [...copy.attributes]) {
      if (!a.value.includes("var(")) continue;
      const value = style.getPropertyValue(a.name);
      if (value) copy.setAttribute(a.name, value);
      else copy.removeAttribute(a.name);
    }
  });
  const [, , w = 560, h = 240] = (svg.getAttribute("viewBox") ?? "").split(" ").map(Number);
  clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  clone.setAttribute("width", String(w));
  clone.setAttribute("height", String(h));
  const bg = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  bg.setAttribute("width", "100%");
  bg.setAttribute("height", "100%");
  bg.setAttribute("fill", "#ffffff");
  clone.insertBefore(bg, clone.firstChild);
  const t = document.createElementNS("http://www.w3.org/2000/svg", "title");
  t.textContent = title;
  clone.insertBefore(t, clone.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
}

function save(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name from a chart title: "Test accuracy" -> "test-accuracy". */
export function chartFileName(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "chart"
  );
}

export function downloadSvg(svg: SVGSVGElement, title: string, base: string): void {
  save(new Blob([standaloneSvg(svg, title)], { type: "image/svg+xml" }), `${base}.svg`);
}

/** Draws the standalone SVG into a canvas at `scale` times its size and saves it as PNG. */
export async function downloadPng(
  svg: SVGSVGElement,
  title: string,
  base: string,
  scale = 2,
): Promise<void> {
  const text = standaloneSvg(svg, title);
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error("the chart could not be drawn"));
      img.src = url;
    });
    const canvas = document.createElement("canvas");
    canvas.width = img.width * scale;
    canvas.height = img.height * scale;
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("no 2D canvas in this browser");
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0);
    const png = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/png"));
    if (!png) throw new Error("the browser could not encode a PNG");
    save(png, `${base}.png`);
  } finally {
    URL.revokeObjectURL(url);
  }
}
