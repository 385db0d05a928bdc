/** Above this many classes the bars get no text labels (their tooltips still name them). */
const MAX_LABELLED_CLASSES = 20;
/** Width of one character of the 8 px axis text, roughly. */
const CHAR_WIDTH = 4.6;

/** `text` cut to `max` characters, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 1 ? "…" : `${text.slice(0, max - 1)}…`;
}

/**
 * A small bar chart of a node's label counts (how its data is distributed over the classes). With
 * `classNames`, the axis, the tooltips and the accessible label name the classes.
 */
export function Histogram({
  counts,
  label,
  classNames,
}: {
  counts: readonly number[];
  label: string;
  classNames?: readonly string[] | undefined;
}) {
  const width = 150;
  const height = 44;
  const max = Math.max(1, ...counts);
  const bar = width / Math.max(1, counts.length);
  // A 1 px gap between bars while they are wide enough; thin bars keep a tenth of their width.
  const gap = bar > 4 ? 1 : bar / 10;
  const total = counts.reduce((s, c) => s + c, 0);
  const name = (i: number) => classNames?.[i] ?? `class ${i}`;
  const axisText = (i: number) =>
    classNames?.[i] === undefined
      ? String(i)
      : truncate(classNames[i], Math.max(1, Math.floor(bar / CHAR_WIDTH)));
  const labelled = counts.length <= MAX_LABELLED_CLASSES;
  return (
    <svg
      className="histogram"
      viewBox={`0 0 ${width} ${height + 10}`}
      width={width}
      height={height + 10}
      role="img"
      aria-label={`${label}: ${counts.map((c, i) => `${name(i)} ${c}`).join(", ")}`}
    >
      {counts.map((c, i) => {
        const h = (c / max) * height;
        return (
          <g key={i}>
            <rect x={i * bar + gap} y={height - h} width={bar - 2 * gap} height={h} rx={1}>
              <title>{`${name(i)}: ${c} samples (${total ? ((c / total) * 100).toFixed(1) : 0}%)`}</title>
            </rect>
            {labelled && (
              <text x={i * bar + bar / 2} y={height + 9} textAnchor="middle">
                {axisText(i)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
