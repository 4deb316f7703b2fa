// Grafana panels from panel definitions (panel-def.ts): each kind becomes the SDK's builder with
// the visual options the definition names. Table-shaped panels list their result columns; the
// list becomes an "organize" transformation (order and display names), which is also the
// contract the SQL tests check.
import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as common from '@grafana/grafana-foundation-sdk/common';
import { MappingType, SpecialValueMatch, ThresholdsConfigBuilder, ThresholdsMode, type DataTransformerConfig } from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { ClickHouseQueryBuilder } from './clickhouse-query.js';
import { datasource } from './datasource.js';
import type { Columns, PanelDef, Thresholds } from './panel-def.js';

const timeSeriesQuery = (sql: string) => new ClickHouseQueryBuilder(datasource).timeSeries().rawSql(sql);
const tableQuery = (sql: string) => new ClickHouseQueryBuilder(datasource).table().rawSql(sql);

export type AnyPanel = timeseries.PanelBuilder | stat.PanelBuilder | table.PanelBuilder | barchart.PanelBuilder | heatmap.PanelBuilder;

function thresholdsConfig(t: Thresholds): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([{ value: null, color: t.base }, ...t.steps.map(([value, color]) => ({ value, color }))]);
}

function base<P extends AnyPanel>(panel: P, def: PanelDef): P {
  panel
    .title(def.title)
    .description(def.description)
    .datasource(datasource)
    .unit(def.unit)
    .span(def.w ?? 12)
    .height(def.h ?? 8);
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

export const titleOf = (c: Columns[string]) => (typeof c === 'string' ? c : c.title);

function columnsOf(def: PanelDef): Columns {
  if (!def.columns) throw new Error(`panel "${def.title}" (${def.kind}) needs its result columns`);
  return def.columns;
}

function withColumns<P extends table.PanelBuilder | barchart.PanelBuilder | stat.PanelBuilder>(panel: P, columns: Columns): P {
  panel.withTransformation(organize(columns));
  for (const [name, c] of Object.entries(columns)) {
    if (typeof c !== 'string') panel.overrideByName(name, [{ id: 'unit', value: c.unit }]);
  }
  return panel;
}

/** A time column plus numeric series; a string column (e.g. agent) splits the series. */
function timeSeriesPanel(def: PanelDef): timeseries.PanelBuilder {
  const panel = base(new timeseries.PanelBuilder(), def)
    .withTarget(timeSeriesQuery(def.sql))
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (def.seriesBy) panel.displayName(`\${__field.labels.${def.seriesBy}}`);
  if (def.bars) panel.drawStyle(common.GraphDrawStyle.Bars).fillOpacity(80);
  if (def.stepped) panel.lineInterpolation(common.LineInterpolation.StepAfter);
  if (def.thresholds) panel.thresholds(thresholdsConfig(def.thresholds));
  if (def.thresholdLines) panel.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  if (def.stacked) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (def.axisLabel) panel.axisLabel(def.axisLabel);
  return panel;
}

/** One number for the whole range, or (stat-per-row) one per row, named by its label column. */
function statPanel(def: PanelDef): stat.PanelBuilder {
  const perRow = def.kind === 'stat-per-row';
  let panel = base(new stat.PanelBuilder(), def)
    .withTarget(tableQuery(def.sql))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(perRow))
    .graphMode(common.BigValueGraphMode.None);
  if (perRow) panel = withColumns(panel, columnsOf(def));
  if (def.decimals !== undefined) panel.decimals(def.decimals);
  if (def.colorBackground) panel.colorMode(common.BigValueColorMode.Background);
  if (def.thresholds) panel.thresholds(thresholdsConfig(def.thresholds));
  if (def.nullText) panel.mappings([{ type: MappingType.SpecialValue, options: { match: SpecialValueMatch.Null, result: { text: def.nullText, color: 'green', index: 0 } } }]);
  return panel;
}

/** Bars over a category column (the first listed column). */
function barChartPanel(def: PanelDef): barchart.PanelBuilder {
  const columns = columnsOf(def);
  return withColumns(
    base(new barchart.PanelBuilder(), def)
      .withTarget(tableQuery(def.sql))
      .xField(titleOf(Object.values(columns)[0]!))
      .showValue(common.VisibilityMode.Auto),
    columns,
  );
}

/**
 * A heatmap of pre-bucketed counts: the SQL returns a time column and one count column per
 * bucket, named by the bucket's upper bound ("le" layout), so Grafana draws it without
 * recalculating from raw values.
 */
function bucketHeatmapPanel(def: PanelDef): heatmap.PanelBuilder {
  // The cells hold counts; def.unit is the unit of the buckets (the y axis).
  return base(new heatmap.PanelBuilder(), { ...def, unit: 'short' })
    .withTarget(timeSeriesQuery(def.sql))
    .calculate(false)
    .rowsFrame(new heatmap.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Le))
    .yAxis(new heatmap.YAxisConfigBuilder().unit(def.unit))
    .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme('Oranges').scale(heatmap.HeatmapColorScale.Exponential).exponent(0.5).steps(64))
    .cellValues(new heatmap.CellValuesBuilder().unit('short'));
}

/** The Grafana panel for a definition. */
export function grafanaPanel(def: PanelDef): AnyPanel {
  switch (def.kind) {
    case 'stat':
    case 'stat-per-row':
      return statPanel(def);
    case 'timeseries':
      return timeSeriesPanel(def);
    case 'table':
      return withColumns(base(new table.PanelBuilder(), def).withTarget(tableQuery(def.sql)), columnsOf(def));
    case 'barchart':
      return barChartPanel(def);
    case 'heatmap':
      return bucketHeatmapPanel(def);
  }
}
