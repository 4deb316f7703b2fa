// The docker-compose.yml suite the compose-*.test.ts files share: the file parsed once per test
// file, skipped locally without the docker-compose binary, failed in CI without it.
import { beforeAll, describe, expect } from 'vitest';
import { composeConfig, composeVersion, type ComposeConfig, type ComposeService } from './compose-config.js';

export const OURS = ['ingest', 'consume'];

export interface ComposeSuite {
  /** The parsed file; fails the test when docker-compose is missing. */
  need(): { config: ComposeConfig; warnings: string[] };
  svc(name: string): ComposeService;
  config(): ComposeConfig;
}

const version = composeVersion();
// CI installs docker-compose (.ci/run); there its absence is a failure, never a skip.
const skipLocally = !version && !process.env.CI;
if (skipLocally) {
  console.warn(
    '\n*** docker-compose.yml checks SKIPPED: the docker-compose binary is not installed. ***\n' +
      "*** Install Debian's package (apt-get install docker-compose) to run them; CI does, and fails without it. ***\n",
  );
}

export function describeComposeFile(tests: (suite: ComposeSuite) => void): void {
  describe.skipIf(skipLocally)(`docker-compose.yml (docker-compose ${version ?? 'NOT INSTALLED'})`, () => {
    const MISSING = "docker-compose is not installed: .ci/run must install Debian's docker-compose package (apt-get install docker-compose)";
    let parsed: { config: ComposeConfig; warnings: string[] } | undefined;
    // In CI without the binary every test below fails with MISSING, rather than being skipped.
    const need = () => parsed ?? expect.fail(MISSING);
    let config: ComposeConfig;
    const svc = (name: string): ComposeService => need().config.services[name] ?? expect.fail(`docker-compose.yml has no "${name}" service`);
    beforeAll(() => {
      if (!version) return;
      parsed = composeConfig();
      config = parsed.config;
    });
    tests({ need, svc, config: () => config });
  });
}
