// The generated Grafana alerting file: parses, is what the rule code renders, queries the
// provisioned ClickHouse datasource, and is mounted with its contact point's variable in Compose.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertRules } from '../../alerts/rules.js';
import { alertConfigFromEnv, alertProvisioning, CONTACT_POINT } from '../../dashboards/alert-provisioning.js';
import { ROOT } from '../helpers/pipeline-process.js';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const FILE = 'dashboards/provisioning/alerting/aksita-alerts.yaml';

interface Query {
  refId: string;
  datasourceUid: string;
  model: { rawSql?: string; type?: string; expression?: string; conditions?: { evaluator: { type: string; params: number[] } }[] };
}
interface ProvisionedRule {
  uid: string;
  title: string;
  condition: string;
  data: Query[];
  notification_settings: { receiver: string };
}
interface Provisioning {
  apiVersion: number;
  groups: { orgId: number; name: string; folder: string; interval: string; rules: ProvisionedRule[] }[];
  contactPoints: { name: string; receivers: { type: string; settings: { url: string } }[] }[];
}

// YAML comments, then a JSON document (JSON is YAML 1.2): a strict JSON parser reads the rest.
const parsed = (): Provisioning => JSON.parse(read(FILE).replace(/^#.*\n/gm, '')) as Provisioning;

// The field names and value types of Grafana's alerting file format (apiVersion 1) as its loader
// reads them: pkg/services/provisioning/alerting/{file_v1,rules_types,contact_point_types}.go and
// pkg/services/ngalert/models/alert_query.go in grafana/grafana. A key that is not here Grafana
// ignores silently; a value of the wrong type fails the whole file at start-up.
type Kind = 'string' | 'int' | 'bool' | 'duration' | 'stringMap' | 'object' | 'array';
const FILE_KEYS: Record<string, Kind> = { apiVersion: 'int', groups: 'array', contactPoints: 'array' };
const GROUP_KEYS: Record<string, Kind> = { orgId: 'int', name: 'string', folder: 'string', interval: 'duration', rules: 'array' };
const RULE_KEYS: Record<string, Kind> = {
  uid: 'string',
  title: 'string',
  condition: 'string',
  data: 'array',
  noDataState: 'string',
  execErrState: 'string',
  for: 'duration',
  annotations: 'stringMap',
  labels: 'stringMap',
  isPaused: 'bool',
  notification_settings: 'object',
};
const QUERY_KEYS: Record<string, Kind> = { refId: 'string', queryType: 'string', relativeTimeRange: 'object', datasourceUid: 'string', model: 'object' };
const CONTACT_POINT_KEYS: Record<string, Kind> = { orgId: 'int', name: 'string', receivers: 'array' };
const RECEIVER_KEYS: Record<string, Kind> = { uid: 'string', type: 'string', settings: 'object', disableResolveMessage: 'bool' };
// models.NoDataStateFromString and models.ErrStateFromString.
const NO_DATA_STATES = ['Alerting', 'NoData', 'OK', 'KeepLast'];
const EXEC_ERR_STATES = ['Alerting', 'Error', 'OK', 'KeepLast'];
// Prometheus model.ParseDuration, which the loader uses for interval and for.
const PROMETHEUS_DURATION = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;

function ofKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'int':
      return Number.isInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'duration':
      return typeof value === 'string' && value !== '' && PROMETHEUS_DURATION.test(value);
    case 'stringMap':
      return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
  }
}

/** Every key is one Grafana reads, with the type it reads it as: problems as "where.key: why". */
function shapeProblems(where: string, value: object, keys: Record<string, Kind>): string[] {
  return Object.entries(value).flatMap(([key, v]) => {
    const kind = keys[key];
    if (!kind) return [`${where}.${key}: not a field of Grafana's file format (ignored)`];
    return ofKind(v, kind) ? [] : [`${where}.${key}: expected ${kind}, got ${JSON.stringify(v)}`];
  });
}

