import { Grid } from 'antd';
import { useState, type Dispatch, type HTMLAttributes, type SetStateAction } from 'react';

/** `data-testid` on a table row (AntD's `onRow`), for the browser tests. */
export const rowTestId = (id: string) => ({ 'data-testid': id }) as HTMLAttributes<HTMLElement>;

/**
 * A table's `scroll.x` from its columns' own widths: the table keeps those widths (every column shown whole, long
 * content cut with an ellipsis) and scrolls inside its card when the card is narrower.
 */
export const columnsWidth = (columns: readonly { width?: number | string }[]) => columns.reduce((sum, c) => sum + (typeof c.width === 'number' ? c.width : 0), 0);

/** The actions column stays in view on wide screens; on a phone a pinned column would cover most of the table. */
export function useActionsFixed(): 'right' | undefined {
  return Grid.useBreakpoint().md ? 'right' : undefined;
}

/** Page and page size of a paged table; `reset` goes back to page 1 (a filter changed). */
export function usePaging(initialSize = 20) {
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(initialSize);
  return {
    page,
    pageSize,
    reset: () => setPage(1),
    /** A filter's change handler: sets the filter and goes back to page 1. */
    resetting:
      <T>(set: Dispatch<SetStateAction<T>>) =>
      (value: T) => {
        set(value);
        setPage(1);
      },
    /** Jumps to a page (e.g. the last one left after deletions). */
    goTo: setPage,
    pagination: (total: number | undefined) => ({
      current: page,
      pageSize,
      total: total ?? 0,
      showSizeChanger: true,
      onChange: (p: number, s: number) => {
        setPage(s === pageSize ? p : 1);
        setPageSize(s);
      },
    }),
  };
}
