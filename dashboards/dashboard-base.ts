// What every Aksita dashboard shares: the agent variable, UTC, links to its siblings, panel ids.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
  type Panel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { ClickHouseQueryBuilder } from './clickhouse-query.js';
import { datasource } from './datasource.js';
import type { DashboardDef } from './panel-def.js';
import { grafanaPanel } from './panels.js';
import { DEAD_LETTERS, REPLIES } from './sql.js';

export const TAG = 'aksita';

/** Agents seen in either table, so an agent whose payloads all failed validation is still listed. */
export const AGENT_VARIABLE_SQL = `SELECT DISTINCT agent FROM (SELECT agent FROM ${REPLIES} UNION ALL SELECT agent FROM ${DEAD_LETTERS}) ORDER BY agent`;

function agentVariable(): QueryVariableBuilder {
  return (
    new QueryVariableBuilder('agent')
      .label('Agent')
      .description('Aksita agents (one per webhook route). All leaves the filter out of the SQL entirely.')
      .datasource(datasource)
      // A plain string: every v4 plugin runs it (newer ones also accept an object).
      .query(AGENT_VARIABLE_SQL)
      .definition(AGENT_VARIABLE_SQL)
      .multi(true)
      .includeAll(true)
      .allowCustomValue(false)
      .current({ text: ['All'], value: ['$__all'], selected: true })
      .refresh(VariableRefresh.OnDashboardLoad)
      .sort(VariableSort.AlphabeticalAsc)
  );
}

/** Any SDK panel builder (they all have id()). */
export type PanelBuilder = cog.Builder<Panel> & { id(id: number): unknown };

/** The Grafana dashboard of a definition. */
export function buildDashboard(spec: DashboardDef): DashboardBuilder {
  const dashboard = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([TAG])
    // Event times are stored in UTC and day buckets are UTC days; showing the same clock
    // avoids a "day" that starts at 07:00 for a viewer in UTC+7. Senders' own offsets
    // are a column (event_utc_offset_minutes) where a panel needs local time.
    .timezone('utc')
    .time({ from: spec.from, to: 'now' })
    .refresh('1m')
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .withVariable(agentVariable())
    .link(new DashboardLinkBuilder('Aksita dashboards').type(DashboardLinkType.Dashboards).tags([TAG]).asDropdown(true).includeVars(true).keepTime(true));
  // Stable ids, so links and the panel-sql test can name a panel across regenerations.
  spec.panels.forEach((def, i) => {
    const panel = grafanaPanel(def) as PanelBuilder;
    panel.id(i + 1);
    dashboard.withPanel(panel);
  });
  // Marked on every panel's time axis (the credits dashboard's top-ups).
  for (const a of spec.annotations ?? []) {
    dashboard.annotation(
      new AnnotationQueryBuilder().name(a.name).datasource(datasource).enable(true).iconColor(a.color).target(new ClickHouseQueryBuilder(datasource).table().refId('Anno').rawSql(a.sql)),
    );
  }
  return dashboard;
}
