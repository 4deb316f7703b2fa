// The dashboards as Grafana will load them: query model, variable, units, descriptions,
// provisioning, and the committed files matching the code.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildAll, GRAFANA_DASHBOARDS_PATH, renderFiles } from '../../dashboards/all.js';
import { DATASOURCE_TYPE, DATASOURCE_UID } from '../../dashboards/datasource.js';
import { staleFiles } from '../../dashboards/generate.js';
import { AGENT_FILTER } from '../../dashboards/sql.js';
import { panelQueries } from './panel-queries.js';

const dashboards = buildAll();
const queries = panelQueries();
const versionAtLeast = (v: string, min: number[]) => {
  const parts = v.split('.').map(Number);
  for (let i = 0; i < min.length; i++) if ((parts[i] ?? 0) !== min[i]) return (parts[i] ?? 0) > min[i]!;
  return true;
};

describe('generated files', () => {
  it('the committed JSON and provisioning equal what the code generates (run: npm run dashboards)', async () => {
    expect(await staleFiles()).toEqual([]);
  });

  it('the data source YAML provisions the plugin under the uid the panels use, secrets from the environment', () => {
    const yaml = renderFiles().get('provisioning/datasources/clickhouse.yaml')!;
    expect(yaml).toContain(`type: ${DATASOURCE_TYPE}`);
    expect(yaml).toContain(`uid: ${DATASOURCE_UID}`);
    for (const key of ['host', 'port', 'protocol', 'username', 'defaultDatabase']) expect(yaml).toMatch(new RegExp(`\\n      ${key}: \\$\\{[A-Z_]+\\}\\n`));
    expect(yaml).toMatch(/secureJsonData:\n {6}password: \$\{CLICKHOUSE_PASSWORD\}\n/);
  });

  it('the dashboards provider points at the folder the generated JSON is mounted in', () => {
    const yaml = renderFiles().get('provisioning/dashboards/aksita.yaml')!;
    expect(yaml).toContain('type: file');
    expect(yaml).toContain(`path: ${GRAFANA_DASHBOARDS_PATH}`);
  });
});

describe('dashboards', () => {
  it.each(dashboards)('$title: UTC, a default range, the agent variable (multi, All by default)', (d) => {
    expect(d.timezone).toBe('utc');
    expect(d.time?.from).toMatch(/^now-\d+[hd]$/);
    expect(d.tags).toContain('aksita');
    const agent = d.templating?.list?.find((v) => v.name === 'agent');
    expect(agent).toMatchObject({ type: 'query', multi: true, includeAll: true, datasource: { type: DATASOURCE_TYPE, uid: DATASOURCE_UID } });
    expect(agent?.current?.value).toEqual(['$__all']);
  });

  it.each(dashboards)('$title: panel ids and titles are unique', (d) => {
    const panels = d.panels ?? [];
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    expect(new Set(panels.map((p) => (p as { title?: string }).title)).size).toBe(panels.length);
  });

  it('no query is saved in a form the plugin would migrate as a v3 query', () => {
    const json = [...renderFiles().values()].join('\n');
    expect(json).not.toMatch(/"queryType": "(sql|builder)"/);
  });
});

describe.each(queries)('$name', ({ panel, query }) => {
  it('has a description and a unit', () => {
    expect(panel.description?.length ?? 0).toBeGreaterThan(20);
    expect(panel.fieldConfig?.defaults?.unit).toBeTruthy();
  });

  it('is a v4 SQL query on the provisioned data source, its format matching its query type', () => {
    expect(panel.datasource).toEqual({ type: DATASOURCE_TYPE, uid: DATASOURCE_UID });
    expect(query).toMatchObject({ refId: 'A', datasource: { type: DATASOURCE_TYPE, uid: DATASOURCE_UID }, editorType: 'sql' });
    expect(versionAtLeast(query.pluginVersion, [4, 0, 0])).toBe(true);
    expect([query.format, query.queryType]).toEqual(query.queryType === 'timeseries' ? [0, 'timeseries'] : [1, 'table']);
    expect(query.format === 0).toBe(panel.type === 'timeseries' || panel.type === 'heatmap');
  });

  it('filters by the agent variable and the time range', () => {
    expect(query.rawSql).toContain(AGENT_FILTER);
    expect(query.rawSql).toMatch(/\$__timeFilter_ms\(|\$__toTime_ms/);
  });
});

describe('README', () => {
  it('describes every dashboard and panel', async () => {
    const readme = await readFile(new URL('../../dashboards/README.md', import.meta.url), 'utf8');
    for (const d of dashboards) expect(readme, d.title).toContain(d.title!.replace('Aksita · ', ''));
    for (const q of queries) expect(readme, q.name).toContain(`**${q.panel.title}**`);
  });
});
