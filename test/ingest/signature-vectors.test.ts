// The signature vectors were computed with openssl, independently of this code.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hmacKey, verifySignature } from '../../ingest/signature.js';

const dir = path.join(import.meta.dirname, '../fixtures/signatures');
const vectors = JSON.parse(readFileSync(path.join(dir, 'vectors.json'), 'utf8')) as {
  valid: { body_file: string; secret: string; signature: string }[];
  invalid_signature_headers_for_01_with_secret_s3cr3t: { header: string; why: string }[];
};
const body = (file: string) => readFileSync(path.join(dir, file));

describe('signature vectors (openssl)', () => {
  it.each(vectors.valid)('$body_file signed with its secret verifies', (v) => {
    expect(verifySignature(body(v.body_file), [v.signature], [v.secret])).toEqual({ ok: true });
  });

  it.each(vectors.valid)('$body_file verifies with uppercase hex of the same bytes', (v) => {
    expect(verifySignature(body(v.body_file), [v.signature.toUpperCase()], [v.secret])).toEqual({ ok: true });
  });

  it.each(vectors.valid)('$body_file verifies while the secret is one of several (rotation)', (v) => {
    expect(verifySignature(body(v.body_file), [v.signature], ['old-secret', v.secret, 'next-secret'])).toEqual({ ok: true });
  });

  it.each(vectors.valid)('$body_file verifies with its secret given as the key the route makes of it', (v) => {
    expect(verifySignature(body(v.body_file), [v.signature], [hmacKey(v.secret)])).toEqual({ ok: true });
    expect(verifySignature(body(v.body_file), [v.signature], [hmacKey(`${v.secret}x`)]).ok).toBe(false);
  });

  it.each(vectors.invalid_signature_headers_for_01_with_secret_s3cr3t)('header "$header" ($why) is rejected', (v) => {
    const result = verifySignature(body('01-seed-example.json'), [v.header], ['s3cr3t']);
    expect(result.ok).toBe(false);
  });

  it('the pretty-printed seed fails when re-serialised, so verification must use raw bytes', () => {
    const raw = body('01-seed-example.json');
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))));
    const v = vectors.valid[0]!;
    expect(verifySignature(reserialised, [v.signature], [v.secret]).ok).toBe(false);
  });

  it('a missing header is reported as missing', () => {
    expect(verifySignature(body('01-seed-example.json'), [], ['s3cr3t'])).toEqual({ ok: false, code: 'signature_missing' });
  });

  it('two signature headers are rejected even when one is right', () => {
    const v = vectors.valid[0]!;
    const result = verifySignature(body(v.body_file), [v.signature, v.signature], [v.secret]);
    expect(result).toMatchObject({ ok: false, code: 'signature_invalid' });
  });
});
