// Raw grpc-js clients of echo.v1.EchoService (no NestMesh client code), and the Python grpcio
// client in echo_client.py, to call the server's streaming methods as any peer would.
import {
  Client,
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ClientDuplexStream,
  type ClientWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  ChatRequest,
  EchoServiceService,
  type CollectRequest,
  type CollectResponse,
  type EchoResponse,
} from '@nestmesh/contracts/echo/v1';
import { spawnSync } from 'node:child_process';
import { connect, type IncomingHttpHeaders } from 'node:http2';
import { fileURLToPath } from 'node:url';
import { spawnOwned } from '@nestmesh/testing';

export interface EchoRawClient extends Client {
  collect(
    metadata: Metadata,
    options: { deadline?: number },
    callback: (error: ServiceError | null, response?: CollectResponse) => void,
  ): ClientWritableStream<CollectRequest>;
  chat(metadata: Metadata, options: { deadline?: number }): ClientDuplexStream<ChatRequest, EchoResponse>;
}

const EchoClient = makeGenericClientConstructor(EchoServiceService, 'echo.v1.EchoService');

export function echoClient(port: number): EchoRawClient {
  return new EchoClient(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as EchoRawClient;
}

export function metadataOf(entries: Record<string, string>): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

/** Sends `messages` on a Collect call and settles with its answer or its error. */
export function collect(
  client: EchoRawClient,
  messages: string[],
  metadata = new Metadata(),
): Promise<CollectResponse> {
  return new Promise((resolve, reject) => {
    const call = client.collect(metadata, { deadline: Date.now() + 15_000 }, (error, response) =>
      error ? reject(error) : resolve(response!),
    );
    for (const message of messages) call.write({ message });
    call.end();
  });
}

/** Sends `messages` on a Chat call, half-closes, and collects every response. */
export async function chat(
  client: EchoRawClient,
  messages: string[],
  metadata = new Metadata(),
): Promise<EchoResponse[]> {
  const call = client.chat(metadata, { deadline: Date.now() + 15_000 });
  for (const message of messages) call.write({ message, delayMs: 0 });
  call.end();
  const responses: EchoResponse[] = [];
  for await (const response of call) responses.push(response as EchoResponse);
  return responses;
}

/**
 * Opens a Chat over plain HTTP/2 with a `grpc-timeout` header, writes `requests`, and leaves the
 * stream open: unlike a grpc-js client, this peer never cancels at its own deadline, so the
 * server's deadline timer is what ends the call. Settles with the `grpc-status` it answered.
 */
export async function chatUntilServerDeadline(
  port: number,
  timeoutMs: number,
  requests: ChatRequest[],
): Promise<number> {
  const session = connect(`http://127.0.0.1:${port}`);
  // The server resets the stream after its trailers; that is the end of the exchange, not a fault.
  session.on('error', () => undefined);
  try {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/echo.v1.EchoService/Chat',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${timeoutMs}m`,
    });
    for (const request of requests) {
      const body = ChatRequest.encode(request).finish();
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt32BE(body.length, 1);
      frame.set(body, 5);
      stream.write(frame);
    }
    stream.resume();
    const status = await new Promise<string | undefined>((resolve) => {
      stream.once('trailers', (trailers: IncomingHttpHeaders) => resolve(String(trailers['grpc-status'])));
      // A trailers-only answer carries its status in the response headers.
      stream.once('response', (headers) => {
        if (headers['grpc-status'] !== undefined) resolve(String(headers['grpc-status']));
      });
      stream.on('error', () => resolve(undefined));
      stream.once('close', () => resolve(undefined));
    });
    if (status === undefined) throw new Error('Chat over HTTP/2: the stream closed without a grpc-status');
    return Number(status);
  } finally {
    session.destroy();
  }
}

/** A python3 that can `import grpc` (Debian's python3-grpcio), or a clear error naming the package. */
function pythonWithGrpc(): string {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    if (spawnSync(candidate, ['-c', 'import grpc']).status === 0) return candidate;
  }
  throw new Error(
    'grpc tests: no python3 can "import grpc"; install it with: apt-get install -y python3-grpcio',
  );
}

const SCRIPT = fileURLToPath(new URL('../../src/test-fixtures/echo_client.py', import.meta.url));

export interface PythonEchoOptions {
  /** The requests' messages (`collect`, `chat`). */
  messages?: string[];
  /** For `chat-cancel`: once this resolves the script cancels (it waits for a line on stdin). */
  proceedWhen?: () => Promise<unknown>;
  /** Default 20 000 ms, after which the script is killed. */
  timeoutMs?: number;
}

/**
 * Runs echo_client.py (`<port> <scenario> [messages…]`) to its end and returns the JSON objects
 * it printed, one per line. The process dies with the test (spawnOwned) and is killed after
 * `timeoutMs`.
 */
export async function pythonEcho(
  port: number,
  scenario: string,
  { messages = [], proceedWhen, timeoutMs = 20_000 }: PythonEchoOptions = {},
): Promise<Record<string, unknown>[]> {
  const child = spawnOwned(pythonWithGrpc(), [SCRIPT, String(port), scenario, ...messages], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (proceedWhen)
    void proceedWhen().then(
      () => child.stdin!.write('\n'),
      () => child.kill('SIGKILL'),
    );
  else child.stdin!.end();
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`echo_client.py ${scenario} exited ${code}: ${stderr}`);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
