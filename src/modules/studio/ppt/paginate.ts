import type { Bullet, DeckOutline, Slide } from './outline.ts';

// Which outline slide becomes how many rendered slides. PowerPoint does not reflow text across slides and
// LibreOffice ignores "shrink on overflow" until the text is edited, so text that would overflow its box is split
// here, before rendering. The fit is estimated, not measured: a CJK character is one unit (one em), anything else
// half a unit, and a line holds the box's width in units less a margin for proportional Latin text and word wraps.
// The boxes below are the geometry the renderer draws (inches on a 10 × 5.625 in 16:9 slide). Speaker notes repeat
// on every page of a split slide, so the presenter has them whichever page is showing.

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  fontPt: number;
}

const BODY = { y: 1.15, h: 3.9 };

export const BOXES = {
  bullets: { x: 0.6, ...BODY, w: 8.8, fontPt: 18 },
  columnLeft: { x: 0.6, ...BODY, w: 4.25, fontPt: 16 },
  columnRight: { x: 5.15, ...BODY, w: 4.25, fontPt: 16 },
  imageText: { x: 0.6, ...BODY, w: 4.6, fontPt: 16 },
  image: { x: 5.5, y: 1.3, w: 3.9, h: 3.6, fontPt: 12 },
  // Down to just above the footer rule, so twelve one-line rows and their header fit one slide.
  table: { x: 0.6, y: BODY.y, h: 3.95, w: 8.8, fontPt: 12 },
} satisfies Record<string, Box>;

/** Geometry of text boxes, shared with the renderer so what is estimated is what is drawn. */
export const TEXT = {
  /**
   * Height of a single-spaced line per point of font size. Microsoft YaHei's line box is about 1.32 em (Arial's
   * 1.15): PowerPoint with YaHei is the tallest rendering a deck gets, so that is the one estimated for.
   */
  lineSpacing: 1.32,
  paraSpaceBeforePt: 6,
  bulletIndentPt: 18,
  insetIn: 0.1,
  /** Share of a line's nominal width a wrapped line really fills (proportional Latin, breaks at word ends). */
  fill: 0.9,
  cellMarginIn: 0.04,
} as const;

/** A rendered slide: an outline slide or one page of one, with the index of the outline slide it came from. */
export type RenderedSlide = Slide & { source: number };

/** Width of a string in units: one per CJK / full-width character, half for anything else. */
export function textUnits(text: string): number {
  let units = 0;
  for (const ch of text) units += isWide(ch.codePointAt(0) ?? 0) ? 1 : 0.5;
  return units;
}

function isWide(cp: number): boolean {
  if (cp < 0x1100) return false;
  if ((cp >= 0xff61 && cp <= 0xffdc) || (cp >= 0xffe8 && cp <= 0xffee)) return false; // half-width forms
  return (cp >= 0x1100 && cp <= 0x115f) || cp >= 0x2e80;
}

/** How many lines a paragraph takes in a line `widthUnits` wide. */
export function linesOf(text: string, widthUnits: number): number {
  return Math.max(1, Math.ceil(textUnits(text) / Math.max(1, widthUnits)));
}

/** Units one line of a box holds, after its insets and (for bullets) the indent of the given level. */
export function lineUnits(box: Box, indentPt = 0): number {
  const widthPt = (box.w - 2 * TEXT.insetIn) * 72 - indentPt;
  return Math.floor((widthPt / box.fontPt) * TEXT.fill);
}

const bulletIndentPt = (level: number) => TEXT.bulletIndentPt * (level + 1);

/** Sub-points are set two points smaller than the points of their box. */
export const bulletFontPt = (box: Box, level: number) => (level === 0 ? box.fontPt : box.fontPt - 2);

/** Height in points a bullet paragraph takes, its space before included. */
export function bulletCost(box: Box, b: Bullet): number {
  const pt = bulletFontPt(box, b.level);
  return linesOf(b.text, lineUnits({ ...box, fontPt: pt }, bulletIndentPt(b.level))) * pt * TEXT.lineSpacing + TEXT.paraSpaceBeforePt;
}

