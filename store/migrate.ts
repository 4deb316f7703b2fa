// Applies the migrations in migrations.ts that the store has not recorded yet.
import { bootstrapStatements, migrations, MIGRATIONS_TABLE, type Migration } from './migrations.js';
import { stringLiteral } from './sql-literal.js';

/** Runs one trusted statement, returning its TSV output. */
export type Runner = (sql: string) => Promise<string>;

export async function applyMigrations(run: Runner, list: readonly Migration[] = migrations): Promise<number[]> {
  for (const statement of bootstrapStatements) await run(statement);
  const applied = new Set((await run(`SELECT version FROM ${MIGRATIONS_TABLE} FINAL`)).split('\n').filter(Boolean).map(Number));
  const done: number[] = [];
  for (const migration of [...list].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements) await run(statement);
    await run(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES (${migration.version}, ${stringLiteral(migration.name)})`);
    done.push(migration.version);
  }
  return done;
}
