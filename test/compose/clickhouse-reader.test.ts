// tools/clickhouse/: the read-only account Grafana queries the Compose ClickHouse with. No server
// runs here, so the files are checked as ClickHouse reads them: well-formed XML, setting names the
// engine knows (chDB is the same engine), a grant its parser takes, and the limits Grafana needs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { queryBind } from 'chdb';
import { describe, expect, it } from 'vitest';
import { CLICKHOUSE_CONFIG_FILE as CONFIG_FILE, CLICKHOUSE_USERS_FILE as USERS_FILE, ROOT } from './compose-config.js';
import { all, at, readXml, type XmlNode } from './xml-tree.js';

const READER = 'grafana_reader';

const users = readXml(path.join(ROOT, USERS_FILE));
const user = at(users, `users/${READER}`);
const profile = at(users, `profiles/${at(user, 'profile')?.text ?? '(none)'}`);
const constraints = at(profile, 'constraints');
const settingsOf = (node: XmlNode | undefined) => (node?.children ?? []).filter((c) => c.tag !== 'constraints');
const known = (name: string) => queryBind('SELECT count() FROM system.settings WHERE name = {name:String}', { name }, 'TSVRaw').trim() === '1';
const MAX_MEMORY = 1024 ** 3;
const MAX_RESULT = 256 * 1024 ** 2;

describe(`${USERS_FILE}: Grafana's ClickHouse account`, () => {
  it(`defines ${READER}, its password from the environment, never empty in the file`, () => {
    expect(users.tag).toBe('clickhouse');
    expect(user, `<users><${READER}>`).toBeDefined();
    expect(all(user, 'password')).toEqual([{ tag: 'password', attrs: { from_env: 'CLICKHOUSE_GRAFANA_PASSWORD' }, text: '', children: [] }]);
    for (const other of ['password_sha256_hex', 'password_double_sha1_hex', 'no_password']) expect(at(user, other), other).toBeUndefined();
  });

  it('may SELECT from aksita.* and nothing else, and cannot manage users', () => {
    const grants = all(at(user, 'grants'), 'query').map((q) => q.text);
    expect(grants).toEqual(['GRANT SELECT ON aksita.*']);
    // The engine's parser takes it (users.d grants omit the grantee; ClickHouse adds it).
    const formatted = queryBind('SELECT formatQuerySingleLine({q:String})', { q: `${grants[0]} TO ${READER}` }, 'TSVRaw').trim();
    expect(formatted).toBe(`GRANT SELECT ON aksita.* TO ${READER}`);
    expect(at(user, 'access_management')?.text ?? '0').toBe('0');
    expect(at(user, 'named_collection_control')?.text ?? '0').toBe('0');
  });

  it('its profile is readonly = 1, with limits on time, memory and result size', () => {
    const values = Object.fromEntries(settingsOf(profile).map((s) => [s.tag, s.text]));
    expect(values).toMatchObject({ readonly: '1', max_execution_time: expect.stringMatching(/^[1-9]\d*$/) });
    expect(Number(values.max_memory_usage)).toBe(MAX_MEMORY);
    expect(Number(values.max_result_bytes)).toBe(MAX_RESULT);
  });

  it("Grafana's per-query settings (max_execution_time, limit) are changeable in readonly mode; max_execution_time is bounded and never 0", () => {
    for (const name of ['max_execution_time', 'limit']) expect(at(constraints, `${name}/changeable_in_readonly`), name).toBeDefined();
    const timeout = at(constraints, 'max_execution_time');
    expect(Number(at(timeout, 'min')?.text)).toBeGreaterThanOrEqual(1); // 0 means no limit
    expect(Number(at(timeout, 'max')?.text)).toBeLessThanOrEqual(600);
    // Only these two: anything else changeable would let Explore lift a limit.
    const changeable = (constraints?.children ?? []).filter((c) => at(c, 'changeable_in_readonly')).map((c) => c.tag);
    expect(changeable.sort()).toEqual(['limit', 'max_execution_time']);
  });

  it('memory and result limits are constraints pinned to the profile values, so even readonly = 2 could not lift them', () => {
    for (const [name, value] of [
      ['max_memory_usage', MAX_MEMORY],
      ['max_result_bytes', MAX_RESULT],
    ] as const) {
      const c = at(constraints, name);
      expect(Number(at(c, 'min')?.text), name).toBe(value);
      expect(Number(at(c, 'max')?.text), name).toBe(value);
    }
  });

  it('names only settings the engine knows (a typo would be a start-up error or a silent no-op)', () => {
    const names = [...settingsOf(profile).map((s) => s.tag), ...(constraints?.children ?? []).map((c) => c.tag)];
    expect(names.filter((n) => !known(n))).toEqual([]);
  });
});

describe(`${CONFIG_FILE}`, () => {
  const config = readXml(path.join(ROOT, CONFIG_FILE));
  it('turns on what the reader depends on: changeable_in_readonly constraints, and no system.* without a grant', () => {
    const improvements = at(config, 'access_control_improvements');
    // changeable_in_readonly is ignored unless settings_constraints_replace_previous is on.
    expect(at(improvements, 'settings_constraints_replace_previous')?.text).toBe('true');
    expect(at(improvements, 'select_from_system_db_requires_grant')?.text).toBe('true');
    expect(at(improvements, 'select_from_information_schema_requires_grant')?.text).toBe('true');
  });
});

describe('README: the same account in SQL, for servers without Compose', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /```sql\n(CREATE USER grafana_reader[\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const statements = block
    .split(';')
    .map((q) => q.trim())
    .filter(Boolean);
  const format = (q: string) => queryBind('SELECT formatQuerySingleLine({q:String})', { q }, 'TSVRaw').trim();

  it('parses, and grants and limits what the users.d file does', () => {
    expect(statements).toHaveLength(2);
    const [create, grant] = statements.map(format) as [string, string];
    expect(grant).toBe(`GRANT SELECT ON aksita.* TO ${READER}`);
    const value = (name: string) => at(profile, name)?.text;
    const timeout = at(constraints, 'max_execution_time');
    expect(create).toContain(`readonly = ${value('readonly')}`);
    expect(create).toContain(`max_execution_time = ${value('max_execution_time')} MIN ${at(timeout, 'min')?.text} MAX ${at(timeout, 'max')?.text} CHANGEABLE_IN_READONLY`);
    expect(create).toContain('limit CHANGEABLE_IN_READONLY');
    expect(create).toContain(`max_memory_usage = ${value('max_memory_usage')} CONST`);
    expect(create).toContain(`max_result_bytes = ${value('max_result_bytes')} CONST`);
  });
});