function formatProblems(doc: Record<string, unknown>): string[] {
  const problems = shapeProblems('file', doc, FILE_KEYS);
  const groups = (doc.groups ?? []) as Record<string, unknown>[];
  const points = (doc.contactPoints ?? []) as Record<string, unknown>[];
  const receiverNames = new Set(points.map((p) => p.name));
  groups.forEach((group, g) => {
    problems.push(...shapeProblems(`groups[${g}]`, group, GROUP_KEYS));
    ((group.rules ?? []) as Record<string, unknown>[]).forEach((rule, r) => {
      const at = `groups[${g}].rules[${r}]`;
      problems.push(...shapeProblems(at, rule, RULE_KEYS));
      // Rule uids: letters, digits, - and _, at most 40 (ngalert's ValidateUID).
      if (!/^[A-Za-z0-9_-]{1,40}$/.test(String(rule.uid))) problems.push(`${at}.uid: not a valid Grafana uid`);
      if (!NO_DATA_STATES.includes(String(rule.noDataState))) problems.push(`${at}.noDataState: not one of ${NO_DATA_STATES.join(', ')}`);
      if (!EXEC_ERR_STATES.includes(String(rule.execErrState))) problems.push(`${at}.execErrState: not one of ${EXEC_ERR_STATES.join(', ')}`);
      const data = (rule.data ?? []) as Record<string, unknown>[];
      if (!data.some((q) => q.refId === rule.condition)) problems.push(`${at}.condition: names no query's refId`);
      data.forEach((query, q) => {
        problems.push(...shapeProblems(`${at}.data[${q}]`, query, QUERY_KEYS));
        // models.Duration reads a YAML int of seconds and nothing else; a data source query needs from > to.
        const range = query.relativeTimeRange as { from: unknown; to: unknown };
        if (!Number.isInteger(range.from) || !Number.isInteger(range.to)) problems.push(`${at}.data[${q}].relativeTimeRange: from and to must be whole seconds`);
        else if (query.datasourceUid !== '__expr__' && !((range.from as number) > (range.to as number))) problems.push(`${at}.data[${q}].relativeTimeRange: from must be greater than to`);
      });
      const receiver = (rule.notification_settings as { receiver?: unknown } | undefined)?.receiver;
      if (rule.notification_settings && !receiverNames.has(receiver)) problems.push(`${at}.notification_settings.receiver: no contact point of that name`);
    });
  });
  points.forEach((point, p) => {
    problems.push(...shapeProblems(`contactPoints[${p}]`, point, CONTACT_POINT_KEYS));
    ((point.receivers ?? []) as Record<string, unknown>[]).forEach((receiver, r) => {
      problems.push(...shapeProblems(`contactPoints[${p}].receivers[${r}]`, receiver, RECEIVER_KEYS));
      const settings = receiver.settings as { url?: unknown; httpMethod?: unknown };
      // The webhook notifier's settings: a url, and POST or PUT.
      if (receiver.type === 'webhook' && (typeof settings.url !== 'string' || !['POST', 'PUT', undefined].includes(settings.httpMethod as string))) {
        problems.push(`contactPoints[${p}].receivers[${r}].settings: a webhook needs a url and httpMethod POST or PUT`);
      }
    });
  });
  return problems;
}

