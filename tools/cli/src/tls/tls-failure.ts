/** How an instance was dialled with TLS: what a failed handshake is explained against. */
export interface TlsDial {
  /** `host:port` dialled. */
  readonly target: string;
  /** The name the server certificate was checked for (`--tls-server-name`, else the service name). */
  readonly serverName: string;
  /** The CA bundle the server certificate was verified against. */
  readonly caFile: string;
  /** The client certificate presented, if any. */
  readonly certFile?: string;
}

/** The failure grpc-js saw under its "No connection established. Last error: …" wrapping. */
export function reasonOf(details: string): string {
  const last = /Last error: ([\s\S]*?)(?:\. Resolution note:|$)/.exec(details)?.[1] ?? details;
  const openssl = /SSL routines:[^:]*:([^:\n]+)/.exec(last)?.[1];
  return (openssl ?? last)
    .replace(/^Error(?: \[\w+\])?: /, '')
    .replace(/ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)$/, '')
    .trim();
}

const UNTRUSTED =
  /self[- ]signed certificate|unable to (?:verify|get local issuer|get issuer)|certificate verify failed|certificate (?:has expired|is not yet valid)|unsuitable certificate purpose/i;
const NAME_MISMATCH = /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/i;
const CLIENT_CERTIFICATE_REQUIRED = /alert certificate required/i;
const CLIENT_CERTIFICATE_REFUSED =
  /alert (?:unknown ca|bad certificate|certificate unknown|certificate revoked|certificate expired|access denied|handshake failure)/i;
const PLAINTEXT_SERVER = /wrong version number|packet length too long|record layer failure|unknown protocol/i;
/**
 * What grpc-js says when the connection is closed or reset before HTTP/2 starts: which of the
 * two depends on timing (TLS 1.3 lets the client finish first; the server's alert may be lost).
 */
const CLOSED_DURING_HANDSHAKE =
  /No connection established\. Last error: (?:Failed to connect|read ECONNRESET|Client network socket disconnected before secure TLS connection was established)/;

/**
 * A sentence saying what a TLS handshake failure means and what to change, for the `details`
 * of an UNAVAILABLE status; undefined when the failure is not one TLS explains. The reasons are
 * OpenSSL's and Node's wording (the same on Node 20 to 24); an unknown one stays undefined, so
 * the status is printed as the server's answer, never hidden.
 */
export function explainTlsFailure(details: string, dial: TlsDial): string | undefined {
  const reason = reasonOf(details);
  const { target, serverName, caFile, certFile } = dial;
  if (NAME_MISMATCH.test(details))
    return (
      `the certificate of ${target} does not carry the name "${serverName}" that was checked (${reason}); ` +
      `pass --tls-server-name <a name in its certificate> or set GRPC_TLS_SERVER_NAME`
    );
  if (UNTRUSTED.test(details))
    return (
      `the certificate of ${target} is not trusted by the CA bundle ${caFile} (${reason}); ` +
      `pass the CA that issued it with --tls-ca or GRPC_TLS_CA`
    );
  if (CLIENT_CERTIFICATE_REQUIRED.test(details))
    return (
      `${target} requires a client certificate (mutual TLS) (${reason}): ` +
      `pass --tls-cert <file> --tls-key <file> or set GRPC_TLS_CERT and GRPC_TLS_KEY`
    );
  if (CLIENT_CERTIFICATE_REFUSED.test(details))
    return `${target} refused the client certificate ${certFile ?? '(none)'} (${reason}): use one issued by a CA the server trusts`;
  if (PLAINTEXT_SERVER.test(details))
    return `${target} does not speak TLS (${reason}): it serves plaintext gRPC; pass --plaintext`;
  if (certFile !== undefined && CLOSED_DURING_HANDSHAKE.test(details))
    // TLS 1.3: the client finishes its side first, so a refused certificate is a closed connection
    return (
      `${target} closed the connection before it was established (${reason}), which is how a server requiring ` +
      `mutual TLS refuses a client certificate it does not trust: is ${certFile} issued by the CA the server trusts?`
    );
  return undefined;
}
