import { FONT } from './masters.ts';

// The East-Asian half of the deck's fonts, which pptxgenjs cannot express, written into its package afterwards.
//
// A run's font in DrawingML is chosen per script: `<a:latin>` for Latin text, `<a:ea>` for CJK. pptxgenjs writes the
// run's one `fontFace` into both, and leaves the theme's `<a:ea>` empty with 等线 (DengXian) as the Simplified
// Chinese face — so Chinese text set in "Arial" falls to whatever CJK font the viewer happens to pick, and differs
// between machines. Here every `<a:ea typeface="Arial">` becomes Microsoft YaHei, with the GB2312 charset and
// swiss-pitch hints a renderer without YaHei uses to choose a similar Chinese sans-serif (LibreOffice and fontconfig
// map it to WenQuanYi Micro Hei or Noto Sans CJK SC); and the theme's major and minor fonts get YaHei as their
// East-Asian and Hans-script face, so text that inherits from the theme (speaker notes, anything a user adds) agrees.

const EA_RUN = `<a:ea typeface="${FONT.eastAsian}" pitchFamily="34" charset="-122"/>`;
const EA_THEME = `<a:ea typeface="${FONT.eastAsian}"/>`;
const HANS = `<a:font script="Hans" typeface="${FONT.hans}"/>`;

const RUN_EA_LATIN = new RegExp(`<a:ea typeface="${FONT.latin}"[^>]*/>`, 'g');

/** Theme XML with YaHei as the East-Asian face of both the heading (major) and body (minor) fonts. */
export function themeWithCjkFonts(xml: string): string {
  return xml.replace(/<a:(majorFont|minorFont)>([\s\S]*?)<\/a:\1>/g, (_, kind: string, body: string) => {
    let next = body.replace(/<a:latin\b[^>]*\/>/, `<a:latin typeface="${FONT.latin}"/>`);
    next = /<a:ea\b[^>]*\/>/.test(next) ? next.replace(/<a:ea\b[^>]*\/>/, EA_THEME) : next.replace(/(<a:latin\b[^>]*\/>)/, `$1${EA_THEME}`);
    next = /<a:font script="Hans"[^>]*\/>/.test(next)
      ? next.replace(/<a:font script="Hans"[^>]*\/>/, HANS)
      : next.replace(/(<a:cs\b[^>]*\/>)/, `$1${HANS}`);
    return `<a:${kind}>${next}</a:${kind}>`;
  });
}

/** Slide, layout or master XML whose runs name YaHei as their East-Asian face instead of the Latin one. */
export function runsWithCjkFont(xml: string): string {
  return xml.replace(RUN_EA_LATIN, EA_RUN);
}

/** Speaker-notes XML whose runs are marked with the deck's language (pptxgenjs writes en-US), for proofing. */
export function notesInLanguage(xml: string, lang: string): string {
  return xml.replace(/<a:rPr lang="en-US"/g, `<a:rPr lang="${lang}" altLang="en-US"`);
}

const THEME = /^ppt\/theme\/theme\d+\.xml$/;
const DRAWN = /^ppt\/(slides|slideLayouts|slideMasters)\/[^/]+\.xml$/;
const NOTES = /^ppt\/notesSlides\/[^/]+\.xml$/;

/** A part of the package with the deck's CJK fonts applied (parts that name no fonts come back unchanged). */
export function withCjkFonts(name: string, xml: string, lang: string): string {
  if (THEME.test(name)) return themeWithCjkFonts(xml);
  if (DRAWN.test(name)) return runsWithCjkFont(xml);
  if (NOTES.test(name)) return notesInLanguage(xml, lang);
  return xml;
}
