// The README's error table and the catalogue in core/errors.ts must agree.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError, errorCatalogue, type ErrorCode } from '../../core/errors.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const documented = new Map([...readme.matchAll(/^\| `([a-z_0-9]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));

describe('error catalogue', () => {
  it('every code is documented in the README with its status, and nothing else is', () => {
    const catalogue = new Map(Object.entries(errorCatalogue).map(([code, e]) => [code, e.status]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(catalogue));
  });

  it('errors serialise to {"error":{"code","message"}} with the arguments filled in', () => {
    const err = new AppError('body_too_large', [1024]);
    expect(err.toJSON()).toEqual({ error: { code: 'body_too_large', message: 'Body is larger than the limit of 1024 bytes (MAX_BODY_BYTES).' } });
    expect(err.statusCode).toBe(413);
  });

  it('only 503s are retriable by default', () => {
    for (const code of Object.keys(errorCatalogue) as ErrorCode[]) {
      expect(new AppError(code).retriable).toBe(errorCatalogue[code].status === 503);
    }
  });
});
