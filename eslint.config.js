// `npm run lint`: typescript-eslint's recommended rules (syntax only, no type information, so it
// stays fast) and the import rules of ARCHITECTURE.md ("Folders and what each may import").
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// ARCHITECTURE.md's folder table. Folders not listed here (cli/, bench/, test/, bin/) may import anything.
export const mayImport = {
  core: [],
  queue: ['core'],
  http: ['core'],
  ingest: ['core', 'queue', 'http'],
  store: ['core'],
  consumer: ['core', 'queue', 'store'],
  reports: ['core', 'store'],
  dashboards: ['core', 'store', 'alerts'],
  alerts: ['core', 'store', 'dashboards'],
  live: ['core', 'store', 'dashboards'],
  tools: [],
};
// Single files a folder may import beyond its table row: side-effect patches of a library that
// themselves import nothing of ours.
export const mayImportFiles = {
  tools: ['queue/kafkajs-request-queue-patch.js'],
};
const ours = ['core', 'queue', 'http', 'ingest', 'store', 'consumer', 'reports', 'dashboards', 'alerts', 'live', 'cli', 'tools', 'bench', 'test', 'bin'];

function folderRules(folder, allowed) {
  const forbidden = ours.filter((other) => other !== folder && !allowed.includes(other));
  const files = (mayImportFiles[folder] ?? []).map((f) => `${f.replaceAll('.', '\\.')}$`);
  const except = files.length ? `(?!${files.join('|')})` : '';
  // Relative specifiers only ("../ingest/app.js", "../../store/x.js" from a subfolder): no folder of
  // ours has a subfolder named like a top-level folder, so the match is unambiguous.
  const regex = `^(\\.\\./)+${except}(${forbidden.join('|')})(/|$)`;
  const folders = allowed.length ? allowed.map((f) => `${f}/`).join(', ') : 'nothing of ours';
  const message = `ARCHITECTURE.md: ${folder}/ may import ${folders}${files.length ? ` except ${mayImportFiles[folder].join(', ')}` : ''}.`;
  return {
    files: [`${folder}/**/*.{ts,js}`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex, message }] }],
      // The same for `await import('...')`, which no-restricted-imports does not see.
      'no-restricted-syntax': ['error', { selector: `ImportExpression > Literal[value=/${regex.replaceAll('/', '\\/')}/]`, message }],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'test-artifacts/', 'dashboards/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      // A closure that reads the variable is created before its one assignment (a worker's callback).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `_name` marks a deliberately unused binding; `{ drop: _, ...rest }` picks the rest.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Off: the tree uses comma sequences as statements (`while (z >= 128) (z = z / 128), n++;`).
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  // The live page's browser modules (served as they are, no build step).
  { files: ['live/page/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  ...Object.entries(mayImport).map(([folder, allowed]) => folderRules(folder, allowed)),
);
