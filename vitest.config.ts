import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A real Kafka broker for the whole run (unless KAFKA_BROKERS points at one).
    globalSetup: ['./tools/kafka/vitest-global-setup.ts'],
    // chDB allows one open data directory per process: every test file gets its own process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests print why something was skipped; keep that visible.
    reporters: ['default'],
  },
});
