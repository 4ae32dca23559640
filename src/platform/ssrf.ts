import dnsCallbacks from 'node:dns';
import dns from 'node:dns/promises';
import net from 'node:net';
import { badRequest } from './errors.ts';

// User-supplied upstream URLs must be https and resolve to public addresses (DESIGN.md §3 SSRF),
// unless ALLOW_PRIVATE_UPSTREAMS is set for tests and local development.

/**
 * Said with every refusal the setting would lift: someone pointing a channel, a registry model or a provider base URL at
 * a local fake reads which switch to turn instead of guessing why `http://127.0.0.1:9000` is "not https".
 */
export const PRIVATE_UPSTREAMS_HINT = 'to allow http:// and private addresses for local development set ALLOW_PRIVATE_UPSTREAMS=true';

const blocked = new net.BlockList();
for (const [addr, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(addr, prefix, 'ipv4');
// No '::ffff:0:0/96' here: BlockList checks every IPv4 address as IPv4-mapped IPv6, so that subnet would
// refuse all of them. Mapped addresses (::ffff:a.b.c.d) are already judged by the IPv4 rules above.
// '::/96' covers the unspecified and loopback addresses and the deprecated IPv4-compatible ones (::7f00:1).
for (const [addr, prefix] of [
  ['::', 96], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(addr, prefix, 'ipv6');

export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return !blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await dns.lookup(host, { all: true })).map((a) => a.address);

/**
 * Validates a user-supplied base URL and returns it normalised (no trailing slash).
 * @param field the request field named in the 400 error.
 */
export async function assertSafeUpstreamUrl(
  raw: string,
  o: { allowPrivate: boolean; field: string; resolve?: Resolver },
): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest(`${o.field} must be an absolute URL`, { field: o.field });
  }
  if (o.allowPrivate ? !['https:', 'http:'].includes(url.protocol) : url.protocol !== 'https:') {
    // Other schemes stay refused whatever the setting, so only an http:// URL is told about it.
    const why = o.allowPrivate ? 'must use https or http' : url.protocol === 'http:' ? `must use https; ${PRIVATE_UPSTREAMS_HINT}` : 'must use https';
    throw badRequest(`${o.field} ${why}`, { field: o.field });
  }
  if (url.username || url.password) throw badRequest(`${o.field} must not contain credentials`, { field: o.field });
  if (url.search || url.hash) throw badRequest(`${o.field} must not have a query or fragment`, { field: o.field });
  if (!o.allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = net.isIP(host) ? [host] : await (o.resolve ?? systemResolver)(host);
    } catch {
      throw badRequest(`${o.field} host does not resolve`, { field: o.field });
    }
    if (addresses.length === 0 || !addresses.every(isPublicAddress)) {
      throw badRequest(`${o.field} must resolve to a public address; ${PRIVATE_UPSTREAMS_HINT}`, { field: o.field });
    }
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dnsCallbacks.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for outgoing sockets that refuses private addresses at connect time — a URL checked when it was saved
 * could since resolve elsewhere (DNS rebinding).
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dnsCallbacks.LookupOptions, callback: LookupCallback) => {
    dnsCallbacks.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as dnsCallbacks.LookupAddress[];
      const refused = allowPrivate ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (refused) {
        const e: NodeJS.ErrnoException = new Error(`upstream host ${hostname} resolves to a private address; ${PRIVATE_UPSTREAMS_HINT}`);
        e.code = 'EUPSTREAMPRIVATE';
        return callback(e, '');
      }
      if (options.all) return callback(null, list);
      const first = list[0] as dnsCallbacks.LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}
