// One source of truth: Grafana's JSON and the live page are built from the same panel
// definitions, so changing a panel's SQL changes both.
import { describe, expect, it } from 'vitest';
import { buildAll } from '../../dashboards/all.js';
import { DASHBOARDS, findPanel } from '../../dashboards/definitions.js';
import type { DashboardDef } from '../../dashboards/panel-def.js';
import { liveDashboards } from '../../live/dashboard-list.js';
import { panelSql } from '../../live/panel-sql.js';

const RANGE = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 2), intervalMs: 3_600_000, agents: [] };
const MARK = 'SELECT 42 AS changed_for_this_test';

/** The definitions with one panel's SQL replaced. */
function withSql(dashboardId: string, panelId: string, sql: string): DashboardDef[] {
  return DASHBOARDS.map((d) => (d.id !== dashboardId ? d : { ...d, panels: d.panels.map((p) => (p.id === panelId ? { ...p, sql } : p)) }));
}

describe('the Grafana JSON and the live page come from the same definitions', () => {
  it.each(DASHBOARDS.flatMap((d) => d.panels.map((p) => [d.id, p.id] as const)))('%s / %s: changing its SQL changes both', (dashboardId, panelId) => {
    const changed = withSql(dashboardId, panelId, MARK);
    const grafana = JSON.stringify(buildAll(changed));
    expect(JSON.stringify(buildAll(DASHBOARDS))).not.toContain(MARK);
    expect(grafana).toContain(`"rawSql":${JSON.stringify(MARK)}`);
    const before = panelSql(findPanel(dashboardId, panelId)!.panel, RANGE);
    const after = panelSql(findPanel(dashboardId, panelId, changed)!.panel, RANGE);
    expect(before).not.toBe(after);
    expect(after).toBe(MARK);
  });

  it('every Grafana panel is a live panel with the same title, unit and size, in the same order', () => {
    const grafana = buildAll();
    const live = liveDashboards();
    expect(live.map((d) => d.title)).toEqual(grafana.map((d) => d.title));
    grafana.forEach((g, i) => {
      const panels = (g.panels ?? []) as { title?: string; fieldConfig?: { defaults?: { unit?: string } }; gridPos?: { w: number; h: number } }[];
      expect(live[i]!.panels.map((p) => p.title)).toEqual(panels.map((p) => p.title));
      expect(live[i]!.panels.map((p) => [p.w, p.h])).toEqual(panels.map((p) => [p.gridPos?.w, p.gridPos?.h]));
    });
  });

  it('the live list never gives the page SQL', () => {
    expect(JSON.stringify(liveDashboards())).not.toMatch(/SELECT|\$__/);
  });
});
