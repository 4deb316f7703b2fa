// Panel constructors. Each takes what every panel must have (title, description, SQL, unit)
// and returns the SDK's own builder, so a dashboard can still set any visual option on it.
// Table-shaped panels list their result columns; the list becomes an "organize" transformation
// (order and display names), which is also the contract the SQL tests check.
import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as common from '@grafana/grafana-foundation-sdk/common';
import { ThresholdsConfigBuilder, ThresholdsMode, type DataTransformerConfig } from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { ClickHouseQueryBuilder } from './clickhouse-query.js';
import { datasource } from './datasource.js';

/** Absolute thresholds: `base` below the first step, then each step's color from its value up. */
export function thresholds(base: string, steps: readonly (readonly [number, string])[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([{ value: null, color: base }, ...steps.map(([value, color]) => ({ value, color }))]);
}

export interface PanelSpec {
  title: string;
  /** What question the panel answers and how to read it; shown as the panel's (i) tooltip. */
  description: string;
  sql: string;
  /** Grafana unit id: 'short', 'ms', 'percentunit', 'none', ... */
  unit: string;
  /** Grid width (of 24) and height. */
  w?: number;
  h?: number;
}

/** Result columns in order, each with its display name and optionally its own unit. */
export type Columns = Record<string, string | { title: string; unit: string }>;

const timeSeriesQuery = (sql: string) => new ClickHouseQueryBuilder(datasource).timeSeries().rawSql(sql);
const tableQuery = (sql: string) => new ClickHouseQueryBuilder(datasource).table().rawSql(sql);

type AnyPanel = timeseries.PanelBuilder | stat.PanelBuilder | table.PanelBuilder | barchart.PanelBuilder | heatmap.PanelBuilder;

function base<P extends AnyPanel>(panel: P, spec: PanelSpec): P {
  panel
    .title(spec.title)
    .description(spec.description)
    .datasource(datasource)
    .unit(spec.unit)
    .span(spec.w ?? 12)
    .height(spec.h ?? 8);
  return panel;
}

function organize(columns: Columns): DataTransformerConfig {
  const names = Object.keys(columns);
  return {
    id: 'organize',
    options: {
      indexByName: Object.fromEntries(names.map((n, i) => [n, i])),
      renameByName: Object.fromEntries(names.map((n) => [n, titleOf(columns[n]!)])),
      excludeByName: {},
    },
  };
}

const titleOf = (c: Columns[string]) => (typeof c === 'string' ? c : c.title);

function withColumns<P extends table.PanelBuilder | barchart.PanelBuilder | stat.PanelBuilder>(panel: P, columns: Columns): P {
  panel.withTransformation(organize(columns));
  for (const [name, c] of Object.entries(columns)) {
    if (typeof c !== 'string') panel.overrideByName(name, [{ id: 'unit', value: c.unit }]);
  }
  return panel;
}

/** A time column plus numeric series; a string column (e.g. agent) splits the series. */
export function timeSeriesPanel(spec: PanelSpec): timeseries.PanelBuilder {
  return base(new timeseries.PanelBuilder(), spec)
    .withTarget(timeSeriesQuery(spec.sql))
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
}

/** One number for the whole range. */
export function statPanel(spec: PanelSpec): stat.PanelBuilder {
  return base(new stat.PanelBuilder(), spec)
    .withTarget(tableQuery(spec.sql))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(common.BigValueGraphMode.None);
}

/** One number per row, named by the row's label column (e.g. one per agent). */
export function statPerRowPanel(spec: PanelSpec & { columns: Columns }): stat.PanelBuilder {
  return withColumns(
    base(new stat.PanelBuilder(), spec)
      .withTarget(tableQuery(spec.sql))
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(true))
      .graphMode(common.BigValueGraphMode.None),
    spec.columns,
  );
}

export function tablePanel(spec: PanelSpec & { columns: Columns }): table.PanelBuilder {
  return withColumns(base(new table.PanelBuilder(), spec).withTarget(tableQuery(spec.sql)), spec.columns);
}

/** Bars over a category column (the first listed column). */
export function barChartPanel(spec: PanelSpec & { columns: Columns }): barchart.PanelBuilder {
  return withColumns(
    base(new barchart.PanelBuilder(), spec)
      .withTarget(tableQuery(spec.sql))
      .xField(titleOf(Object.values(spec.columns)[0]!))
      .showValue(common.VisibilityMode.Auto),
    spec.columns,
  );
}

/**
 * A heatmap of pre-bucketed counts: the SQL returns a time column and one count column per
 * bucket, named by the bucket's upper bound ("le" layout), so Grafana draws it without
 * recalculating from raw values.
 */
export function bucketHeatmapPanel(spec: PanelSpec): heatmap.PanelBuilder {
  // The cells hold counts; spec.unit is the unit of the buckets (the y axis).
  return base(new heatmap.PanelBuilder(), { ...spec, unit: 'short' })
    .withTarget(timeSeriesQuery(spec.sql))
    .calculate(false)
    .rowsFrame(new heatmap.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Le))
    .yAxis(new heatmap.YAxisConfigBuilder().unit(spec.unit))
    .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme('Oranges').scale(heatmap.HeatmapColorScale.Exponential).exponent(0.5).steps(64))
    .cellValues(new heatmap.CellValuesBuilder().unit('short'));
}
