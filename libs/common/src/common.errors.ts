import { redactUrl } from './backend-url.js';

/**
 * A backend URL that cannot be used. The libraries that read URLs (discovery, locks, election)
 * raise their own typed errors instead, by passing an `invalid` factory to the parser; this one
 * is what a URL parsed on its own raises. `code` is stable; the message starts `config: `.
 */
export class InvalidBackendUrlError extends Error {
  readonly code = 'INVALID_OPTIONS';

  constructor(message: string) {
    super(`config: ${message}`);
    this.name = new.target.name;
  }
}

/** Which backend a URL names, as errors print it. */
export type BackendKind = 'redis' | 'etcd' | 'consul';

/**
 * A backend refused the credentials of its URL (Redis WRONGPASS/NOAUTH, etcd "authentication
 * failed", Consul 403 "ACL not found"). Retrying cannot help, so it is raised, not retried.
 * The message names the backend and the redacted URL and never holds the password or token:
 * `redis rediss://app:***@127.0.0.1:6380: authentication failed (WRONGPASS …)`.
 */
export class BackendAuthError extends Error {
  readonly code = 'BACKEND_AUTH';

  constructor(
    readonly backend: BackendKind,
    /** The URL, redacted. */
    readonly url: string,
    /** What the backend answered (redacted too, in case it echoed the URL). */
    reason: string,
  ) {
    super(`${backend} ${redactUrl(url)}: authentication failed (${redactUrl(reason)})`);
    this.name = new.target.name;
  }
}

/**
 * A file named by a TLS parameter of a backend URL (`?ca=`, `?cert=`, `?key=`), or by a
 * variable such as CONSUL_CACERT, cannot be used. The message names the parameter and the
 * file, never the file's contents.
 */
export class BackendTlsFileError extends Error {
  readonly code = 'BACKEND_TLS_FILE';

  constructor(
    url: { toString(): string },
    /** `?ca`, `?cert`, `?key`, or the variable that named the file. */
    readonly parameter: string,
    readonly file: string,
    problem: string,
  ) {
    super(`config: "${url.toString()}": ${parameter}=${file} ${problem}`);
    this.name = new.target.name;
  }
}
