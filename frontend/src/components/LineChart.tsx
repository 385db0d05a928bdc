import { useRef, type RefObject } from "react";
import { chartFileName, downloadPng, downloadSvg } from "./chart-download";

export interface ChartSeries {
  name: string;
  color: string;
  points: readonly { x: number; y: number }[];
}

export interface LineChartProps {
  title: string;
  series: readonly ChartSeries[];
  xLabel: string;
  yFormat?: (y: number) => string;
  /** Fixed y range (e.g. 0..1 for accuracy); otherwise fitted to the data. */
  yDomain?: [number, number];
  width?: number;
  height?: number;
  emptyText?: string;
  /** Offer PNG and SVG downloads, named `<download>-<title>.png|svg` (e.g. the run's id). */
  download?: string;
}

const PAD = { top: 12, right: 16, bottom: 34, left: 52 };

/** "Nice" tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** A plain SVG line chart: one polyline per series, with axes, ticks and a legend. */
export function LineChart(props: LineChartProps) {
  const width = props.width ?? 560;
  const height = props.height ?? 240;
  const fmt = props.yFormat ?? ((y: number) => String(Number(y.toPrecision(3))));
  const svgRef = useRef<SVGSVGElement>(null);
  const all = props.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  if (all.length === 0)
    return (
      <figure className="chart chart-empty" aria-label={props.title}>
        <figcaption>{props.title}</figcaption>
        <p className="muted">{props.emptyText ?? "No data yet."}</p>
      </figure>
    );

  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  let [yMin, yMax] = props.yDomain ?? [Math.min(...ys), Math.max(...ys)];
  if (!props.yDomain) {
    const pad = (yMax - yMin) * 0.08 || Math.abs(yMax) * 0.1 || 1;
    yMin = Math.max(yMin >= 0 ? 0 : -Infinity, yMin - pad);
    yMax += pad;
  }
  const innerW = width - PAD.left - PAD.right;
  const innerH = height - PAD.top - PAD.bottom;
  const sx = (x: number) =>
    PAD.left + (xMax === xMin ? innerW / 2 : ((x - xMin) / (xMax - xMin)) * innerW);
  const sy = (y: number) => PAD.top + innerH - ((y - yMin) / (yMax - yMin || 1)) * innerH;
  const yTicks = niceTicks(yMin, yMax, 5).filter((t) => t >= yMin && t <= yMax);
  const xTicks = niceTicks(xMin, xMax, Math.min(8, xMax - xMin + 1)).filter(
    (t) => Number.isInteger(t) && t >= xMin && t <= xMax,
  );

  return (
    <figure className="chart" aria-label={props.title}>
      <figcaption>
        {props.title}
        <span className="chart-legend">
          {props.series.map((s) => (
            <span key={s.name} className="chart-legend-item">
              <span className="chart-swatch" style={{ background: s.color }} />
              {s.name}
            </span>
          ))}
        </span>
        {props.download && (
          <ChartDownloads svg={svgRef} title={props.title} base={props.download} />
        )}
      </figcaption>
      <svg
        ref={svgRef}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${props.title}: ${all.length} points`}
        preserveAspectRatio="xMidYMid meet"
      >
        {yTicks.map((t) => (
          <g key={`y${t}`} className="chart-grid">
            <line x1={PAD.left} x2={width - PAD.right} y1={sy(t)} y2={sy(t)} />
            <text x={PAD.left - 6} y={sy(t)} textAnchor="end" dominantBaseline="middle">
              {fmt(t)}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <text
            key={`x${t}`}
            className="chart-tick"
            x={sx(t)}
            y={height - PAD.bottom + 16}
            textAnchor="middle"
          >
            {t}
          </text>
        ))}
        <line
          className="chart-axis"
          x1={PAD.left}
          x2={width - PAD.right}
          y1={PAD.top + innerH}
          y2={PAD.top + innerH}
        />
        <text
          className="chart-axis-label"
          x={PAD.left + innerW / 2}
          y={height - 4}
          textAnchor="middle"
        >
          {props.xLabel}
        </text>
        {props.series.map((s) => {
          const pts = s.points.filter((p) => Number.isFinite(p.y));
          return (
            <g key={s.name} data-series={s.name}>
              <polyline
                fill="none"
                stroke={s.color}
                strokeWidth={2}
                points={pts.map((p) => `${sx(p.x)},${sy(p.y)}`).join(" ")}
              />
              {pts.map((p) => (
                <circle key={p.x} cx={sx(p.x)} cy={sy(p.y)} r={3} fill={s.color}>
                  <title>{`${s.name}, ${props.xLabel.toLowerCase()} ${p.x}: ${fmt(p.y)}`}</title>
                </circle>
              ))}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

function ChartDownloads(p: { svg: RefObject<SVGSVGElement | null>; title: string; base: string }) {
  const name = `${p.base}-${chartFileName(p.title)}`;
  return (
    <span className="chart-downloads">
      <button
        type="button"
        className="link-button small"
        data-testid="chart-png"
        onClick={() => {
          if (p.svg.current) void downloadPng(p.svg.current, p.title, name);
        }}
      >
        PNG
      </button>
      <button
        type="button"
        className="link-button small"
        data-testid="chart-svg"
        onClick={() => {
          if (p.svg.current) downloadSvg(p.svg.current, p.title, name);
        }}
      >
        SVG
      </button>
    </span>
  );
}
