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
