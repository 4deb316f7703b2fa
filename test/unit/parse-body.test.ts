// parseBody's structural checks: duplicate keys anywhere (found by counting keys, then named by
// a second walk), nesting depth, and strings that hold quotes, backslashes and colons.
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, parseBody } from '../../core/parse-body.js';

const parse = (text: string) => parseBody(Buffer.from(text, 'utf8'));

describe('parseBody', () => {
  it.each([
    ['top level', '{"a":1,"b":2,"a":3}', 'a'],
    ['nested object', '{"a":{"x":1,"y":2,"x":3}}', 'x'],
    ['object inside an array', '{"list":[{"k":1},{"k":2,"k":3}]}', 'k'],
    ['the same key written with an escape', '{"a":1,"\\u0061":2}', 'a'],
    ['whitespace before the colon', '{"a" : 1, "a"\n:\t2}', 'a'],
    ['after a string ending in an escaped backslash', '{"s":"x\\\\","s":1}', 's'],
  ])('names a duplicate key: %s', (_name, text, key) => {
    expect(parse(text)).toEqual({ ok: false, code: 'duplicate_key', args: [key] });
  });

  it.each([
    ['the same key in different objects', '{"a":{"k":1},"b":{"k":2},"k":[{"k":3},{"k":4}]}'],
    ['string values that look like keys', '{"a":"\\"a\\":1","b":"x:y","c":["a",":","a"]}'],
    ['escaped quotes and backslashes in keys', '{"q\\"":1,"q\\\\":2,"q":3}'],
    ['empty objects and arrays', '{"a":{},"b":[],"c":[{}]}'],
  ])('accepts %s', (_name, text) => {
    const parsed = parse(text);
    expect(parsed).toMatchObject({ ok: true, text });
    if (parsed.ok) expect(parsed.value).toEqual(JSON.parse(text));
  });

  it('refuses nesting deeper than MAX_DEPTH, and accepts exactly MAX_DEPTH', () => {
    const nest = (n: number) => `{"a":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    expect(parse(nest(MAX_DEPTH))).toMatchObject({ ok: true });
    expect(parse(nest(MAX_DEPTH + 1))).toEqual({ ok: false, code: 'too_deep', args: [MAX_DEPTH] });
  });

  it('ignores a leading byte order mark, and keeps it in the text (the stored body stays byte-exact)', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]);
    const parsed = parseBody(body);
    expect(parsed).toMatchObject({ ok: true, value: { a: 1 } });
    if (parsed.ok) expect(Buffer.from(parsed.text, 'utf8').equals(body)).toBe(true);
  });

  it('refuses invalid UTF-8 rather than replacing it', () => {
    expect(parseBody(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]))).toEqual({ ok: false, code: 'invalid_utf8', args: [] });
  });
});
