import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { assertSafeUpstreamUrl, isPublicAddress, type Resolver } from './ssrf.ts';

describe('isPublicAddress', () => {
  it.each([
    ['loopback', '127.0.0.1'],
    ['loopback range', '127.255.255.254'],
    ['this network', '0.0.0.0'],
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.16.0.1'],
    ['private 172.31', '172.31.255.255'],
    ['private 192.168/16', '192.168.1.1'],
    ['CGNAT 100.64/10', '100.64.0.1'],
    ['CGNAT upper end', '100.127.255.255'],
    ['link-local', '169.254.1.1'],
    ['cloud metadata', '169.254.169.254'],
    ['benchmarking', '198.18.0.1'],
    ['documentation', '203.0.113.5'],
    ['multicast', '224.0.0.1'],
    ['broadcast', '255.255.255.255'],
    ['IPv6 loopback', '::1'],
    ['IPv6 unspecified', '::'],
    ['ULA', 'fd00::1'],
    ['ULA fc00', 'fc12:3456::1'],
    ['AWS IPv6 metadata', 'fd00:ec2::254'],
    ['IPv6 link-local', 'fe80::1'],
    ['IPv6 multicast', 'ff02::1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-mapped metadata', '::ffff:169.254.169.254'],
    ['IPv4-mapped in hex', '::ffff:7f00:1'],
    ['IPv4-mapped private', '::ffff:10.0.0.1'],
    ['IPv4-compatible loopback', '::7f00:1'],
    ['NAT64 of loopback', '64:ff9b::7f00:1'],
    ['IPv6 documentation', '2001:db8::1'],
  ])('refuses %s (%s)', (_name, address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    ['a public IPv4', '8.8.8.8'],
    ['just below CGNAT', '100.63.255.255'],
    ['just above CGNAT', '100.128.0.0'],
    ['just outside 172.16/12', '172.32.0.1'],
    ['a public IPv6', '2606:4700:4700::1111'],
    ['IPv4-mapped public', '::ffff:8.8.8.8'],
    ['another public IPv4', '1.1.1.1'],
  ])('accepts %s (%s)', (_name, address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it('refuses anything that is not an IP address', () => {
    expect(isPublicAddress('example.com')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
    expect(isPublicAddress('999.1.1.1')).toBe(false);
  });
});

async function refusal(raw: string, o: { allowPrivate?: boolean; resolve?: Resolver } = {}): Promise<AppError> {
  const err = await assertSafeUpstreamUrl(raw, { allowPrivate: o.allowPrivate ?? false, field: 'endpoint', resolve: o.resolve }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, raw).toBeInstanceOf(AppError);
  const appErr = err as AppError;
  expect(appErr.status).toBe(400);
  expect(appErr.details?.field).toBe('endpoint');
  return appErr;
}

const resolvesTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses;
const publicDns = resolvesTo('93.184.216.34');

describe('assertSafeUpstreamUrl', () => {
  it('accepts a public https URL and normalises it (no trailing slash, lower-case host, default port dropped)', async () => {
    const o = { allowPrivate: false, field: 'endpoint', resolve: publicDns };
    expect(await assertSafeUpstreamUrl('https://API.Example.com:443/v1/', o)).toBe('https://api.example.com/v1');
    expect(await assertSafeUpstreamUrl('https://api.example.com', o)).toBe('https://api.example.com');
    expect(await assertSafeUpstreamUrl('https://api.example.com:8443//', o)).toBe('https://api.example.com:8443');
    expect(await assertSafeUpstreamUrl('https://8.8.8.8/x', { ...o, resolve: undefined })).toBe('https://8.8.8.8/x');
  });

  it('refuses http unless private upstreams are allowed, naming the setting that allows it', async () => {
    expect((await refusal('http://api.example.com', { resolve: publicDns })).message).toBe(
      'endpoint must use https; to allow http:// and private addresses for local development set ALLOW_PRIVATE_UPSTREAMS=true',
    );
    await expect(
      assertSafeUpstreamUrl('http://127.0.0.1:9999/', { allowPrivate: true, field: 'endpoint' }),
    ).resolves.toBe('http://127.0.0.1:9999');
  });

  it('refuses other schemes even when private upstreams are allowed, without pointing at a setting that would not help', async () => {
    for (const raw of ['ftp://example.com', 'file:///etc/passwd', 'gopher://example.com', 'javascript:alert(1)']) {
      expect((await refusal(raw, { allowPrivate: true })).message).toBe('endpoint must use https or http');
      expect((await refusal(raw, { resolve: publicDns })).message).toBe('endpoint must use https');
    }
  });

  it('refuses credentials in the URL, whatever the setting', async () => {
    expect((await refusal('https://user:pass@api.example.com', { resolve: publicDns })).message).toMatch(/credentials/);
    await refusal('https://user@api.example.com', { resolve: publicDns });
    await refusal('http://user:pass@127.0.0.1', { allowPrivate: true });
  });

  it('refuses a query or fragment', async () => {
    await refusal('https://api.example.com/?key=1', { resolve: publicDns });
    await refusal('https://api.example.com/#x', { resolve: publicDns });
  });

  it('refuses text that is not an absolute URL', async () => {
    for (const raw of ['', 'api.example.com', '/v1', 'not a url']) await refusal(raw, { resolve: publicDns });
  });

  it.each([
    ['loopback', '127.0.0.1'],
    ['metadata', '169.254.169.254'],
    ['private', '10.0.0.5'],
    ['ULA', 'fd00::1'],
  ])('refuses a hostname that resolves to a %s address', async (_name, address) => {
    expect((await refusal('https://innocent.example.com', { resolve: resolvesTo(address) })).message).toBe(
      'endpoint must resolve to a public address; to allow http:// and private addresses for local development set ALLOW_PRIVATE_UPSTREAMS=true',
    );
  });

  it('refuses a hostname when any one of its addresses is private', async () => {
    await refusal('https://split.example.com', { resolve: resolvesTo('93.184.216.34', '10.0.0.1') });
  });

  it('refuses a hostname that does not resolve or resolves to nothing', async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect((await refusal('https://nowhere.invalid', { resolve: failing })).message).toMatch(/resolve/);
    await refusal('https://empty.example.com', { resolve: resolvesTo() });
  });

  it.each([
    'https://127.0.0.1',
    'https://localhost.',
    'https://[::1]',
    'https://[::ffff:127.0.0.1]',
    'https://[::ffff:a9fe:a9fe]/latest/meta-data',
    'https://2130706433',
    'https://0x7f000001',
    'https://127.1',
    'https://0177.0.0.1',
    'https://169.254.169.254/latest/meta-data',
    'https://[fe80::1]',
  ])('refuses the private literal or alternative spelling %s without asking DNS', async (raw) => {
    const resolve: Resolver = async (host) => (host.startsWith('localhost') ? ['127.0.0.1'] : ['93.184.216.34']);
    await refusal(raw, { resolve });
  });

  it('passes the bare hostname to the resolver', async () => {
    const asked: string[] = [];
    const resolve: Resolver = async (host) => {
      asked.push(host);
      return ['93.184.216.34'];
    };
    await assertSafeUpstreamUrl('https://api.example.com:8443/v1', { allowPrivate: false, field: 'endpoint', resolve });
    expect(asked).toEqual(['api.example.com']);
  });

  it('does not resolve at all when private upstreams are allowed', async () => {
    const resolve: Resolver = async () => {
      throw new Error('must not be called');
    };
    await expect(assertSafeUpstreamUrl('http://fake-upstream:9999/v1/', { allowPrivate: true, field: 'endpoint', resolve })).resolves.toBe(
      'http://fake-upstream:9999/v1',
    );
  });
});
