/**
 * The nestmesh command's exit codes: one per failure a script can act on differently.
 * They are part of the CLI's contract (docs/cli.md lists them): never renumber one.
 */
export const EXIT_CODES = {
  /** Done: the call answered OK, every instance is SERVING, the list was printed. */
  ok: 0,
  /** The call answered with a non-OK status, or an instance is not SERVING. */
  failed: 1,
  /** Bad arguments or options (a missing `--discovery`, `memory://`, a bad `-H`, …). */
  usage: 2,
  /** A backend URL that cannot be used (not a URL, an unknown scheme or option). */
  badUrl: 3,
  /** The registry, Redis or etcd did not answer. */
  unavailable: 4,
  /** The service has no instance in the registry (or `--instance` names none of them). */
  unknownService: 5,
  /** The server's reflection does not know the service or method, or offers no reflection. */
  unknownMethod: 6,
  /** The election backend has never heard of the group. */
  unknownGroup: 7,
  /** The request JSON does not parse, or does not fit the method's request message. */
  malformedJson: 8,
  /**
   * TLS: the instances need TLS settings the command was not given, or the TLS handshake
   * failed (a server certificate not trusted or not carrying the name checked, a client
   * certificate the server refused, a plaintext server dialled with TLS).
   */
  tls: 9,
  /** Ctrl-C (SIGINT) ended a stream or a watch: 128 + SIGINT's number, as shells expect. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
