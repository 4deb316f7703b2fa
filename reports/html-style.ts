// The HTML report's stylesheet, inline in the file. System fonts only: nothing to download.
export const HTML_STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #59636e; --line: #d0d7de; --band: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); margin: 24px auto; max-width: 1120px; padding: 0 20px; }
h1 { font-size: 24px; margin: 0 0 8px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
.params { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 16px; }
.params dt { color: var(--muted); }
.params dd { margin: 0; }
.note { color: var(--muted); }
.totals { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 20px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
figure { margin: 0 0 18px; break-inside: avoid; }
figcaption { margin-bottom: 4px; color: var(--muted); }
figcaption b { color: var(--ink); margin-right: 6px; }
svg.chart { width: 100%; height: auto; display: block; font-size: 12px; fill: var(--muted); }
svg.chart .grid { stroke: #eaeef2; }
svg.chart .axis { stroke: var(--muted); }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; }
td { white-space: nowrap; }
th { font-size: 12px; color: var(--muted); font-weight: 600; vertical-align: bottom; }
td.num, th:nth-child(n+3) { text-align: right; }
tbody tr:nth-child(even) { background: var(--band); }
footer { margin-top: 20px; color: var(--muted); font-size: 12px; }
.empty { padding: 24px; border: 1px dashed var(--line); text-align: center; color: var(--muted); }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  tr { break-inside: avoid; }
}
`;
