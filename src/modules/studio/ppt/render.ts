import { imageSize } from 'image-size';
import JSZip from 'jszip';
import { withCjkFonts } from './fonts.ts';
import { COLOR, FONT, loadPptxGenJS, SUBTITLE_BOX, TITLE_BOX, TITLE_PLACEHOLDER, defineMasters, masterFor, type Presentation, type PptxSlide, type TitleBox } from './masters.ts';
import type { Bullet, DeckOutline } from './outline.ts';
import { BOXES, TEXT, bulletFontPt, lineUnits, linesOf, paginate, type Box, type RenderedSlide } from './paginate.ts';

// An outline → a .pptx: paginate, draw each page on its master, write, then finish the package pptxgenjs wrote
// (CJK fonts, content types).

export interface RenderOptions {
  /** PNG or JPEG bytes for `image_text` slides, keyed by the slide's index in `outline.slides` (0-based). */
  images?: Map<number, Buffer>;
  author?: string;
  /** Language of the deck's text (BCP 47), for proofing; zh-CN unless told. */
  lang?: string;
}

export async function renderDeck(outline: DeckOutline, opts: RenderOptions = {}): Promise<Buffer> {
  const lang = opts.lang ?? 'zh-CN';
  // It is written into XML attributes as is.
  if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(lang)) throw new Error(`not a language tag: ${lang}`);
  const pres = new (await loadPptxGenJS())();
  pres.layout = 'LAYOUT_16x9';
  pres.title = outline.title;
  if (outline.subtitle) pres.subject = outline.subtitle;
  pres.author = opts.author ?? 'Tollgate';
  pres.company = 'Tollgate';
  defineMasters(pres, outline.title);

  const draw = drawer(pres, lang, opts.images ?? new Map());
  for (const slide of paginate(outline)) draw(slide);

  const written = await pres.write({ outputType: 'nodebuffer' });
  if (!(written instanceof Uint8Array)) throw new Error('pptxgenjs did not return a buffer');
  return finishPackage(Buffer.from(written.buffer, written.byteOffset, written.byteLength), lang);
}

/** The largest size, down from the master's, at which the title fits its box. */
export function titleFontPt(title: string, box: TitleBox): number {
  for (let pt = box.fontPt; pt > 14; pt -= 2) {
    const lines = linesOf(title, lineUnits({ ...box, fontPt: pt }));
    if (lines * pt * TEXT.lineSpacing <= (box.h - 2 * TEXT.insetIn) * 72) return pt;
  }
  return 14;
}