describe("the file against Grafana's own loader types", () => {
  it('has only fields Grafana reads, each of the type it reads', () => {
    expect(formatProblems(parsed() as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('the check can fail: an unknown key, a float time range and a bad state are found', () => {
    const doc = JSON.parse(JSON.stringify(parsed())) as { groups: { rules: Record<string, unknown>[] }[] };
    const rule = doc.groups[0]!.rules[0]!;
    rule.notificationSettings = rule.notification_settings;
    rule.noDataState = 'Ok';
    (rule.data as { relativeTimeRange: { from: number } }[])[0]!.relativeTimeRange.from = 600.5;
    expect(formatProblems(doc as unknown as Record<string, unknown>)).toEqual([
      "groups[0].rules[0].notificationSettings: not a field of Grafana's file format (ignored)",
      'groups[0].rules[0].noDataState: not one of Alerting, NoData, OK, KeepLast',
      'groups[0].rules[0].data[0].relativeTimeRange: from and to must be whole seconds',
    ]);
  });

  it('only the contact point URL uses an environment variable: titles, labels and annotations have no "$"', () => {
    // The loader runs os.ExpandEnv over these (the query model it keeps raw).
    for (const rule of parsed().groups.flatMap((g) => g.rules) as unknown as Record<string, unknown>[]) {
      expect(JSON.stringify([rule.title, rule.labels, rule.annotations, rule.uid])).not.toContain('$');
    }
  });
});

describe('Grafana alert provisioning', () => {
  it('is the committed file, rendered from the rules with the default thresholds', () => {
    expect(parsed()).toEqual(JSON.parse(JSON.stringify(alertProvisioning(alertConfigFromEnv({})))));
  });

  it('every rule queries the provisioned ClickHouse datasource and thresholds that query', () => {
    const datasourceUid = /^\s*uid:\s*(\S+)/m.exec(read('dashboards/provisioning/datasources/clickhouse.yaml'))![1];
    const doc = parsed();
    expect(doc.apiVersion).toBe(1);
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.uid)).toEqual(alertRules(alertConfigFromEnv({})).map((r) => `aksita-${r.id}`));
    for (const rule of rules) {
      expect(rule.uid.length, rule.uid).toBeLessThanOrEqual(40);
      const byRef = Object.fromEntries(rule.data.map((q) => [q.refId, q]));
      expect(byRef.A!.datasourceUid).toBe(datasourceUid);
      // Grafana expands no dashboard macros or variables on its backend; a "$" would also be
      // taken for an environment variable by the provisioning loader.
      expect(byRef.A!.model.rawSql).not.toContain('$');
      expect(byRef[rule.condition]!.model).toMatchObject({ type: 'threshold', expression: 'A' });
      expect(rule.notification_settings.receiver).toBe(CONTACT_POINT);
    }
  });

  it('the contact point is a webhook whose URL Grafana reads from ALERT_WEBHOOK_URL', () => {
    const [point] = parsed().contactPoints;
    expect(point!.name).toBe(CONTACT_POINT);
    expect(point!.receivers).toMatchObject([{ type: 'webhook', settings: { url: '$ALERT_WEBHOOK_URL' } }]);
  });

  it('settings change the thresholds and turn the optional rules on', () => {
    const doc = alertProvisioning(alertConfigFromEnv({ ALERT_CREDITS_DAYS: '3', ALERT_CREDITS_FLOOR: '250', ALERT_SILENT_AGENT_MINUTES: '90' }));
    const rules = doc.groups[0]!.rules;
    expect(rules.map((r) => r.uid)).toEqual(['aksita-credits-run-out', 'aksita-credits-below-floor', 'aksita-dead-letters', 'aksita-pipeline-stalled', 'aksita-silent-agent']);
    expect(rules[0]!.data[1]!.model).toMatchObject({ conditions: [{ evaluator: { type: 'lt', params: [3] } }] });
    expect(rules[4]!.data[1]!.model).toMatchObject({ conditions: [{ evaluator: { type: 'gt', params: [90] } }] });
  });

  it('Compose mounts the alerting folder into Grafana and gives it ALERT_WEBHOOK_URL', () => {
    const compose = read('docker-compose.yml');
    const grafana = compose.slice(compose.indexOf('\n  grafana:'));
    expect(grafana).toMatch(/- \.\/dashboards\/provisioning\/alerting:\/etc\/grafana\/provisioning\/alerting:ro/);
    expect(grafana).toMatch(/ALERT_WEBHOOK_URL: \$\{ALERT_WEBHOOK_URL:-http/);
  });
});
