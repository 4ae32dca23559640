import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';
import { afterAll, describe, expect, it } from 'vitest';
import { jpegOf } from '../../../../test/helpers/images.ts';
import { checkPackage, notesTexts, partXml, slideTexts } from '../../../../test/helpers/pptx.ts';
import { deckOutlineSchema, outlinePrompt, parseOutline, repairPrompt, type DeckOutlineInput, LAYOUTS } from './outline.ts';
import { paginate } from './paginate.ts';
import { renderDeck } from './render.ts';

const EVERY_LAYOUT: DeckOutlineInput = {
  title: '季度产品发布会',
  subtitle: '2026 年第一季度',
  slides: [
    { layout: 'title', title: '季度产品发布会', subtitle: 'Tollgate 创作工作室', notes: '开场：感谢各位到场。' },
    { layout: 'section', title: '第一部分：产品介绍', subtitle: '我们做了什么' },
    { layout: 'bullets', title: '核心功能', bullets: ['写作工具 14 种', { text: '支持流式输出', level: 1 }, 'AI 图片生成', '视频异步生成'], notes: '逐条介绍功能。' },
    { layout: 'two_column', title: '前后对比', left: { heading: '以前', bullets: ['手工整理', '耗时长'] }, right: { heading: '现在', bullets: ['一键生成', '分钟级'] } },
    { layout: 'image_text', title: '产品截图', bullets: ['界面简洁', '上手快'], image_prompt: '一张现代化的 SaaS 仪表盘截图，蓝色主色调' },
    { layout: 'table', title: '价格方案', columns: ['套餐', '价格', '积分'], rows: [['基础', '¥10', '100'], ['专业', '¥50', '600']], notes: '价格以官网为准。' },
    { layout: 'closing', title: '谢谢', subtitle: '欢迎提问' },
  ],
};

const everyLayout = () => deckOutlineSchema.parse(EVERY_LAYOUT);

