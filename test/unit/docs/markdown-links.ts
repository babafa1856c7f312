import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';

/**
 * The relative links of the repository's Markdown, checked as GitHub renders them: a link
 * must stay inside the repository, name a file that exists, and an `#anchor` must be a
 * heading of the file it points at (GitHub's slugs).
 */

export interface BrokenLink {
  file: string;
  target: string;
  why: string;
}

/** `[text](target)` and `[text](target "title")`, outside code; images too. */
const LINK = /!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

/** The Markdown without fenced code blocks and inline code, where brackets are not links. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`+[^`\n]*`+/g, '');
}

export function linksOf(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(LINK)].map((match) => match[1]!);
}

/**
 * GitHub's heading ids: the rendered text lower-cased, every character that is not a letter,
 * mark, digit, connector (`_`), hyphen or space removed, spaces turned into hyphens; a
 * repeated id gets `-1`, `-2`, ...
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const rendered = heading!
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link shows its text
      .replace(/<[^>]+>/g, '') // inline HTML shows nothing of its tags
      .replace(/[`*]/g, '') // code and emphasis marks
      .replace(/(^|\s)_+|_+(\s|$)/g, '$1$2');
    const slug = rendered
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every broken relative link of `files` (absolute paths), against the repository at `root`. */
export function brokenLinks(root: string, files: string[]): BrokenLink[] {
  const broken: BrokenLink[] = [];
  for (const file of files) {
    const name = relative(root, file);
    for (const target of linksOf(readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // https:, mailto:
      const [pathPart, anchor] = splitAnchor(target);
      const resolved = pathPart === '' ? file : resolve(dirname(file), decodeURI(pathPart));
      const inside = relative(root, resolved);
      if (isAbsolute(pathPart) || inside.startsWith('..') || isAbsolute(inside)) {
        broken.push({ file: name, target, why: 'leaves the repository' });
        continue;
      }
      if (!existsSync(resolved)) {
        broken.push({ file: name, target, why: `${inside} does not exist` });
        continue;
      }
      if (anchor === undefined) continue;
      if (!resolved.endsWith('.md') || statSync(resolved).isDirectory()) {
        broken.push({ file: name, target, why: 'an anchor into a file that is not Markdown' });
      } else if (!headingAnchors(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor))) {
        broken.push({ file: name, target, why: `${inside} has no heading #${anchor}` });
      }
    }
  }
  return broken;
}

function splitAnchor(target: string): [string, string | undefined] {
  const hash = target.indexOf('#');
  return hash === -1 ? [target, undefined] : [target.slice(0, hash), target.slice(hash + 1)];
}
