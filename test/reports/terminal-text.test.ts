// What a terminal is sent of query output: every control character but tab and newline made
// visible, everything else (text in any script, ClickHouse's box drawing) unchanged.
import { describe, expect, it } from 'vitest';
import { escapeForTerminal, terminalText } from '../../reports/terminal-text.js';

describe('escapeForTerminal', () => {
  it('ESC, BEL, CR, backspace, NUL and DEL become control pictures', () => {
    expect(escapeForTerminal('\x1b[31mred\x1b[0m')).toBe('␛[31mred␛[0m');
    expect(escapeForTerminal('a\x07b\rc\x08d\x00e\x7f')).toBe('a␇b␍c␈d␀e␡');
    expect(escapeForTerminal('\x1b]0;title\x07')).toBe('␛]0;title␇'); // a window-title change
  });

  it('C1 controls (U+009B is CSI on its own) are written as \\u escapes', () => {
    expect(escapeForTerminal('\u009b2J\u0085\u0080')).toBe('\\u009b2J\\u0085\\u0080');
  });

  it('every code point below U+0020, and U+007F to U+009F, is escaped, except tab and newline', () => {
    for (let code = 0; code <= 0xa0; code++) {
      const c = String.fromCharCode(code);
      const kept = code === 9 || code === 10 || (code >= 0x20 && code < 0x7f) || code === 0xa0;
      expect(escapeForTerminal(c) === c, `U+${code.toString(16).padStart(4, '0')}`).toBe(kept);
    }
  });

  it('tab, newline and printable text in any script are unchanged', () => {
    const text = '   ┌─agent─┐\n1. │ Terima kasih 🙏 | 谢谢 | مرحبا\t«ok» │\n';
    expect(escapeForTerminal(text)).toBe(text);
  });
});

describe('terminalText', () => {
  it('decodes UTF-8 and escapes; bytes that are not UTF-8 (a lone 0x9B) become U+FFFD, never reaching the terminal', () => {
    const bytes = Buffer.concat([Buffer.from('ok \x1b[2J '), Buffer.from([0x9b, 0x32, 0x4a]), Buffer.from(' é')]);
    const out = terminalText(bytes);
    expect(out).toBe('ok ␛[2J \ufffd2J é');
    expect(Buffer.from(out).includes(0x1b)).toBe(false);
  });

  it('reads only its own slice of a larger buffer', () => {
    const whole = Buffer.from('xx\x1byy');
    expect(terminalText(whole.subarray(2, 3))).toBe('␛');
  });
});
