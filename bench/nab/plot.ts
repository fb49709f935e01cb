/** SVG rendering of series with their NAB label windows, anomaly scores and detections. */

export interface PlotPanel {
  title: string;
  values: ArrayLike<number>;
  scores: ArrayLike<number>;
  windows: ReadonlyArray<readonly [number, number]>;
  probation: number;
  threshold: number;
}

const W = 1200;
const H = 170;
const PAD = 40;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function panel(p: PlotPanel, y0: number): string {
  const n = p.values.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, p.values[i]!);
    hi = Math.max(hi, p.values[i]!);
  }
  if (hi === lo) hi = lo + 1;
  const x = (i: number) => PAD + ((W - 2 * PAD) * i) / Math.max(n - 1, 1);
  const top = y0 + 22;
  const h = H - 40;
  const y = (v: number) => top + h - ((v - lo) / (hi - lo)) * h;
  const out: string[] = [];
  out.push(`<text x="${PAD}" y="${y0 + 15}" font-size="13" font-family="sans-serif">${esc(p.title)}</text>`);
  out.push(`<rect x="${PAD}" y="${top}" width="${x(p.probation) - PAD}" height="${h}" fill="#eeeeee"/>`);
  for (const [a, b] of p.windows)
    out.push(`<rect x="${x(a)}" y="${top}" width="${Math.max(x(b) - x(a), 1)}" height="${h}" fill="#ffd27f" fill-opacity="0.55"/>`);
  // values, thinned to at most ~2 points per pixel column (min/max per bucket)
  const buckets = Math.min(n, 2 * (W - 2 * PAD));
  const pts: string[] = [];
  for (let b = 0; b < buckets; b++) {
    const s = Math.floor((b * n) / buckets);
    const e = Math.max(Math.floor(((b + 1) * n) / buckets), s + 1);
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = s; i < e; i++) {
      mn = Math.min(mn, p.values[i]!);
      mx = Math.max(mx, p.values[i]!);
    }
    pts.push(`${x(s).toFixed(1)},${y(mn).toFixed(1)}`, `${x(e - 1).toFixed(1)},${y(mx).toFixed(1)}`);
  }
  out.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="#1f4e99" stroke-width="0.8"/>`);
  // anomaly score as a thin band under the panel
  for (let i = 0; i < n; i++) {
    if (p.scores[i]! >= p.threshold) {
      out.push(`<line x1="${x(i)}" y1="${top}" x2="${x(i)}" y2="${top + h}" stroke="#d62728" stroke-width="1.5"/>`);
      out.push(`<circle cx="${x(i)}" cy="${y(p.values[i]!)}" r="3.5" fill="#d62728"/>`);
    }
  }
  out.push(`<rect x="${PAD}" y="${top}" width="${W - 2 * PAD}" height="${h}" fill="none" stroke="#888"/>`);
  return out.join("\n");
}

export function renderSvg(panels: PlotPanel[], caption: string): string {
  const height = panels.length * H + 40;
  const body = panels.map((p, k) => panel(p, k * H)).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}">
<rect width="100%" height="100%" fill="white"/>
${body}
<text x="${PAD}" y="${height - 14}" font-size="12" font-family="sans-serif">${esc(caption)}</text>
</svg>
`;
}
