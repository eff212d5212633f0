// A raw HTTP/2 EchoService peer (node:http2, no grpc-js) that records how each request
// arrived: its `grpc-encoding` header and the compressed flag of each message frame. grpc-js
// servers strip `grpc-encoding` before handlers see the metadata, so only a peer reading the
// wire itself can tell a compressed request from a plain one.
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { createServer, constants, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import type { IncomingHttpHeaders, ServerHttp2Session } from 'node:http2';
import { gunzipSync, inflateSync } from 'node:zlib';

export interface ReceivedCall {
  /** The full method path. */
  path: string;
  /** The `grpc-encoding` header, absent for identity. */
  encoding: string | undefined;
  /** The compressed flag of each request message, in order. */
  compressedFlags: boolean[];
}

type Answer = (requests: Buffer[]) => Buffer[];

const { echo, collect, chat } = EchoServiceService;

/** Echo, Collect and Chat as the grpc-js EchoPeer answers them (no delays, no metadata). */
const ANSWERS: Partial<Record<string, Answer>> = {
  [echo.path]: (requests) => [
    echo.responseSerialize({ message: echo.requestDeserialize(requests[0]).message, sequence: 0 }),
  ],
  [collect.path]: (requests) => {
    const messages = requests.map((request) => collect.requestDeserialize(request).message);
    return [collect.responseSerialize({ count: messages.length, joined: messages.join(' ') })];
  },
  [chat.path]: (requests) =>
    requests.map((request, index) =>
      chat.responseSerialize({ message: chat.requestDeserialize(request).message, sequence: index + 1 }),
    ),
};

export class EncodingPeer {
  readonly calls: ReceivedCall[] = [];
  /** HTTP/2 connections open now: a client's channels each open their own. */
  readonly sessions = new Set<ServerHttp2Session>();

  private constructor(
    private readonly server: Http2Server,
    readonly port: number,
  ) {}

  static async start(): Promise<EncodingPeer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const peer = new EncodingPeer(server, (server.address() as { port: number }).port);
    server.on('session', (session) => {
      peer.sessions.add(session);
      session.once('close', () => peer.sessions.delete(session));
    });
    server.on('stream', (stream, headers) => peer.serve(stream, headers));
    return peer;
  }

  /** The calls received on `path`, in arrival order. */
  callsTo(path: string): ReceivedCall[] {
    return this.calls.filter((call) => call.path === path);
  }

  /** Stops listening and ends the connections still open (closing alone would wait for them). */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const session of this.sessions) session.destroy();
    });
  }

  private serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const encoding = headers['grpc-encoding'] as string | undefined;
    const call: ReceivedCall = {
      path: headers[constants.HTTP2_HEADER_PATH] as string,
      encoding,
      compressedFlags: [],
    };
    this.calls.push(call);
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const requests = framesOf(Buffer.concat(chunks)).map(({ compressed, payload }) => {
        call.compressedFlags.push(compressed);
        return compressed ? decompress(payload, encoding) : payload;
      });
      const answer = ANSWERS[call.path];
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () =>
        stream.sendTrailers(
          answer ? { 'grpc-status': '0' } : { 'grpc-status': '12', 'grpc-message': 'unimplemented' },
        ),
      );
      for (const response of answer?.(requests) ?? []) stream.write(frameOf(response));
      stream.end();
    });
  }
}

/** Splits a gRPC request body into its length-prefixed messages (flag byte, 4-byte length). */
function framesOf(body: Buffer): { compressed: boolean; payload: Buffer }[] {
  const frames: { compressed: boolean; payload: Buffer }[] = [];
  for (let offset = 0; offset < body.length;) {
    const length = body.readUInt32BE(offset + 1);
    frames.push({ compressed: body[offset] === 1, payload: body.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return frames;
}

function frameOf(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function decompress(payload: Buffer, encoding: string | undefined): Buffer {
  if (encoding === 'gzip') return gunzipSync(payload);
  if (encoding === 'deflate') return inflateSync(payload);
  throw new Error(`a compressed message with grpc-encoding ${String(encoding)}`);
}
