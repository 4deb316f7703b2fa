// ALERT_* settings: validated with the rest of the environment, secrets and URLs never shown.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';

const error = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  return expect.fail('expected a configuration error');
};

describe('alert settings', () => {
  it('defaults: run-out within 7 days, stall after 5 minutes, every 60 s; floor and silence off', () => {
    expect(loadConfig({}).alerts).toEqual({
      webhookUrl: undefined,
      format: 'slack',
      secret: undefined,
      intervalSeconds: 60,
      creditsDays: 7,
      creditsFloor: undefined,
      stallMinutes: 5,
      silentAgentMinutes: 0,
    });
  });

  it('a floor is a number for every agent, or JSON per agent with "*" for the rest', () => {
    expect(loadConfig({ ALERT_CREDITS_FLOOR: '250' }).alerts.creditsFloor).toEqual({ agents: {}, other: 250 });
    expect(loadConfig({ ALERT_CREDITS_FLOOR: '{"sales":1000,"*":50}' }).alerts.creditsFloor).toEqual({ agents: { sales: 1000 }, other: 50 });
    expect(loadConfig({ ALERT_CREDITS_FLOOR: '{"sales":1000}' }).alerts.creditsFloor).toEqual({ agents: { sales: 1000 }, other: undefined });
    for (const bad of ['-1', 'lots', '{"sales":"1000"}', '[]', '{}']) expect(error({ ALERT_CREDITS_FLOOR: bad })).toMatch(/ALERT_CREDITS_FLOOR=.*expected a number/);
  });

  it('the webhook URL must be http(s), and is hidden in the error (a Slack URL is a credential)', () => {
    const message = error({ ALERT_WEBHOOK_URL: 'ftp://hooks.slack.com/services/T000/B000/XXXX' });
    expect(message).toMatch(/ALERT_WEBHOOK_URL=\(hidden\): expected an http\(s\):\/\/ URL/);
    expect(message).not.toContain('XXXX');
  });

  it('the generic format needs a secret, and the secret is never shown', () => {
    expect(error({ ALERT_WEBHOOK_URL: 'https://example.com/a', ALERT_WEBHOOK_FORMAT: 'generic' })).toMatch(/ALERT_WEBHOOK_SECRET: expected a secret/);
    const message = error({ ALERT_WEBHOOK_SECRET: '   ' });
    expect(message).toMatch(/ALERT_WEBHOOK_SECRET=\(hidden\)/);
    expect(error({ ALERT_WEBHOOK_FORMAT: 'teams' })).toMatch(/ALERT_WEBHOOK_FORMAT="teams": expected slack or generic/);
  });

  it('intervals and thresholds are bounded numbers', () => {
    expect(error({ ALERT_INTERVAL_SECONDS: '1m' })).toMatch(/ALERT_INTERVAL_SECONDS="1m": expected an integer/);
    expect(error({ ALERT_CREDITS_DAYS: '0' })).toMatch(/ALERT_CREDITS_DAYS="0": expected a number above 0/);
    expect(loadConfig({ ALERT_CREDITS_DAYS: '2.5', ALERT_SILENT_AGENT_MINUTES: '90' }).alerts).toMatchObject({ creditsDays: 2.5, silentAgentMinutes: 90 });
  });
});
