import { cleanup, configure } from '@testing-library/react';
import { afterEach, beforeAll } from 'vitest';
import { forgetSession } from './auth/session.tsx';

// jsdom lacks what Ant Design measures the page with.
Object.defineProperty(window, 'matchMedia', {
  writable: true,
  value: (query: string) => ({ matches: false, media: query, onchange: null, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, dispatchEvent: () => false }),
});
window.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
} as unknown as typeof ResizeObserver;
// jsdom computes a style by matching every rule of every style sheet against the element, and Ant Design injects
// thousands of rules: that cascade was three quarters of this suite's time (a CPU profile of Activities.test.tsx: 23.5
// of 31.7 s). No test reads a style from a sheet (layout is checked in chromium, test/e2e): the computed style here is
// the element's inline style, with `hidden` as display: none, which is what Testing Library's visibility checks read.
window.getComputedStyle = (el: Element) => {
  const style = document.createElement('div').style;
  style.cssText = (el as HTMLElement).style?.cssText ?? '';
  if (!style.display && el.hasAttribute('hidden')) style.display = 'none';
  return style;
};

// findBy*/waitFor give up after 1 s by default, which a loaded 2-core CI machine running the server suites beside
// these can exceed for an Ant Design form's validation round trip.
configure({ asyncUtilTimeout: 5_000 });

afterEach(() => cleanup());

// The `web` project shares one module graph between files: a session a file signed in (Setup, Register) would
// otherwise still be there in the next file, whose provider then asks for /api/v1/auth/me (CI saw that call appear).
// Each file starts signed out; within a file, tests may build on each other's session.
beforeAll(() => forgetSession());
