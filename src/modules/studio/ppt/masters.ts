import type pptxgenModule from 'pptxgenjs';
import type { Layout } from './outline.ts';

// The deck's look: four slide masters (pptxgenjs writes each as a slide layout under one master), their colours and
// fonts. Every slide is drawn on one of them, so a user who restyles a master in PowerPoint restyles the deck.

// pptxgenjs's typings describe its CommonJS build (the class on `.default`); under Node ESM the package's `import`
// entry is the ES build whose default export is the class itself. Take whichever this loader gave us. It is loaded on
// the first deck, not at boot: importing it costs every process start ~0.4 s of CPU.
type PptxCtor = typeof pptxgenModule.default;
let pptxCtor: Promise<PptxCtor> | undefined;
export function loadPptxGenJS(): Promise<PptxCtor> {
  pptxCtor ??= import('pptxgenjs').then((m) => {
    const mod = m.default as unknown as { default?: PptxCtor };
    return (mod.default ?? mod) as PptxCtor;
  });
  return pptxCtor;
}
export type Presentation = InstanceType<PptxCtor>;
export type PptxSlide = ReturnType<Presentation['addSlide']>;

/**
 * pptxgenjs writes one face into a run's `<a:latin>`, `<a:ea>` and `<a:cs>` alike. Runs get the Latin face here and
 * `fonts.ts` rewrites their `<a:ea>` (and the theme's) to the East-Asian face afterwards.
 */
export const FONT = {
  latin: 'Arial',
  eastAsian: 'Microsoft YaHei',
  /** The same family under its Chinese name, for the theme's script table (`<a:font script="Hans">`). */
  hans: '微软雅黑',
} as const;

export const COLOR = {
  primary: '1E3A5F',
  accent: '2E86DE',
  paper: 'FFFFFF',
  mist: 'F3F6FA',
  ink: '2B2B2B',
  muted: '7A8797',
  rule: 'D5DBE3',
  onDark: 'FFFFFF',
  onDarkMuted: 'C9D6E8',
} as const;

export const MASTER = {
  title: 'TG_TITLE',
  section: 'TG_SECTION',
  content: 'TG_CONTENT',
  closing: 'TG_CLOSING',
} as const;

/** The placeholder every master gives its slide title, so titles show in PowerPoint's outline and navigation. */
export const TITLE_PLACEHOLDER = 'title';

export function masterFor(layout: Layout): string {
  if (layout === 'title') return MASTER.title;
  if (layout === 'section') return MASTER.section;
  if (layout === 'closing') return MASTER.closing;
  return MASTER.content;
}

const text = { fontFace: FONT.latin, lang: 'zh-CN' } as const;

/** Geometry of the title text on each master (inches), shared with the renderer for the title's font size. */
export const TITLE_BOX = {
  title: { x: 0.7, y: 1.3, w: 8.6, h: 1.6, fontPt: 36, align: 'left' },
  section: { x: 1.0, y: 1.7, w: 8.3, h: 1.3, fontPt: 32, align: 'left' },
  content: { x: 0.5, y: 0.1, w: 9.0, h: 0.75, fontPt: 24, align: 'left' },
  closing: { x: 0.5, y: 1.7, w: 9.0, h: 1.3, fontPt: 40, align: 'center' },
} as const satisfies Record<string, TitleBox>;

export interface TitleBox {
  x: number;
  y: number;
  w: number;
  h: number;
  fontPt: number;
  align: 'left' | 'center';
}

/** Where each master puts the subtitle under its title. */
export const SUBTITLE_BOX = {
  title: { x: 0.7, y: 3.25, w: 8.6, h: 0.9, fontPt: 18, align: 'left' },
  section: { x: 1.0, y: 3.1, w: 8.3, h: 0.8, fontPt: 16, align: 'left' },
  closing: { x: 0.5, y: 3.1, w: 9.0, h: 0.8, fontPt: 18, align: 'center' },
} as const satisfies Record<string, TitleBox>;

const titlePlaceholder = (box: TitleBox, extra: { color: string; valign: 'middle' | 'bottom' }) => ({
  placeholder: {
    options: { name: TITLE_PLACEHOLDER, type: 'title' as const, x: box.x, y: box.y, w: box.w, h: box.h, fontSize: box.fontPt, align: box.align, bold: true, ...text, ...extra },
    text: '',
  },
});

/** Defines the four masters on a presentation; `footer` is printed on every content slide (the deck's title). */
export function defineMasters(pres: Presentation, footer: string): void {
  pres.defineSlideMaster({
    title: MASTER.title,
    background: { color: COLOR.primary },
    objects: [
      { rect: { x: 0, y: 5.225, w: 10, h: 0.4, fill: { color: COLOR.accent } } },
      { rect: { x: 0.7, y: 3.05, w: 1.2, h: 0.06, fill: { color: COLOR.accent } } },
      titlePlaceholder(TITLE_BOX.title, { color: COLOR.onDark, valign: 'bottom' }),
    ],
  });

  pres.defineSlideMaster({
    title: MASTER.section,
    background: { color: COLOR.mist },
    objects: [
      { rect: { x: 0, y: 0, w: 0.35, h: 5.625, fill: { color: COLOR.primary } } },
      { rect: { x: 1.0, y: 3.0, w: 0.9, h: 0.05, fill: { color: COLOR.accent } } },
      titlePlaceholder(TITLE_BOX.section, { color: COLOR.primary, valign: 'bottom' }),
    ],
    slideNumber: { x: 9.0, y: 5.2, w: 0.5, h: 0.3, fontSize: 10, color: COLOR.muted, align: 'right', ...text },
  });

  pres.defineSlideMaster({
    title: MASTER.content,
    background: { color: COLOR.paper },
    objects: [
      { rect: { x: 0, y: 0, w: 10, h: 0.95, fill: { color: COLOR.primary } } },
      { rect: { x: 0, y: 0.95, w: 10, h: 0.04, fill: { color: COLOR.accent } } },
      { line: { x: 0.5, y: 5.15, w: 9.0, h: 0, line: { color: COLOR.rule, width: 0.75 } } },
      { text: { text: footer, options: { x: 0.5, y: 5.2, w: 8.0, h: 0.3, fontSize: 10, color: COLOR.muted, valign: 'middle', ...text } } },
      titlePlaceholder(TITLE_BOX.content, { color: COLOR.onDark, valign: 'middle' }),
    ],
    slideNumber: { x: 9.0, y: 5.2, w: 0.5, h: 0.3, fontSize: 10, color: COLOR.muted, align: 'right', ...text },
  });

  pres.defineSlideMaster({
    title: MASTER.closing,
    background: { color: COLOR.primary },
    objects: [
      { rect: { x: 4.4, y: 3.0, w: 1.2, h: 0.06, fill: { color: COLOR.accent } } },
      titlePlaceholder(TITLE_BOX.closing, { color: COLOR.onDark, valign: 'bottom' }),
    ],
  });
}
