// A query of the Grafana ClickHouse data source plugin (grafana-clickhouse-datasource), v4 model.
// The foundation SDK has no builder for this plugin, so this one implements the SDK's
// Dataquery builder interface and plugs into any panel's withTarget().
//
// Why every field is set explicitly: the plugin migrates a query it thinks is from v3 (no
// pluginVersion >= 4.0.0, or queryType "sql"/"builder") and would rewrite it on first load
// (src/data/migration.ts, isV3CHQuery). A provisioned dashboard cannot be saved back, so it
// would be migrated again on every load.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** The plugin's Format enum: how the backend shapes the result frame. */
export enum ClickHouseFormat {
  TimeSeries = 0,
  Table = 1,
}

/** The v4 query types a raw-SQL query uses (QueryType in src/types/queryBuilder.ts). */
export type ClickHouseQueryType = 'timeseries' | 'table';

/** The plugin version whose query model and macro semantics these dashboards are written for. */
export const PLUGIN_VERSION = '4.19.0';

export interface ClickHouseQuery extends cog.Dataquery {
  refId: string;
  datasource: DataSourceRef;
  editorType: 'sql';
  rawSql: string;
  format: ClickHouseFormat;
  queryType: ClickHouseQueryType;
  pluginVersion: string;
}

export class ClickHouseQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: ClickHouseQuery;

  constructor(datasource: DataSourceRef) {
    this.internal = {
      refId: 'A',
      datasource,
      editorType: 'sql',
      rawSql: '',
      format: ClickHouseFormat.Table,
      queryType: 'table',
      pluginVersion: PLUGIN_VERSION,
      // The SDK's variant marker; a function, so JSON.stringify leaves it out (as the SDK's own queries do).
      _implementsDataqueryVariant: () => {},
    };
  }

  build(): ClickHouseQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  rawSql(sql: string): this {
    this.internal.rawSql = sql;
    return this;
  }

  /** A time column plus numeric series (long frames are widened by the plugin). */
  timeSeries(): this {
    this.internal.format = ClickHouseFormat.TimeSeries;
    this.internal.queryType = 'timeseries';
    return this;
  }

  table(): this {
    this.internal.format = ClickHouseFormat.Table;
    this.internal.queryType = 'table';
    return this;
  }
}
