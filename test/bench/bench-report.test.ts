// The bench says when it runs on a Node older than package.json's engines (bench/report.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unsupportedNodeNote } from '../../bench/report.js';

const engines = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }).engines.node;

describe('unsupportedNodeNote', () => {
  it('names a Node older than engines, and the command to run instead', () => {
    expect(unsupportedNodeNote('v20.20.0', '>=22')).toMatch(/^Node v20\.20\.0 is older than package\.json's engines \(>=22\).*npx -p node@24 npm run bench/);
  });

  it('says nothing for a supported Node, or for an engines range it does not read', () => {
    expect(unsupportedNodeNote('v22.0.0', '>=22')).toBeUndefined();
    expect(unsupportedNodeNote('v24.21.0', '>= 22')).toBeUndefined();
    expect(unsupportedNodeNote('v20.20.0', '^22 || ^24')).toBeUndefined();
  });

  it('reads the range package.json gives', () => {
    expect(unsupportedNodeNote('v18.0.0', engines)).toBeDefined();
  });
});
