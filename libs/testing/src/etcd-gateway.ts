import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** An etcd client URL and, when it is https, the CA (PEM text) that verifies it. */
export interface EtcdEndpoint {
  endpoint: string;
  ca?: string;
}

/** Whether etcd answers `{"health":"true"}` on /health. */
export async function etcdHealthy(target: EtcdEndpoint): Promise<boolean> {
  const { status, body } = await call(target, 'GET', '/health');
  return status === 200 && (body as { health?: string }).health === 'true';
}

/**
 * Turns auth on through etcd's v3 API (its JSON gateway, so this lib needs no etcd client):
 * the `root` role, a `root` user (etcd refuses to enable auth without one) and `user`, both
 * with `password` and the root role. Idempotent enough for a fresh member only.
 */
export async function enableEtcdAuth(
  target: EtcdEndpoint,
  { user, password }: { user: string; password: string },
): Promise<void> {
  await expectOk(target, '/v3/auth/role/add', { name: 'root' });
  for (const name of new Set(['root', user])) {
    await expectOk(target, '/v3/auth/user/add', { name, password });
    await expectOk(target, '/v3/auth/user/grant', { user: name, role: 'root' });
  }
  await expectOk(target, '/v3/auth/enable', {});
}

async function expectOk(target: EtcdEndpoint, path: string, payload: object): Promise<void> {
  const { status, body } = await call(target, 'POST', path, payload);
  // The body may name the user, never the password (the request is not echoed).
  if (status !== 200) throw new Error(`etcd ${path} answered ${status}: ${JSON.stringify(body)}`);
}

export function call(
  { endpoint, ca }: EtcdEndpoint,
  method: 'GET' | 'POST',
  path: string,
  payload?: object,
): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, endpoint);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // agent false: a connection per request, closed after it, so that no idle keep-alive
    // connection of this helper lingers (EtcdCluster.connectedMembers() counts connections).
    const outgoing = send(url, { method, ca, timeout: 10_000, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : {} });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`etcd ${path}: no answer in 10 s`)));
    outgoing.on('error', reject);
    outgoing.end(payload === undefined ? undefined : JSON.stringify(payload));
  });
}
