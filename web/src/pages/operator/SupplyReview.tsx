import { Result } from 'antd';

// Replaced by the page itself (work in progress in this session).
export default function SupplyReview() {
  return <Result status="info" title="SupplyReview" />;
}
