import JSZip from 'jszip';

// Package checks for generated .pptx files: the faults that make PowerPoint offer to "repair" a file — a part
// without a content type, a content type for a missing part, a relationship to nowhere, an r:id its part's
// relationships do not define, XML that does not parse — found by reading the package the way an OPC reader does.

export interface PackageSummary {
  slides: number;
  notes: number;
  parts: string[];
}

const CONTENT_TYPES = '[Content_Types].xml';

const numbered = (prefix: string) => new RegExp(`^${prefix}(\\d+)\\.xml$`);
const SLIDE = numbered('ppt/slides/slide');
const NOTES = numbered('ppt/notesSlides/notesSlide');

function attrs(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) out.set(m[1]!, decodeXml(m[2] ?? m[3] ?? ''));
  return out;
}

function elements(xml: string, name: string): Map<string, string>[] {
  return [...xml.matchAll(new RegExp(`<${name}\\b[^>]*>`, 'g'))].map((m) => attrs(m[0]));
}

function decodeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e]!;
  });
}

/** Resolves a relationship target against the folder of the part that owns the .rels file. */
function resolveTarget(relsPath: string, target: string): string {
  const decoded = decodeURIComponent(target.split('#')[0]!);
  if (decoded.startsWith('/')) return normalise(decoded.slice(1));
  const source = relsPath.replace(/_rels\/[^/]*\.rels$/, ''); // "ppt/slides/_rels/slide1.xml.rels" → "ppt/slides/"
  return normalise(source + decoded);
}

function normalise(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '..') out.pop();
    else if (seg !== '.' && seg !== '') out.push(seg);
  }
  return out.join('/');
}

/** The part a .rels file describes ("ppt/_rels/presentation.xml.rels" → "ppt/presentation.xml"; root rels → ""). */
const sourcePart = (relsPath: string) => relsPath.replace(/_rels\/([^/]*)\.rels$/, '$1');

const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** Problems that stop an XML parser: bad characters, bad entities, unbalanced or malformed tags, repeated attributes. */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  if (NOT_XML_CHAR.test(xml)) problems.push('contains a character XML 1.0 forbids');
  const stack: string[] = [];
  let pos = 0;
  const body = xml.replace(/^\uFEFF?<\?xml[^?]*\?>/, '');
  const token = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|</g;
  for (const m of body.matchAll(token)) {
    const text = body.slice(pos, m.index);
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) problems.push(`bad entity in text near "${text.slice(0, 40)}"`);
    pos = m.index + m[0].length;
    if (m[0] === '<') {
      problems.push(`malformed tag near "${body.slice(m.index, m.index + 60)}"`);
      break;
    }
    const [, close, name, attrText, selfClose] = m;
    if (!name) continue; // comment, CDATA or processing instruction
    const names = [...(attrText ?? '').matchAll(/([\w:.-]+)\s*=/g)].map((a) => a[1]!);
    const repeated = names.find((n, i) => names.indexOf(n) !== i);
    if (repeated) problems.push(`attribute ${repeated} repeated on <${name}>`);
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(attrText ?? '')) problems.push(`bad entity in an attribute of <${name}>`);
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
    } else if (!selfClose) stack.push(name);
  }
  if (stack.length) problems.push(`unclosed <${stack.join('>, <')}>`);
  if (/\S/.test(body.slice(pos))) problems.push('text after the root element');
  return problems.slice(0, 5);
}

/**
 * Checks a .pptx package and summarises it; throws one error listing every problem found: content types both ways,
 * relationships (internal targets exist, owners exist, every r:id a part uses is defined), well-formed XML, and a
 * slide list in presentation.xml that matches the slide parts.
 */
