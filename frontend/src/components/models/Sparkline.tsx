// A word-sized line chart: one series, no axes; the highlighted point (the best version) is marked.

export interface SparklineProps {
  points: readonly { x: number; y: number }[];
  /** The x of the point to mark. */
  highlight?: number | undefined;
  /** Fixed y range; otherwise fitted to the points. */
  yDomain?: [number, number];
  width?: number;
  height?: number;
  label: string;
}

export function Sparkline(props: SparklineProps) {
  const width = props.width ?? 160;
  const height = props.height ?? 36;
  const pts = props.points.filter((p) => Number.isFinite(p.y));
  if (pts.length === 0) return null;
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const [y0, y1] = props.yDomain ?? [Math.min(...ys), Math.max(...ys)];
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const pad = 3;
  const sx = (x: number) => pad + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (width - 2 * pad);
  const sy = (y: number) =>
    height - pad - (y1 === y0 ? 0.5 : (y - y0) / (y1 - y0)) * (height - 2 * pad);
  const marked = pts.find((p) => p.x === props.highlight);
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={props.label}
      data-points={pts.length}
    >
      <polyline
        fill="none"
        stroke="var(--chart-1)"
        strokeWidth={1.5}
        points={pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ")}
      />
      {marked && <circle cx={sx(marked.x)} cy={sy(marked.y)} r={3} fill="var(--chart-2)" />}
    </svg>
  );
}
