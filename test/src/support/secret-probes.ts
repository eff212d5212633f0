// Probes for the no-secret-output e2e: what a backend answers a client without credentials,
// a URL with another password, and where a secret sits in captured text.
import { request } from 'node:https';
import { connect } from 'node:tls';

/** `url` with its password replaced by `password` (percent-encoding kept). */
export function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

/** What Redis (TLS, verified with `ca`) answers a client that does not authenticate. */
export function unauthenticatedPing(port: number, ca: string): Promise<string> {
  return new Promise((resolvePing, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca }, () => socket.write('PING\r\n'));
    socket.setEncoding('utf8');
    socket.once('data', (answer: string) => {
      socket.destroy();
      resolvePing(answer);
    });
    socket.once('error', reject);
  });
}

/** Where `secret` sits in `text`, the secret itself masked, for a readable failure. */
function around(text: string, secret: string): string {
  const at = text.indexOf(secret);
  return `…${text.slice(Math.max(0, at - 120), at)}<SECRET>${text.slice(at + secret.length, at + secret.length + 60)}…`;
}

/** What etcd (TLS, verified with `ca`) answers a read without an auth token. */
export function anonymousEtcdRead(endpoint: string, ca: string): Promise<string> {
  return new Promise((resolveRead, reject) => {
    const read = request(`${endpoint}/v3/kv/range`, { method: 'POST', ca }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.once('end', () => resolveRead(body));
    });
    read.once('error', reject);
    read.end(JSON.stringify({ key: Buffer.from('/').toString('base64') }));
  });
}

/** Each secret (by name) found in a captured text, plain or percent-encoded, with where it sits. */
export function leaksOf(
  captured: readonly { source: string; text: string }[],
  secrets: Readonly<Record<string, string>>,
): string[] {
  return captured.flatMap(({ source, text }) =>
    Object.entries(secrets).flatMap(([name, secret]) =>
      [secret, encodeURIComponent(secret)]
        .filter((form, index, forms) => forms.indexOf(form) === index && text.includes(form))
        .map((form) => `the ${name} secret in ${source}: ${around(text, form)}`),
    ),
  );
}

/** The HTTP status a Consul agent (HTTPS, verified with `ca`) answers a catalog read with `token`. */
export function consulReadStatus(agent: string, ca: string, token: string): Promise<number> {
  return new Promise((resolveRead, reject) => {
    const read = request(
      `https://${agent}/v1/catalog/services`,
      { ca, headers: { 'x-consul-token': token } },
      (response) => {
        response.resume();
        resolveRead(response.statusCode ?? 0);
      },
    );
    read.once('error', reject);
    read.end();
  });
}

/** A line from the middle of a PEM key's body: distinctive (the first lines are common headers of every key). */
export function keyLine(pem: string): string {
  const body = pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
  return body[Math.floor(body.length / 2)];
}
