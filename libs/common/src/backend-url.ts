import { InvalidBackendUrlError } from './common.errors.js';

/** Builds the error an unusable URL raises, so that each lib raises its own typed error. */
export type InvalidUrl = (message: string) => Error;

export interface BackendCredentials {
  readonly username: string;
  readonly password: string;
}

const URL_PATTERN = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/?#\s]*)@)?([^/?#\s]*)(\/[^?#\s]*)?(?:\?([^#\s]*))?$/i;
/** A comma that starts another URL (`redis://a,redis://b`), not another host (`etcd://a,b`). */
const NEXT_URL = /,\s*(?=[a-z][a-z0-9+.-]*:\/\/)/i;
/** `//user:password@` inside any text; the password is what `redactUrl` hides. */
const USERINFO_PASSWORD = /(\/\/[^:@/\s]*):([^@/\s]*)@/g;
/**
 * A query parameter whose value is a credential (`?token=`, `?password=`, `?secret=`,
 * `?api_key=`): `redactUrl` hides its value as it hides a password.
 */
const SECRET_QUERY_VALUE =
  /([?&](?:[a-z0-9_.-]*(?:token|password|passwd|secret|credential)|api[_-]?key)=)([^&#\s"']*)/gi;

const invalidUrl: InvalidUrl = (message) => new InvalidBackendUrlError(message);

/**
 * One backend URL: `scheme://[user[:password]@]host[:port][,host[:port]…][/path][?query]`,
 * the one form every NestMesh backend is named by (DISCOVERY_URL, REDIS_URL, ELECTION_URL).
 * Several hosts separated by commas are members of one cluster (etcd); several URLs are
 * split by {@link splitBackendUrls} first (a Redlock quorum). User and password are
 * percent-decoded. `toString()` is the redacted form, so a URL interpolated into a message or a
 * log line never shows its password or a credential query value (`?token=`); the original is
 * `href`.
 */
export class BackendUrl {
  private constructor(
    /** The URL as given, password included: pass it to a client, never print it. */
    readonly href: string,
    /** Lower-cased, without `://`. */
    readonly scheme: string,
    readonly credentials: BackendCredentials | undefined,
    /** `host[:port]` items as written (IPv6 in brackets); empty for `memory://`. */
    readonly hosts: readonly string[],
    /** `''` or a path starting with `/`. */
    readonly path: string,
    readonly query: URLSearchParams,
    private readonly invalid: InvalidUrl,
  ) {}

  /** Parses `url`; a malformed one raises `invalid(message)` (default InvalidBackendUrlError). */
  static parse(url: string, invalid: InvalidUrl = invalidUrl): BackendUrl {
    const text = url.trim();
    const match = URL_PATTERN.exec(text);
    if (!match) throw invalid(`"${redactMalformed(text)}" is not a backend URL (scheme://host:port)`);
    const [, scheme, userInfo, hostList, path, query] = match;
    let credentials: BackendCredentials | undefined;
    if (userInfo !== undefined) {
      const colon = userInfo.indexOf(':');
      const decode = (part: string): string => {
        try {
          return decodeURIComponent(part);
        } catch {
          throw invalid(`"${redactUrl(text)}": user or password is not valid percent-encoding`);
        }
      };
      credentials = {
        username: decode(colon < 0 ? userInfo : userInfo.slice(0, colon)),
        password: colon < 0 ? '' : decode(userInfo.slice(colon + 1)),
      };
    }
    const hosts = (hostList ?? '')
      .split(',')
      .map((host) => host.trim())
      .filter(Boolean);
    return new BackendUrl(
      text,
      scheme.toLowerCase(),
      credentials,
      hosts,
      path ?? '',
      new URLSearchParams(query ?? ''),
      invalid,
    );
  }

  /** The URL with its password replaced by `***`. */
  toString(): string {
    return redactUrl(this.href);
  }

  /** Raises the caller's typed error about this URL. */
  fail(message: string): never {
    throw this.invalid(`"${this.toString()}": ${message}`);
  }

  /** A query parameter's value, or undefined when absent. */
  string(name: string): string | undefined {
    return this.query.get(name) ?? undefined;
  }

  /** A query parameter that must be a number > 0 (an integer when `integer`); undefined when absent. */
  positiveNumber(name: string, { integer = false } = {}): number | undefined {
    const raw = this.query.get(name);
    if (raw === null) return undefined;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      this.fail(`${name}=${raw} must be a positive ${integer ? 'integer' : 'number'}`);
    }
    return value;
  }

  /** A query parameter that must be one of `values`; `fallback` when absent. */
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = this.query.get(name);
    if (raw === null) return fallback;
    if (!(values as readonly string[]).includes(raw))
      this.fail(`${name}=${raw} must be one of ${values.join(', ')}`);
    return raw as T;
  }

  /** Refuses any query parameter not in `known`: a misspelt option must not be ignored silently. */
  onlyQuery(known: readonly string[]): void {
    for (const name of new Set(this.query.keys())) {
      if (!known.includes(name)) {
        this.fail(
          `unknown option "${name}"` +
            (known.length ? `; this scheme takes ${known.join(', ')}` : '; this scheme takes none'),
        );
      }
    }
  }
}

/**
 * What may be shown of a value that is not a URL: without `//` the password of
 * `user:password@host` is not where redactUrl looks, so everything up to the last `@` goes.
 */
function redactMalformed(text: string): string {
  const at = text.lastIndexOf('@');
  return at < 0 ? redactUrl(text) : `***@${redactUrl(text.slice(at + 1))}`;
}

/**
 * Splits a list of URLs — an array, or one string with commas — into single URLs. A comma
 * followed by `scheme://` starts a new URL; any other comma separates hosts of one URL, so
 * `redis://a:6379,redis://b:6379` is two URLs and `etcd://a:2379,b:2379` is one.
 */
export function splitBackendUrls(value: string | readonly string[]): string[] {
  const items = typeof value === 'string' ? [value] : value;
  return items
    .flatMap((item) => item.split(NEXT_URL))
    .map((item) => item.trim())
    .filter(Boolean);
}

/**
 * Replaces every secret in the URLs of `text` by `***`: passwords (`redis://user:***@host`) and
 * credential query values (`consul://h?token=***`).
 */
export function redactUrl(text: string): string {
  return text
    .replace(USERINFO_PASSWORD, (_match, user: string, password: string) =>
      password === '' ? `${user}:@` : `${user}:***@`,
    )
    .replace(SECRET_QUERY_VALUE, (_match, name: string, value: string) =>
      value === '' ? name : `${name}***`,
    );
}
