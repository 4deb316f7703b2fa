// The one ClickHouse data source every panel queries. The uid is fixed so provisioned
// dashboards find the provisioned data source without a lookup by name.
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

export const DATASOURCE_TYPE = 'grafana-clickhouse-datasource';
export const DATASOURCE_UID = 'aksita-clickhouse';
export const DATASOURCE_NAME = 'Aksita ClickHouse';

export const datasource: DataSourceRef = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };
