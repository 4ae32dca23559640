import type { HTMLAttributes } from 'react';

/** `data-testid` on a table row (AntD's `onRow`), for the browser tests. */
export const rowTestId = (id: string) => ({ 'data-testid': id }) as HTMLAttributes<HTMLElement>;