export async function checkPackage(buffer: Buffer | Uint8Array): Promise<PackageSummary> {
  const zip = await JSZip.loadAsync(buffer);
  const parts = Object.keys(zip.files).filter((n) => !zip.files[n]!.dir).sort();
  const has = new Set(parts.map((p) => p.toLowerCase()));
  const problems: string[] = [];
  const read = (name: string) => zip.file(name)!.async('string');

  if (!has.has(CONTENT_TYPES.toLowerCase())) throw new Error('pptx package has no [Content_Types].xml');
  const types = await read(CONTENT_TYPES);
  const defaults = new Set(elements(types, 'Default').map((d) => (d.get('Extension') ?? '').toLowerCase()));
  const overrides = new Set(elements(types, 'Override').map((o) => (o.get('PartName') ?? '').replace(/^\//, '').toLowerCase()));
  for (const o of overrides) if (!has.has(o)) problems.push(`[Content_Types].xml overrides /${o}, which is not in the package`);
  for (const part of parts) {
    if (part === CONTENT_TYPES) continue;
    const ext = part.includes('.') ? part.slice(part.lastIndexOf('.') + 1).toLowerCase() : '';
    if (!overrides.has(part.toLowerCase()) && !defaults.has(ext)) problems.push(`${part} has no content type`);
  }

  const relIds = new Map<string, Set<string>>();
  for (const rels of parts.filter((p) => p.endsWith('.rels'))) {
    const owner = sourcePart(rels);
    if (owner && !has.has(owner.toLowerCase())) problems.push(`${rels} describes ${owner}, which is not in the package`);
    const ids = new Set<string>();
    for (const rel of elements(await read(rels), 'Relationship')) {
      const id = rel.get('Id') ?? '';
      if (ids.has(id)) problems.push(`${rels}: relationship id ${id} used twice`);
      ids.add(id);
      if (rel.get('TargetMode') === 'External') continue;
      const target = resolveTarget(rels, rel.get('Target') ?? '');
      if (!has.has(target.toLowerCase())) problems.push(`${rels}: ${id} → ${rel.get('Target')} (${target}) does not exist`);
    }
    relIds.set(owner, ids);
  }

  for (const part of parts.filter((p) => /\.(xml|rels)$/.test(p))) {
    const xml = await read(part);
    for (const p of xmlProblems(xml)) problems.push(`${part}: ${p}`);
    const defined = relIds.get(part) ?? new Set<string>();
    for (const m of xml.matchAll(/\br:(?:id|embed|link|pict|dm|lo|qs|cs)="([^"]*)"/g)) {
      if (m[1] && !defined.has(m[1])) problems.push(`${part} uses ${m[1]}, which its relationships do not define`);
    }
  }

  const slides = parts.filter((p) => SLIDE.test(p)).length;
  const notes = parts.filter((p) => NOTES.test(p)).length;
  if (has.has('ppt/presentation.xml')) {
    const listed = elements(await read('ppt/presentation.xml'), 'p:sldId').length;
    if (listed !== slides) problems.push(`presentation.xml lists ${listed} slides, the package holds ${slides}`);
  } else problems.push('no ppt/presentation.xml');

  if (problems.length) throw new Error(`pptx package has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  return { slides, notes, parts };
}

/** Text of numbered parts in order: non-empty paragraphs joined by "\n", a paragraph's runs joined as they are. */
async function partTexts(buffer: Buffer | Uint8Array, pattern: RegExp): Promise<string[]> {
  const zip = await JSZip.loadAsync(buffer);
  const names = Object.keys(zip.files)
    .filter((n) => pattern.test(n))
    .sort((a, b) => Number(pattern.exec(a)![1]) - Number(pattern.exec(b)![1]));
  return Promise.all(
    names.map(async (name) => {
      // Fields (the slide number) are the viewer's, not the slide's text.
      const xml = (await zip.file(name)!.async('string')).replace(/<a:fld\b[\s\S]*?<\/a:fld>/g, '');
      return [...xml.matchAll(/<a:p(?:\s[^>]*)?>([\s\S]*?)<\/a:p>/g)]
        .map((p) => [...p[1]!.matchAll(/<a:t(?:\s[^>]*)?>([^<]*)<\/a:t>/g)].map((t) => decodeXml(t[1]!)).join(''))
        .filter((t) => t !== '')
        .join('\n');
    }),
  );
}

/** The text on each slide, in slide order (ppt/slides/slideN.xml sorted by N). */
export function slideTexts(buffer: Buffer | Uint8Array): Promise<string[]> {
  return partTexts(buffer, SLIDE);
}

/** The speaker notes of each slide, in slide order ("" where a slide has none). */
export function notesTexts(buffer: Buffer | Uint8Array): Promise<string[]> {
  return partTexts(buffer, NOTES);
}

/** One part of the package as text (theme, slide, …), for assertions on its XML. */
export async function partXml(buffer: Buffer | Uint8Array, name: string): Promise<string> {
  const file = (await JSZip.loadAsync(buffer)).file(name);
  if (!file) throw new Error(`no part ${name} in the package`);
  return file.async('string');
}
