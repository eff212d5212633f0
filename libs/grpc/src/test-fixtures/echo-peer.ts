// A raw grpc-js EchoService server (no Nest, no NestMesh server code) for the mesh client's
// tests: what a peer written by anyone with grpc-js would do, plus what the tests observe
// on the server side (cancellations, the pace of reads).
import { Client, credentials, Metadata, Server, ServerCredentials, type ChannelOptions } from '@grpc/grpc-js';
import type {
  sendUnaryData,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
} from '@grpc/grpc-js';
import {
  EchoServiceService,
  type ChatRequest,
  type CollectRequest,
  type CollectResponse,
  type EchoRequest,
  type EchoResponse,
  type EchoServiceServer,
  type ExpandRequest,
} from '@nestmesh/contracts/echo/v1';
import { connect, createServer, type Server as TcpServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { createMeshClient, type MeshClient } from '../client/typed-client.js';
import { callSignal } from '../server/call-signal.js';

/** Headers every method sends, and the trailers each sends with its status. */
export const PEER_HEADER = 'x-peer';
export const PEER_TRAILER = 'x-trailer';

function headers(): Metadata {
  const metadata = new Metadata();
  metadata.set(PEER_HEADER, 'grpc-js');
  return metadata;
}

function trailers(method: string): Metadata {
  const metadata = new Metadata();
  metadata.set(PEER_TRAILER, method);
  return metadata;
}

/**
 * The requests of a server call. Not `for await (… of call)`: Node's readable iterator destroys
 * the stream when the loop ends, a duplex's writable half too, and the status is never sent.
 */
function requestsOf<Request>(call: NodeJS.ReadableStream & { iterator?: unknown }): AsyncIterable<Request> {
  return (call as unknown as import('node:stream').Readable).iterator({ destroyOnReturn: false });
}

/** A call as it reached the peer (Echo, Expand and Chat). */
export interface EchoArrival {
  method: string;
  message: string;
  /** What was left of the call's deadline when its handler started, in ms; Infinity: none. */
  remainingMs: number;
  /** The caller cancelled it (or its deadline passed) before the peer answered. */
  cancelled: boolean;
}

export class EchoPeer {
  /** The Echo, Expand and Chat calls received, in order. */
  readonly arrivals: EchoArrival[] = [];
  /** Called as the server reads each request of Collect or Chat; a test probes the client there. */
  onRead: (() => void) | undefined;
  /** Pause after reading each request of Collect or Chat, in ms: a slow reader. */
  readDelayMs = 0;
  private readonly cancelled = new Map<string, () => void>();
  private readonly cancelledSeen = new Map<string, Promise<void>>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<EchoPeer> {
    const server = new Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const peer = new EchoPeer(server, port);
    // A cancelled call's request iterator throws (premature close): that is the cancellation.
    const settle = (call: { cancelled: boolean }, handled: Promise<void>) =>
      handled.catch((error: unknown) => {
        if (!call.cancelled) throw error;
      });
    const implementation: EchoServiceServer = {
      echo: (call, callback) => void settle(call, peer.echo(call, callback)),
      expand: (call) => void settle(call, peer.expand(call)),
      collect: (call, callback) => void settle(call, peer.collect(call, callback)),
      chat: (call) => void settle(call, peer.chat(call)),
    };
    server.addService(EchoServiceService, implementation);
    return peer;
  }

  /** Resolves once a call of `method` (`Chat`, `Collect`, …) has been cancelled on this server. */
  cancellation(method: string): Promise<void> {
    let seen = this.cancelledSeen.get(method);
    if (!seen) {
      seen = new Promise((resolve) => this.cancelled.set(method, resolve));
      this.cancelledSeen.set(method, seen);
    }
    return seen;
  }

  stop(): void {
    this.server.forceShutdown();
  }

  private watchCancel(call: { on(event: 'cancelled', listener: () => void): unknown }, method: string): void {
    void this.cancellation(method);
    call.on('cancelled', () => this.cancelled.get(method)?.());
  }

  /** Records the call's arrival; `answered()` before the answer, so a later 'cancelled' is the end's. */
  private arrive(
    call: {
      getDeadline(): Date | number;
      on(event: 'cancelled', listener: () => void): unknown;
      request?: { message: string };
    },
    method: string,
  ) {
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    const arrival = {
      method,
      // A bidirectional call's messages come later: it is found by its method.
      message: call.request?.message ?? '',
      remainingMs: deadlineMs - Date.now(),
      cancelled: false,
    };
    this.arrivals.push(arrival);
    let answered = false;
    call.on('cancelled', () => (arrival.cancelled ||= !answered));
    return () => (answered = true);
  }

  private async echo(
    call: ServerUnaryCall<EchoRequest, EchoResponse>,
    callback: sendUnaryData<EchoResponse>,
  ) {
    this.watchCancel(call, 'Echo');
    const answered = this.arrive(call, 'Echo');
    call.sendMetadata(headers());
    // Ended by a cancel: a test's "wait 30 s" must not keep its process alive.
    if (call.request.delayMs > 0) await sleep(call.request.delayMs, undefined, { signal: callSignal(call) });
    answered();
    callback(null, { message: call.request.message, sequence: 1 }, trailers('Echo'));
  }

  private async expand(call: ServerWritableStream<ExpandRequest, EchoResponse>) {
    this.watchCancel(call, 'Expand');
    const answered = this.arrive(call, 'Expand');
    call.sendMetadata(headers());
    for (let sequence = 1; sequence <= call.request.count && !call.cancelled; sequence++) {
      call.write({ message: call.request.message, sequence });
      if (call.request.intervalMs > 0) await sleep(call.request.intervalMs);
    }
    answered();
    if (!call.cancelled) call.end(trailers('Expand'));
  }

  private async collect(
    call: ServerReadableStream<CollectRequest, CollectResponse>,
    callback: sendUnaryData<CollectResponse>,
  ) {
    this.watchCancel(call, 'Collect');
    call.sendMetadata(headers());
    const messages: string[] = [];
    for await (const request of requestsOf<CollectRequest>(call)) {
      this.onRead?.();
      messages.push(request.message);
      if (this.readDelayMs > 0) await sleep(this.readDelayMs);
    }
    if (call.cancelled) return;
    callback(null, { count: messages.length, joined: messages.join(' ') }, trailers('Collect'));
  }

  private async chat(call: ServerDuplexStream<ChatRequest, EchoResponse>) {
    this.watchCancel(call, 'Chat');
    const answered = this.arrive(call, 'Chat');
    call.sendMetadata(headers());
    let sequence = 0;
    for await (const request of requestsOf<ChatRequest>(call)) {
      this.onRead?.();
      if (this.readDelayMs > 0) await sleep(this.readDelayMs);
      if (request.delayMs > 0) await sleep(request.delayMs);
      if (call.cancelled) return;
      call.write({ message: request.message, sequence: ++sequence });
    }
    answered();
    if (!call.cancelled) call.end(trailers('Chat'));
  }
}

/**
 * A TCP relay to `port` that counts the bytes clients send through it (what went over the
 * wire, to tell compressed requests from plain ones) and the connections open through it.
 */
export class CountingRelay {
  bytesUp = 0;
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<Socket>();

  private constructor(
    private readonly server: TcpServer,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<CountingRelay> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const relay = new CountingRelay(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => relay.relay(client, targetPort));
    return relay;
  }

  /** Client connections open through the relay now. */
  get openConnections(): number {
    return this.clients.size;
  }

  stop(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }

  private relay(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    this.clients.add(client);
    client.on('close', () => this.clients.delete(client));
    client.on('data', (chunk: Buffer) => (this.bytesUp += chunk.length));
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }
}

/** An {@link EchoPeer} and a mesh client of it on a channel of its own; `close()` ends both. */
export async function startEchoPeerWithClient(channelOptions: ChannelOptions = {}): Promise<{
  peer: EchoPeer;
  echo: MeshClient<typeof EchoServiceService>;
  close: () => void;
}> {
  const peer = await EchoPeer.start();
  const channel = new Client(`127.0.0.1:${peer.port}`, credentials.createInsecure(), channelOptions);
  const echo = createMeshClient(EchoServiceService, channel, { timeoutMs: 5000, streamTimeoutMs: 0 });
  return {
    peer,
    echo,
    close: () => {
      channel.close();
      peer.stop();
    },
  };
}
