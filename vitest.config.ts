import { configDefaults, defineConfig } from 'vitest/config';

// Four projects (README, "What is tested where"); `npm test` runs them all, `--project <name>` one.
// test/unit/test-projects.test.ts checks that every test file belongs to exactly one project.

/**
 * Pure unit tests outside test/unit/: no broker, no process spawned, no chDB, no listening socket
 * (temporary files are fine; test/unit/kafka-security-config.test.ts runs openssl once for its certificates).
 */
export const UNIT_ELSEWHERE = [
  'test/alerts/alert-config.test.ts',
  'test/alerts/alert-state.test.ts',
  'test/alerts/grafana-provisioning.test.ts',
  'test/alerts/queue-stall-probe.test.ts',
  'test/dashboards/credits-display.test.ts',
  'test/dashboards/dashboard-model.test.ts',
  'test/dashboards/macro-expander.test.ts',
  'test/ingest/failure-limiter.test.ts',
  'test/live/one-source.test.ts',
  'test/live/page-modules.test.ts',
  'test/ingest/routes.test.ts',
  'test/ingest/signature-vectors.test.ts',
  'test/ingest/webhook-inputs.test.ts',
  'test/kafka/kafka-partitioner.test.ts',
  'test/queue/embedded-log.test.ts',
  'test/queue/embedded-log-failures.test.ts',
  'test/queue/embedded-log-damage.test.ts',
  'test/queue/embedded-log-recovery.test.ts',
  'test/queue/embedded-log-segments.test.ts',
  'test/queue/embedded-log-repair.test.ts',
  'test/queue/log-follower.test.ts',
  'test/reports/report-units.test.ts',
  'test/reports/terminal-text.test.ts',
  'test/store/tab-separated-writer.test.ts',
];

/** Tests outside test/e2e/ that start `reply-analytics` as a real process. */
export const E2E_ELSEWHERE = [
  'test/alerts/pipeline-alerts.test.ts',
  'test/alerts/pipeline-stall.test.ts',
  'test/ingest/slow-clients.test.ts',
  'test/ops/admin-api.test.ts',
  'test/ops/backup.test.ts',
  'test/ops/cli-args.test.ts',
  'test/reports/report-cli.test.ts',
];

export const PROJECTS = {
  unit: { include: ['test/unit/**/*.test.ts', ...UNIT_ELSEWHERE], exclude: [] as string[] },
  // The only project with the Kafka broker: test/kafka/ but its pure unit test.
  kafka: { include: ['test/kafka/**/*.test.ts'], exclude: ['test/kafka/kafka-partitioner.test.ts'] },
  e2e: { include: ['test/e2e/**/*.test.ts', ...E2E_ELSEWHERE], exclude: [] as string[] },
  // The rest: real chDB, real HTTP in-process, helper processes that are not `reply-analytics`.
  integration: { include: ['test/**/*.test.ts'], exclude: ['test/unit/**', 'test/e2e/**', 'test/kafka/**', ...UNIT_ELSEWHERE, ...E2E_ELSEWHERE] },
};

export default defineConfig({
  test: {
    // chDB allows one open data directory per process: every test file gets its own process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests print why something was skipped; keep that visible.
    reporters: ['default'],
    projects: Object.entries(PROJECTS).map(([name, { include, exclude }]) => ({
      extends: true,
      test: {
        name,
        include,
        exclude: [...configDefaults.exclude, ...exclude],
        // A real Kafka broker for the project's run (unless KAFKA_BROKERS points at one).
        ...(name === 'kafka' ? { globalSetup: ['./tools/kafka/vitest-global-setup.ts'] } : {}),
      },
    })),
  },
});
