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
