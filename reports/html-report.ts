// The HTML report for people: one self-contained file (inline CSS and SVG, no scripts, and a
// Content-Security-Policy that forbids fetching anything), readable on screen and on paper.
import { formatCount, formatDuration, formatNumber, formatOffset } from './display-format.js';
import { escapeHtml as esc } from './html-escape.js';
import type { ReportRequest } from './report-params.js';
import { lineChart, PALETTE, stackedBarChart, type Series } from './svg-chart.js';
import { localDateTime, offsetAt } from './zoned-time.js';
import { HTML_STYLE } from './html-style.js';

/** One row of aksita.daily_agent_summary, as JSONEachRow gives it. */
export interface SummaryRow {
  day: string;
  agent: string;
  replies: number;
  conversations: number;
  replies_per_conversation: number;
  delivery_latency_p50_ms: number;
  delivery_latency_p95_ms: number;
  reply_gap_p50_ms: number | null;
  remaining_credits_start: number;
  remaining_credits_end: number;
  remaining_credits_min: number;
  /** Drops in remaining credits between the agent's consecutive replies, on the later reply's day. */
  credits_used: number;
  /** Sum of the payload's `credits` (0 for human-agent replies per Aksita's spec). */
  credits_charged: number;
}

export function renderHtmlReport(req: ReportRequest, rows: SummaryRow[], generatedAt: Date): string {
  const days = [...new Set(rows.map((r) => r.day))].sort();
  const agents = [...new Set(rows.map((r) => r.agent))].sort();
  const byKey = new Map(rows.map((r) => [`${r.day}\u0000${r.agent}`, r]));
  const pick = (agent: string, f: (r: SummaryRow) => number | null) =>
    days.map((d) => {
      const r = byKey.get(`${d}\u0000${agent}`);
      return r ? f(r) : null;
    });
  const color = (i: number) => PALETTE[i % PALETTE.length]!;
  const perAgent = (f: (r: SummaryRow) => number | null, suffix = '', dashed = false): Series[] => agents.map((a, i) => ({ name: `${a}${suffix}`, color: color(i), values: pick(a, f), dashed }));

  const charts =
    rows.length === 0
      ? '<p class="empty">No replies in this range.</p>'
      : [
          figure(
            'Replies per day',
            'Stacked by agent.',
            stackedBarChart({
              title: 'Replies per day, by agent',
              categories: days,
              series: perAgent((r) => r.replies),
              format: formatCount,
              zeroBased: true,
            }),
          ),
          figure(
            'Delivery latency',
            "From the reply's timestamp to its arrival here. Solid: median (p50); dashed: p95.",
            lineChart({
              title: 'Delivery latency per day: p50 and p95',
              categories: days,
              format: formatDuration,
              zeroBased: true,
              series: [...perAgent((r) => r.delivery_latency_p50_ms, ' p50'), ...perAgent((r) => r.delivery_latency_p95_ms, ' p95', true)],
            }),
          ),
          figure(
            'Remaining credits',
            "At the day's last reply (solid) and the day's minimum (dashed).",
            lineChart({
              title: 'Remaining credits per day',
              categories: days,
              format: formatNumber,
              zeroBased: false,
              series: [...perAgent((r) => r.remaining_credits_end, ' end'), ...perAgent((r) => r.remaining_credits_min, ' min', true)],
            }),
          ),
        ].join('\n');

  const total = (f: (r: SummaryRow) => number) => rows.reduce((s, r) => s + f(r), 0);
  const lowest = rows.length ? Math.min(...rows.map((r) => r.remaining_credits_min)) : null;
  const charged = total((r) => r.credits_charged);
  const tzLabel = `${req.tz} (${formatOffset(Math.round(offsetAt(req.fromMs, req.tz) / 60_000))})`;
  const title = `Human-agent replies, ${req.given.from} to ${req.given.to}`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<header>
<h1>Human-agent replies</h1>
<dl class="params">
<dt>Range</dt><dd id="range">${esc(localDateTime(req.fromMs, req.tz))} to ${esc(localDateTime(req.toMs, req.tz))} <span class="note">(end excluded; given as ${esc(req.given.from)} to ${esc(req.given.to)})</span></dd>
<dt>Time zone</dt><dd id="tz">${esc(tzLabel)}: days are calendar days in this zone</dd>
<dt>Agents</dt><dd id="agents">${req.agents.length ? esc(req.agents.join(', ')) : 'all'}</dd>
<dt>Generated</dt><dd id="generated">${esc(localDateTime(generatedAt.getTime(), req.tz))} ${esc(req.tz)} (${esc(generatedAt.toISOString())})</dd>
</dl>
</header>
<section class="totals" aria-label="Totals">
${card('Replies', formatCount(total((r) => r.replies)), 'total-replies')}
${card('Agents', formatCount(agents.length), 'total-agents')}
${card('Days with replies', formatCount(days.length), 'total-days')}
${card('Credits used', formatNumber(total((r) => r.credits_used)), 'total-credits-used')}
${card('Lowest remaining credits', lowest === null ? '–' : formatNumber(lowest), 'lowest-credits')}
${charged === 0 ? '' : card('Credits charged (spec: 0)', formatNumber(charged), 'total-credits-charged')}
</section>
${charts}
<h2>Per day and agent</h2>
<table id="summary">
<thead><tr><th>Day</th><th>Agent</th><th>Replies</th><th>Conversations</th><th>Replies per conversation</th><th>Latency p50</th><th>Latency p95</th><th>Reply gap p50</th><th>Credits at start</th><th>Credits at end</th><th>Credits minimum</th><th>Credits used</th></tr></thead>
<tbody>
${rows.map(tableRow).join('\n')}
</tbody>
</table>
<footer>
<p><b>Latency</b>: time from the reply's own timestamp to its arrival at this service. <b>Reply gap</b>: time since the previous reply in the same conversation (within the range). <b>Credits at start/end</b>: remaining credits reported with the day's first and last reply. <b>Credits used</b>: how far the agent's remaining credits fell between its consecutive replies in the range (mostly spent by bot replies in between), counted on the day of the later reply; rises (top-ups) are not usage, and a fall before the first reply in the range is not seen. The same figure as the Grafana panel "Credits used per day". <b>Credits charged</b>, shown only when not 0: the sum of the replies' own <code>credits</code> field, which Aksita documents as 0 for human-agent replies. Replies stored twice count once.</p>
</footer>
</body>
</html>
`;
}

function figure(title: string, caption: string, svg: string): string {
  return `<figure><figcaption><b>${esc(title)}</b> ${esc(caption)}</figcaption>\n${svg}\n</figure>`;
}

function card(label: string, value: string, id: string): string {
  return `<div class="card"><div class="label">${esc(label)}</div><div class="value" id="${id}">${esc(value)}</div></div>`;
}

function tableRow(r: SummaryRow): string {
  const cells = [
    esc(r.day),
    esc(r.agent),
    formatCount(r.replies),
    formatCount(r.conversations),
    r.replies_per_conversation.toFixed(2),
    formatDuration(r.delivery_latency_p50_ms),
    formatDuration(r.delivery_latency_p95_ms),
    formatDuration(r.reply_gap_p50_ms),
    formatNumber(r.remaining_credits_start),
    formatNumber(r.remaining_credits_end),
    formatNumber(r.remaining_credits_min),
    formatNumber(r.credits_used),
  ];
  return `<tr>${cells.map((c, i) => (i < 2 ? `<td>${c}</td>` : `<td class="num">${c}</td>`)).join('')}</tr>`;
}
