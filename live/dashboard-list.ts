// What the page learns about the dashboards (GET /live/api/dashboards): every field of the
// panel definitions it needs to draw them, and never their SQL.
import { DASHBOARDS } from '../dashboards/definitions.js';
import type { DashboardDef, PanelDef } from '../dashboards/panel-def.js';

export type LivePanel = Omit<PanelDef, 'sql' | 'w' | 'h'> & { w: number; h: number };

export interface LiveDashboard {
  id: string;
  title: string;
  description: string;
  /** Default range start, e.g. 'now-7d' (the page opens on the last 24 hours; see live/page). */
  from: string;
  panels: LivePanel[];
  /** Marked on the time series (the credits dashboard's top-ups); asked for like a panel, by id. */
  annotations: { id: string; name: string; color: string }[];
}

export function liveDashboards(dashboards: readonly DashboardDef[] = DASHBOARDS): LiveDashboard[] {
  return dashboards.map((d) => ({
    id: d.id,
    title: d.title,
    description: d.description,
    from: d.from,
    panels: d.panels.map(({ sql: _sql, ...p }) => ({ ...p, w: p.w ?? 12, h: p.h ?? 8 })),
    annotations: (d.annotations ?? []).map(({ sql: _sql, ...a }) => a),
  }));
}
