import { Result } from 'antd';

// Replaced by the page itself (work in progress in this session).
export default function Keys() {
  return <Result status="info" title="Keys" />;
}
