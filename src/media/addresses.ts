import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

/** An address range the server may fetch from although it is not public (a CIDR). */
export type AddressRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Read a list of CIDR ranges or single addresses (`10.0.0.0/8`, `127.0.0.1`, `fd00::/8`); throws
 * naming the entry that is neither.
 *
 * @example
 * parseAddressRanges(['127.0.0.1', '10.1.0.0/16']);
 */
export function parseAddressRanges(entries: string[]): AddressRange[] {
  return entries.map((entry) => {
    try {
      if (entry.includes('/')) return ipaddr.parseCIDR(entry) as AddressRange;
      const addr = ipaddr.parse(entry);
      return [addr, addr.kind() === 'ipv4' ? 32 : 128] as AddressRange;
    } catch {
      throw new Error(
        `"${entry.slice(0, 60)}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, 127.0.0.1)`,
      );
    }
  });
}

/**
 * True when the server may connect to `address`: a public unicast address, or one inside a range
 * the configuration allows. Loopback, private, link-local (cloud metadata at 169.254.169.254),
 * carrier-grade NAT, unique-local, multicast, unspecified and reserved addresses are refused;
 * IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 *
 * @example
 * isFetchable('93.184.216.34', []); // true
 * isFetchable('127.0.0.1', []); // false
 * isFetchable('127.0.0.1', parseAddressRanges(['127.0.0.0/8'])); // true
 */
export function isFetchable(address: string, allow: AddressRange[]): boolean {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(address);
  } catch {
    return false;
  }
  for (const [range, bits] of allow)
    if (range.kind() === addr.kind() && addr.match(range as never, bits)) return true;
  return addr.range() === 'unicast';
}

/** The literal IP address a URL's host is (brackets of IPv6 removed), or null for a name. */
export function literalAddress(hostname: string): string | null {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(h) ? h : null;
}

/** A connection refused because its host is (or resolves to) a non-public address. */
export class BlockedAddressError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      `${host} ${host === address ? 'is' : `resolves to ${address}, which is`} a private, loopback or link-local address`,
    );
    this.name = 'BlockedAddressError';
  }
}

type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `net.connect` that resolves a name and keeps only the addresses `isFetchable`
 * allows, so the address checked is the address connected to (no second, rebound resolution).
 *
 * @example
 * new Agent({ connect: { lookup: guardedLookup([]) } });
 */
export function guardedLookup(
  allow: AddressRange[],
  resolve: Resolver = dnsLookup as unknown as Resolver,
): (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => void {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const ok = addresses.filter((a) => isFetchable(a.address, allow));
      if (!ok.length)
        return callback(
          new BlockedAddressError(hostname, addresses[0]?.address ?? 'nothing') as NodeJS.ErrnoException,
          [],
        );
      if (options.all) callback(null, ok);
      else callback(null, ok[0].address, ok[0].family);
    });
  };
}
