import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

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
// jsdom implements getComputedStyle without pseudo-elements (and says so on stderr): ask it for the element only.
window.getComputedStyle = ((orig) => (el: Element) => orig(el))(window.getComputedStyle);

afterEach(() => cleanup());
