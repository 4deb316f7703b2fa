// The four bundled dashboards as data, in the order they are listed (Grafana's files, the
// live page's tabs). Nothing here knows Grafana's JSON or the browser.
import { latency } from './latency.js';
import type { DashboardDef, PanelDef } from './panel-def.js';
import { pipelineHealth } from './pipeline-health.js';
import { remainingCredits } from './remaining-credits.js';
import { replyVolume } from './reply-volume.js';

export const DASHBOARDS: readonly DashboardDef[] = [replyVolume, latency, remainingCredits, pipelineHealth];

/** A dashboard's panel or annotation by ids: what the live page may ask to run. */
export function findQuery(dashboardId: string, id: string, dashboards = DASHBOARDS): { sql: string } | undefined {
  const dashboard = dashboards.find((d) => d.id === dashboardId);
  return dashboard?.panels.find((p) => p.id === id) ?? dashboard?.annotations?.find((a) => a.id === id);
}

/** A dashboard's panel by ids; undefined when either is unknown. */
export function findPanel(dashboardId: string, panelId: string, dashboards = DASHBOARDS): { dashboard: DashboardDef; panel: PanelDef } | undefined {
  const dashboard = dashboards.find((d) => d.id === dashboardId);
  const panel = dashboard?.panels.find((p) => p.id === panelId);
  return dashboard && panel ? { dashboard, panel } : undefined;
}