/** A column heading is a bold paragraph two points larger than the bullets under it. */
function headingCost(box: Box, heading: string): number {
  const pt = box.fontPt + 2;
  return linesOf(heading, Math.floor((((box.w - 2 * TEXT.insetIn) * 72) / pt) * TEXT.fill)) * pt * TEXT.lineSpacing + TEXT.paraSpaceBeforePt;
}

const capacityPt = (box: Box) => (box.h - 2 * TEXT.insetIn) * 72;

/**
 * Greedy packing of items into pages, each page's capacity given by its index. An item larger than a whole page gets
 * a page of its own (the schema's length limits keep every single bullet and row smaller than any box).
 */
function pack<T>(items: T[], cost: (item: T) => number, capacity: (page: number) => number): T[][] {
  const pages: T[][] = [[]];
  let used = 0;
  for (const item of items) {
    const c = cost(item);
    const page = pages[pages.length - 1]!;
    if (page.length > 0 && used + c > capacity(pages.length - 1)) {
      pages.push([item]);
      used = c;
    } else {
      page.push(item);
      used += c;
    }
  }
  return pages;
}

const paged = (title: string, i: number, n: number) => (n > 1 ? `${title} (${i + 1}/${n})` : title);

/** Bullets measured in `box`, packed into pages of `reservedPt` less than its height. */
function bulletPages(bullets: Bullet[], box: Box, reservedPt = 0): Bullet[][] {
  return pack(bullets, (b) => bulletCost(box, b), () => capacityPt(box) - reservedPt);
}

/** Rows of a table, split so each page's rows fit under a repeated header. */
export function tablePages(columns: string[], rows: string[][], box: Box = BOXES.table): string[][][] {
  const colUnits = Math.floor(((((box.w / columns.length) - 2 * TEXT.cellMarginIn) * 72) / box.fontPt) * TEXT.fill);
  const rowCost = (cells: string[]) =>
    Math.max(...cells.map((c) => linesOf(c, colUnits))) * box.fontPt * TEXT.lineSpacing + 2 * TEXT.cellMarginIn * 72;
  const header = rowCost(columns);
  return pack(rows, rowCost, () => box.h * 72 - header);
}

/** The slides to render for an outline, overflowing text split into pages titled "标题 (1/N)". */
export function paginate(outline: DeckOutline): RenderedSlide[] {
  return outline.slides.flatMap((slide, source) => paginateSlide(slide).map((s) => ({ ...s, source })));
}

function paginateSlide(slide: Slide): Slide[] {
  switch (slide.layout) {
    case 'bullets': {
      const pages = bulletPages(slide.bullets, BOXES.bullets);
      return pages.map((bullets, i) => ({ ...slide, title: paged(slide.title, i, pages.length), bullets }));
    }
    case 'image_text': {
      // The picture stays on the first page; the bullets that do not fit beside it continue full width (measured
      // at the narrow width all along: the later pages are then a little emptier, never overfull).
      const pages = bulletPages(slide.bullets, BOXES.imageText);
      return pages.map((bullets, i) => {
        const title = paged(slide.title, i, pages.length);
        return i === 0 ? { ...slide, title, bullets } : { layout: 'bullets', title, bullets, notes: slide.notes };
      });
    }
    case 'two_column': {
      const column = (c: typeof slide.left, box: Box) => bulletPages(c.bullets, box, c.heading ? headingCost(box, c.heading) : 0);
      const left = column(slide.left, BOXES.columnLeft);
      const right = column(slide.right, BOXES.columnRight);
      const n = Math.max(left.length, right.length);
      return Array.from({ length: n }, (_, i) => ({
        ...slide,
        title: paged(slide.title, i, n),
        left: { heading: slide.left.heading, bullets: left[i] ?? [] },
        right: { heading: slide.right.heading, bullets: right[i] ?? [] },
      }));
    }
    case 'table': {
      const pages = tablePages(slide.columns, slide.rows);
      return pages.map((rows, i) => ({ ...slide, title: paged(slide.title, i, pages.length), rows }));
    }
    default:
      return [slide];
  }
}
