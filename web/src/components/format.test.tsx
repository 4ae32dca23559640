import { describe, expect, it } from 'vitest';
import { percent, yuan } from './format.ts';

describe('format', () => {
  it('renders CNY and ratios', () => {
    expect(yuan(12.5)).toBe('¥12.50');
    expect(yuan(undefined)).toBe('—');
    expect(percent(0.9876)).toBe('98.8%');
  });
});
