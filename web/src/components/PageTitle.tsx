import { Typography } from 'antd';
import type { ReactNode } from 'react';

/** A page's title with its actions on the right (they wrap under it on a phone). */
export function PageTitle({ children, extra }: { children: ReactNode; extra?: ReactNode }) {
  return (
    <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', justifyContent: 'space-between', marginBottom: 16 }}>
      <Typography.Title level={3} style={{ margin: 0 }}>{children}</Typography.Title>
      {extra}
    </div>
  );
}