/** A valid 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

describe('parseOutline', () => {
  it('accepts JSON inside a ```json fence with prose around it, bullets normalised to objects', () => {
    const text = `好的，下面是大纲：\n\`\`\`json\n${JSON.stringify(EVERY_LAYOUT, null, 2)}\n\`\`\`\n希望有帮助。`;
    const parsed = parseOutline(text);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.outline.slides).toHaveLength(7);
    const bullets = parsed.outline.slides[2];
    expect(bullets?.layout === 'bullets' && bullets.bullets).toEqual([
      { text: '写作工具 14 种', level: 0 },
      { text: '支持流式输出', level: 1 },
      { text: 'AI 图片生成', level: 0 },
      { text: '视频异步生成', level: 0 },
    ]);
  });

  it('finds the first object in unfenced text, not fooled by braces inside strings', () => {
    const json = JSON.stringify({ title: '集合', slides: [{ layout: 'bullets', title: '记法', bullets: ['用 {} 表示空集', '右括号 } 也行'] }] });
    const parsed = parseOutline(`Here it is: ${json} {"trailing": true}`);
    expect(parsed.ok && parsed.outline.slides[0]).toMatchObject({ layout: 'bullets', bullets: [{ text: '用 {} 表示空集' }, { text: '右括号 } 也行' }] });
  });

  it('rejects an unknown layout, naming the slide, the value and the layouts that exist', () => {
    const parsed = parseOutline(JSON.stringify({ title: 't', slides: [{ layout: 'title', title: 'a' }, { layout: 'chart', title: 'b' }] }));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toContain('slides[1].layout: "chart" is not a layout');
    for (const layout of LAYOUTS) expect(parsed.error).toContain(layout);
  });

  it('rejects table rows whose length differs from the columns', () => {
    const table = { layout: 'table', title: '表', columns: ['a', 'b', 'c'], rows: [['1', '2', '3'], ['1', '2']] };
    const parsed = parseOutline(JSON.stringify({ title: 't', slides: [table] }));
    expect(parsed).toEqual({ ok: false, error: 'slides[0].rows[1]: has 2 cells, expected 3 (one per column)' });
  });

  it('rejects a table over 6 columns and a deck over 40 slides', () => {
    const wide = { layout: 'table', title: '表', columns: ['1', '2', '3', '4', '5', '6', '7'], rows: [['1', '2', '3', '4', '5', '6', '7']] };
    expect(parseOutline(JSON.stringify({ title: 't', slides: [wide] }))).toMatchObject({ ok: false, error: expect.stringContaining('slides[0].columns: at most 6 columns') });
    const many = Array.from({ length: 41 }, () => ({ layout: 'section', title: 's' }));
    expect(parseOutline(JSON.stringify({ title: 't', slides: many }))).toMatchObject({ ok: false, error: 'slides: at most 40 slides' });
  });

  it('says what is wrong with text that holds no object, a cut-off object or invalid JSON', () => {
    expect(parseOutline('抱歉，我无法完成')).toEqual({ ok: false, error: 'no JSON object found in the answer' });
    expect(parseOutline('{"title": "t", "slides": [')).toMatchObject({ ok: false, error: expect.stringContaining('cut off') });
    expect(parseOutline('{"title": "t", "slides": [],}')).toMatchObject({ ok: false, error: expect.stringMatching(/^not valid JSON/) });
  });

  it('drops characters XML forbids, collapses title whitespace and treats blank optional fields as absent', () => {
    const parsed = parseOutline(JSON.stringify({ title: '标题\u0001\n第二行', subtitle: '  ', slides: [{ layout: 'title', title: 'a\u000bb', subtitle: null, notes: '' }] }));
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.outline).toEqual({ title: '标题 第二行', slides: [{ layout: 'title', title: 'ab' }] });
  });
});

describe('prompts', () => {
  it('describes every layout and its fields, the topic, the sections and the language', () => {
    const { system, user } = outlinePrompt({ topic: '产品发布会', outline: ['产品介绍', '核心功能'], language: 'zh-CN' });
    for (const layout of LAYOUTS) expect(system).toContain(`"${layout}"`);
    for (const field of ['"bullets"', '"left"', '"right"', '"image_prompt"', '"columns"', '"rows"', '"notes"', '"level"']) expect(system).toContain(field);
    expect(user).toContain('产品发布会');
    expect(user).toContain('1. 产品介绍\n2. 核心功能');
    expect(user).toContain('简体中文');
    expect(user).toContain('约 6 张');
  });

  it('asks for the whole corrected object, quoting the error and the failed answer', () => {
    const { system, user } = repairPrompt('{"title": 1}', 'title: expected string');
    expect(system).toBe(outlinePrompt({ topic: 'x', language: 'en' }).system);
    expect(user).toContain('title: expected string');
    expect(user).toContain('{"title": 1}');
  });
});

describe('renderDeck', () => {
  it('renders every layout into a package whose parts, types and relationships check out', async () => {
    const outline = everyLayout();
    const pptx = await renderDeck(outline);
    const summary = await checkPackage(pptx);
    expect(summary.slides).toBe(paginate(outline).length);
    expect(await partXml(pptx, '[Content_Types].xml')).not.toContain('"image/jpg"');
    expect(summary.notes).toBe(summary.slides);
    expect(summary.parts).toContain('ppt/theme/theme1.xml');
  });

  it('puts each slide\'s text on it in order, Chinese included', async () => {
    const texts = await slideTexts(await renderDeck(everyLayout()));
    expect(texts).toHaveLength(7);
    expect(texts[0]).toBe('季度产品发布会\nTollgate 创作工作室');
    expect(texts[2]).toBe('核心功能\n写作工具 14 种\n支持流式输出\nAI 图片生成\n视频异步生成');
    expect(texts[3]).toBe('前后对比\n以前\n手工整理\n耗时长\n现在\n一键生成\n分钟级');
    expect(texts[5]).toBe('价格方案\n套餐\n价格\n积分\n基础\n¥10\n100\n专业\n¥50\n600');
    expect(texts[6]).toBe('谢谢\n欢迎提问');
  });

  it('writes speaker notes for the slides that have them', async () => {
    const notes = await notesTexts(await renderDeck(everyLayout()));
    expect(notes).toEqual(['开场：感谢各位到场。', '', '逐条介绍功能。', '', '', '价格以官网为准。', '']);
  });

  it('gives Chinese text an East-Asian font: YaHei in the theme and in every run, no run left on Arial', async () => {
    const pptx = await renderDeck(everyLayout());
    const theme = await partXml(pptx, 'ppt/theme/theme1.xml');
    for (const kind of ['majorFont', 'minorFont']) {
      const fonts = new RegExp(`<a:${kind}>([\\s\\S]*?)</a:${kind}>`).exec(theme)?.[1] ?? '';
      expect(fonts).toContain('<a:latin typeface="Arial"/>');
      expect(fonts).toContain('<a:ea typeface="Microsoft YaHei"/>');
      expect(fonts).toContain('<a:font script="Hans" typeface="微软雅黑"/>');
    }
    const slide = await partXml(pptx, 'ppt/slides/slide3.xml');
    expect(slide).toContain('<a:ea typeface="Microsoft YaHei" pitchFamily="34" charset="-122"/>');
    const zip = await JSZip.loadAsync(pptx);
    for (const name of Object.keys(zip.files).filter((n) => n.endsWith('.xml'))) {
      expect(await zip.file(name)!.async('string'), name).not.toMatch(/<a:ea typeface="Arial"/);
    }
  });

  it('splits a 30-bullet slide into several slides titled (1/N)…(N/N), every bullet kept once', async () => {
    const bullets = Array.from({ length: 30 }, (_, i) => `第${i + 1}条：把用户反馈整理成改进清单`);
    const outline = deckOutlineSchema.parse({ title: '长清单', slides: [{ layout: 'bullets', title: '改进清单', bullets }] });
    const pptx = await renderDeck(outline);
    const { slides } = await checkPackage(pptx);
    expect(slides).toBeGreaterThan(1);
    const texts = await slideTexts(pptx);
    texts.forEach((t, i) => expect(t.split('\n')[0]).toBe(`改进清单 (${i + 1}/${slides})`));
    expect(texts.flatMap((t) => t.split('\n').slice(1))).toEqual(bullets);
  });

  it('places a supplied picture with the prompt as its alt text, and a captioned frame when none is given', async () => {
    const outline = everyLayout();
    const withPicture = await renderDeck(outline, { images: new Map([[4, PNG]]) });
    const summary = await checkPackage(withPicture);
    expect(summary.parts.filter((p) => p.startsWith('ppt/media/'))).toHaveLength(1);
    const slide = await partXml(withPicture, 'ppt/slides/slide5.xml');
    expect(slide).toContain('descr="一张现代化的 SaaS 仪表盘截图，蓝色主色调"');
    expect((await slideTexts(withPicture))[4]).not.toContain('配图建议');

    const jpeg = await renderDeck(outline, { images: new Map([[4, Buffer.from(jpegOf(640, 480), 'base64')]]) });
    expect((await checkPackage(jpeg)).parts.filter((p) => p.startsWith('ppt/media/'))).toEqual([expect.stringMatching(/\.jpeg$/)]);

    const notAPicture = await renderDeck(outline, { images: new Map([[4, Buffer.from('not an image')]]) });
    expect((await checkPackage(notAPicture)).parts.some((p) => p.startsWith('ppt/media/'))).toBe(false);
    expect((await slideTexts(notAPicture))[4]).toContain('配图建议\n一张现代化的 SaaS 仪表盘截图');
  });

  it('records the author and a 16:9 slide size', async () => {
    const pptx = await renderDeck(everyLayout(), { author: '创作者小王' });
    expect(await partXml(pptx, 'docProps/core.xml')).toContain('<dc:creator>创作者小王</dc:creator>');
    expect(await partXml(pptx, 'ppt/presentation.xml')).toMatch(/<p:sldSz cx="9144000" cy="5143500"/);
  });
});

describe('checkPackage', () => {
  const mutate = async (change: (zip: JSZip) => Promise<void> | void) => {
    const zip = await JSZip.loadAsync(await renderDeck(everyLayout()));
    await change(zip);
    return zip.generateAsync({ type: 'nodebuffer' });
  };

  it('reports a part that its content type names but the package lacks', async () => {
    const broken = await mutate((zip) => void zip.remove('ppt/slides/slide2.xml'));
    await expect(checkPackage(broken)).rejects.toThrow(/overrides \/ppt\/slides\/slide2\.xml, which is not in the package/);
  });

  it('reports a relationship to nowhere, a part without a content type and malformed XML', async () => {
    const broken = await mutate(async (zip) => {
      const rels = await zip.file('ppt/slides/_rels/slide1.xml.rels')!.async('string');
      zip.file('ppt/slides/_rels/slide1.xml.rels', rels.replace('</Relationships>', '<Relationship Id="rId99" Type="x" Target="../media/gone.png"/></Relationships>'));
      zip.file('ppt/stray.bin', 'x');
      const slide = await zip.file('ppt/slides/slide3.xml')!.async('string');
      zip.file('ppt/slides/slide3.xml', slide.replace('</p:sld>', '<a:t>A & B</a:t>'));
    });
    const error = await checkPackage(broken).then(() => '', (e: Error) => e.message);
    expect(error).toContain('rId99 → ../media/gone.png (ppt/media/gone.png) does not exist');
    expect(error).toContain('ppt/stray.bin has no content type');
    expect(error).toContain('ppt/slides/slide3.xml: bad entity');
    expect(error).toContain('ppt/slides/slide3.xml: unclosed <p:sld>');
  });
});

const soffice = (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'soffice')).find((p) => existsSync(p));
if (!soffice) console.warn('[tests] LibreOffice check skipped: soffice is not on PATH (apt-get install -y libreoffice-impress).');

describe('LibreOffice', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const title = soffice
    ? 'converts the every-layout deck to a PDF of one page per slide'
    : 'converts the every-layout deck to a PDF — skipped: soffice is not on PATH (apt-get install -y libreoffice-impress)';
  it.skipIf(!soffice)(title, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tollgate-pptx-'));
    dirs.push(dir);
    const outline = everyLayout();
    await writeFile(path.join(dir, 'deck.pptx'), await renderDeck(outline));
    // Its own profile directory: a second soffice on the machine sharing the default one would block on its lock.
    const profile = `-env:UserInstallation=file://${path.join(dir, 'profile')}`;
    await promisify(execFile)(soffice!, [profile, '--headless', '--convert-to', 'pdf', '--outdir', dir, path.join(dir, 'deck.pptx')], { timeout: 120_000 });
    const pdf = (await readFile(path.join(dir, 'deck.pdf'))).toString('latin1');
    const pages = pdf.match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? [];
    expect(pages).toHaveLength(paginate(outline).length);
  }, 150_000);
});
