import { BackendUrl, type InvalidUrl, redactUrl, splitBackendUrls } from './backend-url.js';

/** How one scheme's backends are built. */
export interface BackendFactory<Options, Backend> {
  /** Query parameters the scheme reads; any other is refused as a typo. Default: none. */
  readonly query?: readonly string[];
  /**
   * How many URLs one value may list (a Redlock quorum lists several masters); default exactly
   * one. Hosts of one cluster are one URL (`etcd://a:2379,b:2379`).
   */
  readonly urls?: { readonly min: number; readonly max: number };
  /**
   * Builds the backend. Import the adapter here (`await import('./x.adapter.js')`), so that its
   * SDK is loaded only by apps that name the scheme. May raise the registry's typed error
   * through `url.fail(…)`.
   */
  create(urls: readonly BackendUrl[], options: Options): Backend | Promise<Backend>;
}

/**
 * Scheme → backend factory, one registry per kind of backend (discovery, locks, election), in
 * the way grpc-js registers resolvers: adapters register their schemes, callers name a backend
 * by URL, and nothing else switches on schemes. An unknown scheme is an error that lists the
 * known ones. Registering a scheme again replaces its factory (a third-party adapter may
 * override a built-in one).
 */
export class BackendRegistry<Options, Backend> {
  private readonly factories = new Map<string, BackendFactory<Options, Backend>>();

  constructor(
    /** What the backends are, for messages: `discovery`, `lock`, `election`. */
    readonly kind: string,
    /**
     * Builds the typed error of the lib that owns the registry; a factory raises it for what
     * no single URL is to blame for (a quorum of the wrong size).
     */
    readonly invalid: InvalidUrl,
  ) {}

  register(schemes: string | readonly string[], factory: BackendFactory<Options, Backend>): void {
    for (const scheme of typeof schemes === 'string' ? [schemes] : schemes) {
      if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) {
        throw this.invalid(`"${scheme}" is not a URL scheme (lower case, e.g. "etcd")`);
      }
      this.factories.set(scheme, factory);
    }
  }

  /** The registered schemes, sorted. */
  schemes(): string[] {
    return [...this.factories.keys()].sort();
  }

  /**
   * Parses and checks `value` (one URL, a comma-separated list, or an array): every URL
   * well-formed, of a known scheme, all of one factory, as many as it takes, no unknown query
   * parameter. Raises the registry's typed error naming the (redacted) URL otherwise.
   */
  resolve(value: string | readonly string[]): {
    urls: BackendUrl[];
    factory: BackendFactory<Options, Backend>;
  } {
    const urls = splitBackendUrls(value).map((url) => BackendUrl.parse(url, this.invalid));
    if (urls.length === 0) throw this.invalid(`no ${this.kind} URL given`);
    const factory = this.factories.get(urls[0].scheme);
    for (const url of urls) {
      const own =
        this.factories.get(url.scheme) ??
        url.fail(
          `unknown ${this.kind} scheme "${url.scheme}:"; known: ${this.schemes()
            .map((scheme) => `${scheme}://`)
            .join(', ')}`,
        );
      if (own !== factory) url.fail(`a list of ${this.kind} URLs must all be of one kind`);
      url.onlyQuery(own.query ?? []);
    }
    const { min, max } = factory!.urls ?? { min: 1, max: 1 };
    if (urls.length < min || urls.length > max) {
      const list = redactUrl(urls.join(','));
      throw this.invalid(
        `"${list}": ${urls[0].scheme}:// takes ${min === max ? min : `${min} to ${max}`} URL${max === 1 ? '' : 's'}, got ${urls.length}`,
      );
    }
    return { urls, factory: factory! };
  }

  /** Builds the backend `value` names (see {@link resolve}). */
  async create(value: string | readonly string[], options: Options): Promise<Backend> {
    const { urls, factory } = this.resolve(value);
    return factory.create(urls, options);
  }
}
