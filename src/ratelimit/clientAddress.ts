import net from 'node:net';
import type http from 'node:http';

/** A trusted proxy: one address, or a network in CIDR notation. */
export interface ProxyEntry {
  address: string;
  /** The network's prefix length; absent for a single address. */
  prefix?: number;
}

/**
 * Parses a comma-separated list of addresses and CIDR networks (`10.0.0.0/8, ::1`); returns why
 * an entry is wrong instead when one is.
 */
export function parseProxyList(
  text: string,
): { ok: true; entries: ProxyEntry[] } | { ok: false; problem: string } {
  const entries: ProxyEntry[] = [];
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address = '', prefixText, ...rest] = item.split('/');
    const family = net.isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? undefined : Number(prefixText);
    if (
      family === 0 ||
      rest.length > 0 ||
      (prefix !== undefined &&
        !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max && /^\d+$/.test(prefixText!)))
    ) {
      return {
        ok: false,
        problem: `"${item}" is not an IP address or CIDR network (e.g. 10.0.0.0/8, 2001:db8::/32)`,
      };
    }
    entries.push(prefix === undefined ? { address } : { address, prefix });
  }
  return { ok: true, entries };
}

/** An address without its IPv4-in-IPv6 wrapping, zone, brackets or port; '' when it is none. */
function normalize(raw: string): string {
  let text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  text = text.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped) text = mapped[1]!;
  return net.isIP(text) ? text.toLowerCase() : '';
}

/** The eight 16-bit groups of a valid IPv6 address. */
function ipv6Groups(address: string): number[] {
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = '', tail] = address.split('::');
  const before = parse(head);
  const after = tail === undefined ? [] : parse(tail);
  return [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
}

/**
 * The key an anonymous caller is limited by: an IPv4 address as it is, an IPv6 address by its /64
 * network, since one subscriber commonly holds a whole /64 and could otherwise take a fresh bucket
 * per address.
 */
export function addressGroup(address: string): string {
  if (net.isIP(address) !== 6) return address;
  return `${ipv6Groups(address)
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/**
 * Finds the address a request comes from: the socket's peer. `X-Forwarded-For` is believed only
 * when that peer is a configured trusted proxy, and then read from the right, past trusted
 * proxies, to the first address that is not one, since anything to its left the client may have
 * written itself. A malformed hop stops the walk at the last address vouched for.
 */
export class ClientAddresses {
  private readonly trusted = new net.BlockList();
  private readonly anyTrusted: boolean;

  constructor(proxies: readonly ProxyEntry[]) {
    for (const { address, prefix } of proxies) {
      const type = net.isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.trusted.addAddress(address, type);
      else this.trusted.addSubnet(address, prefix, type);
    }
    this.anyTrusted = proxies.length > 0;
  }

  /** The client's address ('unknown' when the socket has none left, e.g. already closed). */
  of(req: http.IncomingMessage): string {
    let address = normalize(req.socket.remoteAddress ?? '');
    if (!address) return 'unknown';
    if (!this.isTrusted(address)) return address;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .filter((h) => h.trim());
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalize(hops[i]!);
      if (!hop) return address;
      address = hop;
      if (!this.isTrusted(hop)) return hop;
    }
    return address;
  }

  private isTrusted(address: string): boolean {
    return (
      this.anyTrusted && this.trusted.check(address, net.isIP(address) === 6 ? 'ipv6' : 'ipv4')
    );
  }
}
