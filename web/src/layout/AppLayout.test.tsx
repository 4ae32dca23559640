import { readFileSync } from 'node:fs';
import path from 'node:path';
import { render, screen } from '@testing-library/react';
import { ConfigProvider, theme } from 'antd';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryRouter } from 'react-router-dom';
import { SessionProvider } from '../auth/session.tsx';
import { I18nProvider } from '../i18n/i18n.tsx';
import { AppLayout } from './AppLayout.tsx';


// The frame around the signed-in pages on a wide screen: the body follows the theme, the sidebar's background is one
// colour down to the bottom of any page, the theme switch says what it does.

const matchMedia = window.matchMedia;

function renderFrame(dark: boolean) {
  return render(
    <I18nProvider initial="en">
      <ConfigProvider theme={{ algorithm: dark ? theme.darkAlgorithm : theme.defaultAlgorithm }}>
        <MemoryRouter>
          <SessionProvider>
            <AppLayout dark={dark} onDark={() => undefined}>
              <div style={{ height: 5000 }}>a tall page</div>
            </AppLayout>
          </SessionProvider>
        </MemoryRouter>
      </ConfigProvider>
    </I18nProvider>,
  );
}

describe('the console frame', () => {
  // A desktop window: every `min-width` breakpoint matches, so the sidebar (not the drawer) is shown.
  beforeEach(() => {
    window.matchMedia = ((query: string) => ({ ...matchMedia(query), matches: query.includes('min-width') })) as typeof window.matchMedia;
  });
  afterEach(() => {
    window.matchMedia = matchMedia;
    document.body.style.background = '';
  });

  it('paints the body in the theme’s layout colour, black in dark mode', () => {
    renderFrame(true);
    expect(document.body.style.background).toBe('rgb(0, 0, 0)');
  });

  it('keeps the light sidebar in dark mode, where the dark algorithm gives it the menu’s own background', () => {
    const { container } = renderFrame(true);
    const sider = container.querySelector('.ant-layout-sider') as HTMLElement;
    expect(sider.classList.contains('ant-layout-sider-light')).toBe(true);
    // The sider stretches with the page; its menu, not the sider, sticks to the top of the window.
    expect(sider.style.position).toBe('');
    const menu = screen.getByTestId('sider-menu');
    expect(sider.contains(menu)).toBe(true);
    expect(menu.style.position).toBe('sticky');
    expect(menu.style.maxHeight).toBe('100vh');
  });

  it('labels the theme switch', () => {
    renderFrame(false);
    expect(screen.getByRole('switch', { name: 'Dark mode' })).toBeTruthy();
  });

  it('drops the browser’s body margin for every page, the sign-in page included, and counts padding inside heights', () => {
    // Vitest does not process CSS: the rules are read as text.
    const globalCss = readFileSync(path.join(import.meta.dirname, '../global.css'), 'utf8');
    expect(readFileSync(path.join(import.meta.dirname, '../main.tsx'), 'utf8')).toContain("import './global.css';");
    const rule = (selector: string) => new RegExp(`${selector}\\s*\\{[^}]*\\}`).exec(globalCss)?.[0] ?? '';
    expect(rule('html,\\s*body')).toMatch(/margin:\s*0;/);
    expect(rule('\\*::after')).toMatch(/box-sizing:\s*border-box;/);
  });
});
