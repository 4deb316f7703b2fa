// CLICKHOUSE_CLUSTER: every migration statement rewritten for a replicated cluster, checked by
// the engine's own parser (chDB cannot run replicated tables: they need Keeper).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterRunner, REPLICA_NAME, REPLICA_PATH, toClusterDdl } from '../../store/cluster-ddl.js';
import { bootstrapStatements, DEAD_LETTERS_TABLE, migrations, REPLIES_TABLE } from '../../store/migrations.js';

const statements = [...bootstrapStatements, ...migrations.flatMap((m) => m.statements)];
const formatted = async (session: Session, sql: string) => (await session.queryBindAsync('SELECT formatQuerySingleLine({q:String})', { q: sql }, { format: 'TSVRaw' })).text().trim();

describe('cluster DDL', () => {
  let dir: string;
  let session: Session;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aksita-cluster-ddl-'));
    session = new Session(dir);
  });
  afterAll(async () => {
    session.close();
    await rm(dir, { recursive: true, force: true });
  });

  // Schema statements: CREATE, and the DROP of a retired rollup (migration 5).
  const SCHEMA = /^\s*(CREATE|DROP)\b/;
  const ddl = statements.filter((s) => SCHEMA.test(s));
  const data = statements.filter((s) => !SCHEMA.test(s));

  it('the migrations hold schema statements to check', () => {
    expect(ddl.length).toBeGreaterThanOrEqual(4);
  });

  it.each(ddl.map((s) => [s.trim().split('\n')[0]!.slice(0, 70), s]))('%s: parses, runs ON CLUSTER, replicated', async (_title, sql) => {
    const out = await formatted(session, toClusterDdl(sql, 'aksita_cluster'));
    expect(out).toMatch(/ ON CLUSTER aksita_cluster\b/);
    expect(out).not.toMatch(/non_replicated_deduplication_window/);
    // Every table engine is a replicated one, with the documented default path and replica name.
    for (const engine of out.match(/ENGINE = \w+/g) ?? []) expect(engine).toMatch(/^ENGINE = Replicated\w*MergeTree$/);
    // A version column, where the engine has one, follows the replica name.
    if (/ENGINE = /.test(out)) expect(out).toMatch(/\('\/clickhouse\/tables\/\{uuid\}\/\{shard\}', '\{replica\}'(\)|, \w+\))/);
    if (/non_replicated_deduplication_window = (\d+)/.test(sql)) {
      const window = /non_replicated_deduplication_window = (\d+)/.exec(sql)![1];
      expect(out).toContain(`replicated_deduplication_window = ${window}`);
    }
  });

  // Data statements (a backfill INSERT ... SELECT) run once, on one replica; replication
  // carries their parts to the others, so ON CLUSTER would insert the data once per replica.
  it.each(data.map((s) => [s.trim().split('\n')[0]!.slice(0, 70), s]))('%s: runs as written, on one replica', (_title, sql) => {
    expect(toClusterDdl(sql, 'aksita_cluster')).toBe(sql);
  });

  it('the reply and dead-letter tables keep their insert-token window, now in Keeper', () => {
    for (const table of [REPLIES_TABLE, DEAD_LETTERS_TABLE]) {
      const sql = statements.find((s) => s.includes(`CREATE TABLE IF NOT EXISTS ${table} `))!;
      expect(toClusterDdl(sql, 'c')).toMatch(/\breplicated_deduplication_window = [1-9]\d*/);
    }
  });

  it('the migrations drop on every replica too (DROP VIEW, DROP TABLE, with and without IF EXISTS)', async () => {
    const drops = statements.filter((s) => /^\s*DROP\b/.test(s));
    expect(drops.length).toBeGreaterThanOrEqual(2);
    for (const [sql, expected] of [
      ['DROP VIEW IF EXISTS aksita.credits_daily_mv', 'DROP VIEW IF EXISTS aksita.credits_daily_mv ON CLUSTER aksita_cluster'],
      ['DROP TABLE IF EXISTS aksita.credits_daily', 'DROP TABLE IF EXISTS aksita.credits_daily ON CLUSTER aksita_cluster'],
      ['DROP TABLE aksita.t', 'DROP TABLE aksita.t ON CLUSTER aksita_cluster'],
      ['DROP DICTIONARY IF EXISTS aksita.d', 'DROP DICTIONARY IF EXISTS aksita.d ON CLUSTER aksita_cluster'],
    ]) {
      expect(await formatted(session, toClusterDdl(sql!, 'aksita_cluster'))).toBe(expected);
    }
  });

  it('a cluster macro and engine arguments are kept', async () => {
    const out = await formatted(session, toClusterDdl('CREATE TABLE IF NOT EXISTS db.t (v UInt8) ENGINE = ReplacingMergeTree(v) ORDER BY v', '{cluster}'));
    expect(out).toContain('ON CLUSTER `{cluster}`');
    expect(out).toContain(`ReplicatedReplacingMergeTree('${REPLICA_PATH}', '${REPLICA_NAME}', v)`);
  });

  it('non-DDL statements pass unchanged; unknown DDL shapes are refused rather than run on one replica', () => {
    const insert = "INSERT INTO aksita.schema_migrations (version, name) VALUES (1, 'x')";
    expect(toClusterDdl(insert, 'c')).toBe(insert);
    expect(toClusterDdl('SELECT version FROM aksita.schema_migrations FINAL', 'c')).toBe('SELECT version FROM aksita.schema_migrations FINAL');
    expect(() => toClusterDdl('RENAME TABLE aksita.a TO aksita.b', 'c')).toThrow(/no ON CLUSTER rule/);
    expect(toClusterDdl('ALTER TABLE aksita.t ADD COLUMN x UInt8', 'c')).toBe("ALTER TABLE aksita.t ON CLUSTER 'c' ADD COLUMN x UInt8");
  });

  it('without a cluster the migrations run exactly as written (chDB and one server)', async () => {
    const seen: string[] = [];
    const run = clusterRunner(async (sql: string) => (seen.push(sql), ''), undefined);
    for (const s of statements) await run(s);
    expect(seen).toEqual(statements);
  });
});
