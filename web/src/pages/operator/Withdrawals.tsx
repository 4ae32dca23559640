import { Result } from 'antd';

// Replaced by the page itself (work in progress in this session).
export default function Withdrawals() {
  return <Result status="info" title="Withdrawals" />;
}
