import { Tag, Tooltip } from 'antd';
import type { CSSProperties } from 'react';

/**
 * A tag no wider than its cell, cut with an ellipsis: model ids can be one long unbroken word
 * (vendor/family-size-variant-date) and would otherwise widen their table column past the screen.
 */
export const clippedTag: CSSProperties = { maxWidth: '100%', overflow: 'hidden', textOverflow: 'ellipsis', verticalAlign: 'middle' };

/** A model id as a clipped tag, shown whole on hover. */
export function ModelTag({ model }: { model: string }) {
  return (
    <Tooltip title={model}>
      <Tag style={clippedTag}>{model}</Tag>
    </Tooltip>
  );
}
