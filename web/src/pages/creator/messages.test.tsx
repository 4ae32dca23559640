import { describe, expect, it } from 'vitest';
import { CREATION_TYPES, VIDEO_PHASES } from '../../api/studio.ts';
import { common } from '../../i18n/messages/common.ts';
import { creator } from '../../i18n/messages/creator.ts';
import { ROUTES } from '../../routes.tsx';

// Every text of the creator pages exists in both languages: the keys the pages name, the ones they build from the
// API's values, and the menu's labels for the creator group.

const sources = import.meta.glob(['./**/*.tsx', '!./**/*.test.tsx'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const known = (lang: 'zh-CN' | 'en') => ({ ...common[lang], ...creator[lang] });

describe('creator messages', () => {
  it('have the same keys in zh-CN and en', () => {
    expect(Object.keys(creator.en).sort()).toEqual(Object.keys(creator['zh-CN']).sort());
  });

  it('cover every key the pages name and build', () => {
    const used = new Set<string>();
    for (const text of Object.values(sources)) for (const m of text.matchAll(/'((?:creator|nav)\.[\w.]+)'/g)) used.add(m[1] as string);
    expect(used.size).toBeGreaterThan(80);
    for (const v of [...CREATION_TYPES, 'all']) used.add(`creator.type.${v}`);
    for (const p of [...VIDEO_PHASES, 'done']) used.add(`creator.video.phase.${p}`);
    for (const r of ROUTES.filter((x) => x.group === 'creator')) used.add(r.label);
    used.add('nav.creator');
    for (const lang of ['zh-CN', 'en'] as const) expect([...used].filter((k) => !(k in known(lang)))).toEqual([]);
  });
});