function drawer(pres: Presentation, lang: string, images: Map<number, Buffer>) {
  const font = { fontFace: FONT.latin, lang } as const;

  const addTitle = (slide: PptxSlide, title: string, box: TitleBox) =>
    slide.addText(title, { placeholder: TITLE_PLACEHOLDER, ...font, fontSize: titleFontPt(title, box), align: box.align, bold: true });

  const addSubtitle = (slide: PptxSlide, subtitle: string | undefined, box: TitleBox, color: string) => {
    if (!subtitle) return;
    slide.addText(subtitle, { x: box.x, y: box.y, w: box.w, h: box.h, ...font, fontSize: box.fontPt, color, align: box.align, valign: 'top' });
  };

  const bulletParagraphs = (bullets: Bullet[], box: Box) =>
    bullets.map((b) => ({
      text: b.text,
      options: {
        ...font,
        fontSize: bulletFontPt(box, b.level),
        color: b.level === 0 ? COLOR.ink : COLOR.muted,
        bullet: b.level === 0 ? { indent: TEXT.bulletIndentPt } : { code: '2013', indent: TEXT.bulletIndentPt },
        indentLevel: b.level,
        paraSpaceBefore: TEXT.paraSpaceBeforePt,
        breakLine: true,
      },
    }));

  const addBullets = (slide: PptxSlide, bullets: Bullet[], box: Box, heading?: string) => {
    if (bullets.length === 0) return;
    const head = heading
      ? [{ text: heading, options: { ...font, fontSize: box.fontPt + 2, bold: true, color: COLOR.accent, paraSpaceBefore: TEXT.paraSpaceBeforePt, breakLine: true } }]
      : [];
    slide.addText([...head, ...bulletParagraphs(bullets, box)], { x: box.x, y: box.y, w: box.w, h: box.h, valign: 'top' });
  };

  const addPicture = (slide: PptxSlide, prompt: string, bytes: Buffer | undefined) => {
    const box = BOXES.image;
    const picture = bytes && pictureOf(bytes);
    if (picture) {
      const scale = Math.min(box.w / picture.width, box.h / picture.height);
      const w = picture.width * scale;
      const h = picture.height * scale;
      slide.addImage({ data: picture.data, x: box.x + (box.w - w) / 2, y: box.y + (box.h - h) / 2, w, h, altText: prompt });
      return;
    }
    // No picture yet: a frame that says what belongs there, so the deck is usable and the gap is obvious.
    const label = lang.startsWith('zh') ? '配图建议' : 'Suggested image';
    const shown = prompt.length > 160 ? `${prompt.slice(0, 160)}…` : prompt;
    slide.addText(
      [
        { text: label, options: { ...font, fontSize: box.fontPt + 2, bold: true, color: COLOR.muted, breakLine: true } },
        { text: shown, options: { ...font, fontSize: box.fontPt, italic: true, color: COLOR.muted } },
      ],
      {
        shape: pres.ShapeType.rect,
        x: box.x,
        y: box.y,
        w: box.w,
        h: box.h,
        fill: { color: COLOR.mist },
        line: { color: COLOR.rule, width: 1, dashType: 'dash' },
        align: 'center',
        valign: 'middle',
      },
    );
  };

  const addTable = (slide: PptxSlide, columns: string[], rows: string[][]) => {
    const box = BOXES.table;
    const cell = { ...font, fontSize: box.fontPt, margin: TEXT.cellMarginIn, valign: 'middle' as const };
    const header = columns.map((text) => ({ text, options: { ...cell, bold: true, color: COLOR.onDark, fill: { color: COLOR.primary } } }));
    const body = rows.map((row, r) =>
      row.map((text) => ({ text, options: { ...cell, color: COLOR.ink, fill: { color: r % 2 ? COLOR.mist : COLOR.paper } } })),
    );
    slide.addTable([header, ...body], {
      x: box.x,
      y: box.y,
      w: box.w,
      colW: columns.map(() => box.w / columns.length),
      border: { type: 'solid', pt: 0.75, color: COLOR.rule },
      autoPage: false,
    });
  };

  return (page: RenderedSlide): void => {
    const slide = pres.addSlide({ masterName: masterFor(page.layout) });
    switch (page.layout) {
      case 'title':
      case 'section':
      case 'closing': {
        addTitle(slide, page.title, TITLE_BOX[page.layout]);
        const light = page.layout === 'section' ? COLOR.muted : COLOR.onDarkMuted;
        addSubtitle(slide, page.subtitle, SUBTITLE_BOX[page.layout], light);
        break;
      }
      case 'bullets':
        addTitle(slide, page.title, TITLE_BOX.content);
        addBullets(slide, page.bullets, BOXES.bullets);
        break;
      case 'two_column':
        addTitle(slide, page.title, TITLE_BOX.content);
        addBullets(slide, page.left.bullets, BOXES.columnLeft, page.left.heading);
        addBullets(slide, page.right.bullets, BOXES.columnRight, page.right.heading);
        slide.addShape(pres.ShapeType.line, { x: 5.0, y: BOXES.columnLeft.y + 0.1, w: 0, h: BOXES.columnLeft.h - 0.2, line: { color: COLOR.rule, width: 0.75 } });
        break;
      case 'image_text':
        addTitle(slide, page.title, TITLE_BOX.content);
        addBullets(slide, page.bullets, BOXES.imageText);
        addPicture(slide, page.image_prompt, images.get(page.source));
        break;
      case 'table':
        addTitle(slide, page.title, TITLE_BOX.content);
        addTable(slide, page.columns, page.rows);
        break;
    }
    if (page.notes) slide.addNotes(page.notes);
  };
}

/** PNG or JPEG bytes as pptxgenjs takes them, with their pixel size; undefined for anything else. */
function pictureOf(bytes: Buffer): { data: string; width: number; height: number } | undefined {
  const png = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!png && !jpeg) return undefined;
  try {
    const { width, height } = imageSize(bytes);
    if (!(width > 0 && height > 0)) return undefined;
    return { data: `image/${png ? 'png' : 'jpeg'};base64,${bytes.toString('base64')}`, width, height };
  } catch {
    return undefined; // a header cut short: the frame is drawn instead of a picture PowerPoint cannot open
  }
}

const CONTENT_TYPES = '[Content_Types].xml';

/**
 * pptxgenjs 4.0.1's `[Content_Types].xml` declares `/ppt/slideMasters/slideMasterN.xml` for every slide N although it
 * writes one master, and types `.jpg` as the non-existent `image/jpg`: PowerPoint reports such a package as needing
 * repair. Overrides of missing parts are dropped and the type corrected.
 */
export function contentTypesFor(xml: string, parts: Set<string>): string {
  return xml
    .replace(/<Override PartName="\/([^"]+)"[^>]*\/>/g, (tag, part: string) => (parts.has(part) ? tag : ''))
    .replace('ContentType="image/jpg"', 'ContentType="image/jpeg"');
}

/**
 * The package with CJK fonts and corrected content types, rebuilt with `[Content_Types].xml` first and without the
 * empty folder entries pptxgenjs adds (`ppt/charts/`, `ppt/embeddings/`, …), which are no parts of the package.
 */
async function finishPackage(pptx: Buffer, lang: string): Promise<Buffer> {
  const source = await JSZip.loadAsync(pptx);
  const names = Object.keys(source.files).filter((name) => !source.files[name]!.dir);
  names.sort((a, b) => Number(b === CONTENT_TYPES) - Number(a === CONTENT_TYPES));
  const out = new JSZip();
  for (const name of names) {
    const entry = source.files[name]!;
    if (name === CONTENT_TYPES) out.file(name, contentTypesFor(await entry.async('string'), new Set(names)));
    else if (/\.(xml|rels)$/.test(name)) out.file(name, withCjkFonts(name, await entry.async('string'), lang));
    else out.file(name, await entry.async('uint8array'));
  }
  return out.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}
