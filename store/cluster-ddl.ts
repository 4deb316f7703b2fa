// The cluster variant of our migrations (CLICKHOUSE_CLUSTER): the statements in migrations.ts
// are written once, for a single node, and rewritten here for a replicated cluster:
//   - schema DDL gets ON CLUSTER, so every replica runs it (through the distributed DDL queue);
//   - *MergeTree engines become Replicated*MergeTree, so replicas share parts through Keeper;
//   - non_replicated_deduplication_window becomes replicated_deduplication_window: insert
//     tokens are then remembered in Keeper, so a retried batch is a no-op on whichever replica
//     it lands (https://clickhouse.com/docs/operations/settings/merge-tree-settings).
// The input is trusted text from this repository, never user SQL. A DDL shape this file does
// not know throws rather than run on one replica only; test/store/cluster-ddl.test.ts
// rewrites every migration and has the engine parse the result.

import { stringLiteral } from './sql-literal.js';

/**
 * Replication path and replica name: the server's documented defaults (default_replica_path,
 * default_replica_name). {uuid} is the same on every replica because the ON CLUSTER
 * initiator assigns it; {shard} and {replica} are macros from each server's config.
 */
export const REPLICA_PATH = '/clickhouse/tables/{uuid}/{shard}';
export const REPLICA_NAME = '{replica}';

const NAME = String.raw`[A-Za-z0-9_.\x60]+`;
// Statement kinds that change the schema and so must run on every replica.
const SCHEMA_DDL = /^\s*(CREATE|ALTER|DROP|RENAME|TRUNCATE|EXCHANGE|ATTACH|DETACH)\b/i;
const CREATE = new RegExp(String.raw`^(\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW|MATERIALIZED\s+VIEW|DATABASE|DICTIONARY)\s+(?:IF\s+NOT\s+EXISTS\s+)?)(${NAME})(?=\s|\(|$)`, 'i');
const ALTER_DROP = new RegExp(String.raw`^(\s*(?:ALTER\s+TABLE|(?:DROP|TRUNCATE)\s+(?:TABLE|VIEW|DATABASE|DICTIONARY)(?:\s+IF\s+EXISTS)?)\s+)(${NAME})(?=\s|$)`, 'i');
const ENGINE = /\bENGINE\s*=\s*(Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing|Graphite)?MergeTree\b(\s*\(([^()]*)\))?/gi;

/** Rewrites one statement for a replicated cluster; statements that are not DDL pass unchanged. */
export function toClusterDdl(statement: string, cluster: string): string {
  if (!SCHEMA_DDL.test(statement)) return statement;
  // A cluster name (or a {macro}) as the string literal ON CLUSTER accepts.
  const on = ` ON CLUSTER ${stringLiteral(cluster)}`;
  let out: string;
  if (CREATE.test(statement)) out = statement.replace(CREATE, (_m, head: string, name: string) => `${head}${name}${on}`);
  else if (ALTER_DROP.test(statement)) out = statement.replace(ALTER_DROP, (_m, head: string, name: string) => `${head}${name}${on}`);
  else throw new Error(`cluster-ddl: no ON CLUSTER rule for this statement; add one before it runs on one replica only: ${statement.slice(0, 120)}`);
  out = out.replace(ENGINE, (_m, kind: string | undefined, _parens: string | undefined, args: string | undefined) => {
    const extra = args?.trim() ? `, ${args.trim()}` : '';
    return `ENGINE = Replicated${kind ?? ''}MergeTree('${REPLICA_PATH}', '${REPLICA_NAME}'${extra})`;
  });
  return out.replace(/\bnon_replicated_deduplication_window\b/g, 'replicated_deduplication_window');
}

/** A migration runner that sends every statement through toClusterDdl when a cluster is set. */
export function clusterRunner<T>(run: (sql: string) => Promise<T>, cluster: string | undefined): (sql: string) => Promise<T> {
  return cluster ? (sql) => run(toClusterDdl(sql, cluster)) : run;
}
