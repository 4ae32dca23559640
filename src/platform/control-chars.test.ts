import { describe, expect, it } from 'vitest';
import { controlEscapeIn, hasControlCharacter } from './control-chars.ts';

describe('controlEscapeIn', () => {
  it('finds every escape of a C0 control character but tab, line feed and carriage return', () => {
    for (let code = 0; code < 0x20; code++) {
      const text = JSON.stringify({ s: `a${String.fromCharCode(code)}b` });
      const allowed = code === 0x09 || code === 0x0a || code === 0x0d;
      expect(controlEscapeIn(text) !== undefined, `U+${code.toString(16).padStart(4, '0')} as ${text}`).toBe(!allowed);
    }
    expect(controlEscapeIn('{"s":"\\u001F"}')).toBe('\\u001F');
    expect(controlEscapeIn('{"s":"\\u000B"}')).toBe('\\u000B');
  });

  it('reads escaped backslashes as pairs, so the text \\u0000 written out is not a NUL', () => {
    expect(controlEscapeIn(JSON.stringify({ s: 'C:\\u0000\\b\\f' }))).toBeUndefined();
    expect(controlEscapeIn('{"s":"\\\\\\u0000"}')).toBe('\\u0000');
    expect(controlEscapeIn('{"s":"\\\\\\\\u0000"}')).toBeUndefined();
  });

  it('passes ordinary JSON, other escapes and characters beyond U+001F', () => {
    expect(controlEscapeIn(JSON.stringify({ s: 'tab\tline\nreturn\r"quote"/ü中\u007f\u0080' }))).toBeUndefined();
    expect(controlEscapeIn('{"s":"\\u0020\\u00e9\\u2028\\"\\/\\n"}')).toBeUndefined();
    expect(controlEscapeIn('{"keys": [1, 2, 3]}')).toBeUndefined();
  });

  it('finds one in a key as well as in a value, however deep', () => {
    expect(controlEscapeIn('{"a":{"b":[{"c\\u0000":1}]}}')).toBe('\\u0000');
  });
});

describe('hasControlCharacter', () => {
  it('refuses decoded C0 controls but tab, line feed and carriage return', () => {
    expect(hasControlCharacter('a\u0000')).toBe(true);
    expect(hasControlCharacter('\u001b[31m')).toBe(true);
    expect(hasControlCharacter('a\tb\nc\rd')).toBe(false);
    expect(hasControlCharacter('普通 text')).toBe(false);
  });
});
