/**
 * How the chat counts and judges text, in one place. Lengths are Unicode code points (what a
 * person counts as characters, closer than UTF-16 units: an emoji outside the BMP is one code
 * point but two units), so a limit means the same in the browser, in Dart and here.
 */

/** Number of Unicode code points (a surrogate pair counts once). */
export const codePointLength = (text: string): number => {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
};

/** The first `max` code points of `text`, never splitting a surrogate pair. */
export const firstCodePoints = (text: string, max: number): string => {
  let out = '';
  let count = 0;
  for (const ch of text) {
    if (count === max) break;
    out += ch;
    count += 1;
  }
  return out;
};

/**
 * Characters that show nothing: white space (\s covers the Unicode spaces), control and
 * format characters (Cc, Cf: NUL, zero-width space/joiners, BOM, bidi marks), and the
 * invisible fillers some keyboards produce (Hangul fillers, braille blank).
 */
const INVISIBLE = /^[\s\p{Cc}\p{Cf}\u115F\u1160\u3164\uFFA0\u2800]*$/u;

/** True when the text has nothing a reader would see. */
export const isBlankText = (text: string): boolean => INVISIBLE.test(text);
