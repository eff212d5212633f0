import { isIP } from 'node:net';

import { OrderConfigError } from '../order.errors.js';

export const HTTP_TRUST_PROXY_ENV = 'HTTP_TRUST_PROXY';

/** Express' names for address ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Which proxies' `X-Forwarded-For` names the client (Express' `trust proxy`): a number of hops
 * or addresses, CIDR ranges and range names. The client address is what the rate limit counts.
 * `false`: none, the peer's address is the client's, and a client cannot pick its own.
 */
export type TrustedProxies = number | readonly string[] | false;

function isProxyEntry(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  const prefix = Number(bits);
  return /^\d+$/.test(bits) && prefix <= (family === 4 ? 32 : 128);
}

/**
 * `false` or empty: none; a whole number: that many hops; else a comma list of addresses,
 * CIDR ranges, `loopback`, `linklocal`, `uniquelocal`. `true` (trust any sender) is refused:
 * every client could then name its own address and step around the rate limit.
 */
export function parseTrustedProxies(text: string, source = HTTP_TRUST_PROXY_ENV): TrustedProxies {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'false' || trimmed === '0') return false;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const entries = trimmed.split(',').map((entry) => entry.trim());
  const wrong = entries.find((entry) => !isProxyEntry(entry));
  if (wrong !== undefined) {
    throw new OrderConfigError(
      `${source} takes a number of hops or proxy addresses, CIDR ranges, loopback, linklocal or uniquelocal (comma-separated), got "${wrong}"` +
        (wrong === 'true' ? ': trusting every sender would let any client choose its own address' : ''),
    );
  }
  return entries;
}

/** The option when given, else HTTP_TRUST_PROXY, else none. */
export function resolveTrustedProxies(given: TrustedProxies | undefined): TrustedProxies {
  if (given === false) return false;
  if (typeof given === 'number') return parseTrustedProxies(String(given), 'the trustProxy option');
  if (given !== undefined) return parseTrustedProxies(given.join(','), 'the trustProxy option');
  return parseTrustedProxies(process.env[HTTP_TRUST_PROXY_ENV] ?? '');
}
