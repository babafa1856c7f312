import { describe, expect, it } from 'vitest';
import { codePointLength, firstCodePoints, isBlankText } from '../../../lambdas/domain/text.js';

describe('text rules', () => {
  it('counts an emoji outside the BMP as one character, not two UTF-16 units', () => {
    const emoji = '😀'.repeat(60);
    expect(emoji.length).toBe(120);
    expect(codePointLength(emoji)).toBe(60);
    expect(codePointLength('Salom, Привет')).toBe(13);
  });

  it('cuts after whole code points, never inside a surrogate pair', () => {
    expect(firstCodePoints('a😀b', 2)).toBe('a😀');
    expect(firstCodePoints('ab', 5)).toBe('ab');
  });

  it('calls text blank when nothing in it would show', () => {
    for (const blank of ['', '   ', '\t\n', '\u200b\u200b', '\0\0', '\u200d\ufeff', '\u3164', '\u00a0\u2028']) {
      expect(isBlankText(blank), JSON.stringify(blank)).toBe(true);
    }
    for (const visible of ['a', ' x ', '😀', '\u200bhi', 'Салом']) {
      expect(isBlankText(visible), JSON.stringify(visible)).toBe(false);
    }
  });
});
