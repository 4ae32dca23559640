import { describe, expect, it } from 'vitest';
import { deckOutlineSchema, type Bullet, type DeckOutlineInput } from './outline.ts';
import { BOXES, TEXT, bulletCost, linesOf, paginate, tablePages, textUnits, type Box } from './paginate.ts';

const deck = (slides: DeckOutlineInput['slides']) => deckOutlineSchema.parse({ title: '测试', slides });

const point = (i: number) => `第${i}条：把用户反馈整理成每周的改进清单并跟踪落实`;

/** Height in points the bullets of one page take in `box`, by the paginator's own measure. */
const usedPt = (bullets: Bullet[], box: Box) => bullets.reduce((sum, b) => sum + bulletCost(box, b), 0);

describe('textUnits', () => {
  it('counts a CJK or full-width character as one unit and anything else as half', () => {
    expect(textUnits('中文')).toBe(2);
    expect(textUnits('abcd')).toBe(2);
    expect(textUnits('AI 产品')).toBe(1.5 + 2);
    expect(textUnits('，。！')).toBe(3);
    expect(textUnits('ｱｲ')).toBe(1); // half-width katakana
  });

  it('wraps a paragraph into as many lines as its units need', () => {
    expect(linesOf('', 10)).toBe(1);
    expect(linesOf('一二三四五六七八九十', 10)).toBe(1);
    expect(linesOf('一二三四五六七八九十一', 10)).toBe(2);
    expect(linesOf('a'.repeat(40), 10)).toBe(2);
  });
});

describe('paginate', () => {
  it('keeps a slide that fits as one slide with its own title', () => {
    const slides = paginate(deck([{ layout: 'bullets', title: '要点', bullets: ['一', '二', '三'] }]));
    expect(slides).toHaveLength(1);
    expect(slides[0]).toMatchObject({ layout: 'bullets', title: '要点', source: 0 });
  });

  it('splits 30 bullets into pages titled (i/N), in order, each page within its box', () => {
    const bullets = Array.from({ length: 30 }, (_, i) => point(i + 1));
    const slides = paginate(deck([{ layout: 'title', title: '封面' }, { layout: 'bullets', title: '改进清单', bullets, notes: '逐条讲' }]));
    const pages = slides.filter((s) => s.source === 1);
    expect(pages.length).toBeGreaterThan(2);
    pages.forEach((p, i) => {
      expect(p.title).toBe(`改进清单 (${i + 1}/${pages.length})`);
      expect(p.notes).toBe('逐条讲');
      if (p.layout !== 'bullets') throw new Error('expected bullets');
      expect(usedPt(p.bullets, BOXES.bullets)).toBeLessThanOrEqual((BOXES.bullets.h - 2 * TEXT.insetIn) * 72);
    });
    expect(pages.flatMap((p) => (p.layout === 'bullets' ? p.bullets.map((b) => b.text) : []))).toEqual(bullets);
  });

  it('packs more short bullets on a page than long ones', () => {
    const count = (text: string) => paginate(deck([{ layout: 'bullets', title: 't', bullets: Array.from({ length: 40 }, () => text) }])).length;
    expect(count('短句')).toBeLessThan(count('很长的一条要点'.repeat(12)));
  });

  it('continues an image_text slide full width after its first page, keeping the picture on page 1', () => {
    const bullets = Array.from({ length: 20 }, (_, i) => point(i));
    const slides = paginate(deck([{ layout: 'image_text', title: '配图', bullets, image_prompt: '城市夜景', notes: '备注' }]));
    expect(slides.length).toBeGreaterThan(1);
    expect(slides[0]!.layout).toBe('image_text');
    expect(slides.slice(1).every((s) => s.layout === 'bullets' && s.notes === '备注' && s.source === 0)).toBe(true);
  });

  it('pages two columns together, as many pages as the longer column needs', () => {
    const left = { heading: '优势', bullets: Array.from({ length: 20 }, (_, i) => point(i)) };
    const right = { heading: '劣势', bullets: ['成本高', '周期长'] };
    const slides = paginate(deck([{ layout: 'two_column', title: '对比', left, right }]));
    expect(slides.length).toBeGreaterThan(1);
    slides.forEach((s, i) => {
      if (s.layout !== 'two_column') throw new Error('expected two_column');
      expect(s.left.heading).toBe('优势');
      expect(s.right.bullets).toHaveLength(i === 0 ? 2 : 0);
    });
    expect(slides.flatMap((s) => (s.layout === 'two_column' ? s.left.bullets.map((b) => b.text) : []))).toEqual(left.bullets);
  });

  it('splits a table whose rows do not fit, every page under the same header', () => {
    const columns = ['指标', '说明', '目标'];
    const rows = Array.from({ length: 12 }, (_, i) => [`指标${i}`, '这一项指标的口径说明比较长，需要换行显示才能放得下'.repeat(2), `${i * 10}%`]);
    const slides = paginate(deck([{ layout: 'table', title: '指标', columns, rows }]));
    expect(slides.length).toBeGreaterThan(1);
    slides.forEach((s, i) => {
      if (s.layout !== 'table') throw new Error('expected table');
      expect(s.columns).toEqual(columns);
      expect(s.title).toBe(`指标 (${i + 1}/${slides.length})`);
    });
    expect(slides.flatMap((s) => (s.layout === 'table' ? s.rows : []))).toEqual(rows);
  });

  it('keeps twelve one-line rows on one page', () => {
    const rows = Array.from({ length: 12 }, (_, i) => [`${i}`, 'ok']);
    expect(tablePages(['a', 'b'], rows)).toHaveLength(1);
  });

  it('records which outline slide each rendered slide came from', () => {
    const slides = paginate(
      deck([
        { layout: 'title', title: '封面' },
        { layout: 'bullets', title: '长', bullets: Array.from({ length: 30 }, (_, i) => point(i)) },
        { layout: 'closing', title: '谢谢' },
      ]),
    );
    expect(slides[0]!.source).toBe(0);
    expect(slides.at(-1)!.source).toBe(2);
    expect(new Set(slides.slice(1, -1).map((s) => s.source))).toEqual(new Set([1]));
  });
});
