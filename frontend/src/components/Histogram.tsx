/** A small bar chart of a node's label counts (how its data is distributed over the classes). */
export function Histogram({ counts, label }: { counts: readonly number[]; label: string }) {
  const width = 150;
  const height = 44;
  const max = Math.max(1, ...counts);
  const bar = width / Math.max(1, counts.length);
  const total = counts.reduce((s, c) => s + c, 0);
  return (
    <svg
      className="histogram"
      viewBox={`0 0 ${width} ${height + 10}`}
      width={width}
      height={height + 10}
      role="img"
      aria-label={`${label}: ${counts.map((c, i) => `class ${i} ${c}`).join(", ")}`}
    >
      {counts.map((c, i) => {
        const h = (c / max) * height;
        return (
          <g key={i}>
            <rect x={i * bar + 1} y={height - h} width={bar - 2} height={h} rx={1}>
              <title>{`class ${i}: ${c} samples (${total ? ((c / total) * 100).toFixed(1) : 0}%)`}</title>
            </rect>
            <text x={i * bar + bar / 2} y={height + 9} textAnchor="middle">
              {i}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
