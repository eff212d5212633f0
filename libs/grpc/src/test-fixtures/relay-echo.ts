// Service A of the deadline-budget tests' edge → A → B: a NestMesh server whose handlers call
// B (an EchoPeer) through a mesh client, as an app's handlers call their dependencies, and
// log what was left of their own call's deadline just before.
import { Controller, Inject, Injectable, Module } from '@nestjs/common';
import { GrpcMethod, GrpcStreamMethod } from '@nestjs/microservices';
import type { Metadata } from '@grpc/grpc-js';
import {
  EchoServiceService,
  type ChatRequest,
  type EchoRequest,
  type ExpandRequest,
} from '@nestmesh/contracts/echo/v1';
import { concatMap, type Observable } from 'rxjs';
import { setTimeout as sleep } from 'node:timers/promises';

import type { MeshClient } from '../client/typed-client.js';
import { RpcError } from '../grpc.errors.js';
import { MeshGrpcModule } from '../server/mesh-grpc.module.js';

export type EchoClient = MeshClient<typeof EchoServiceService>;

/** The relay's margin: large enough to tell from the clock's 1 ms rounding. */
export const MARGIN_MS = 20;
/** The relay's own default deadline: far above any budget here, so a budget is what limits a call. */
export const RELAY_TIMEOUT_MS = 60_000;
const DOWNSTREAM = Symbol('downstream');

interface DeadlineCall {
  getDeadline(): Date | number;
}

function remainingMs(call: DeadlineCall): number {
  const deadline = call.getDeadline();
  return (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
}

/** What the relay saw: the ms left of its own call just before it called on, by message; its errors. */
@Injectable()
export class RelayLog {
  /** The message of every Echo call and Chat request received, in order (one per attempt of a retried call). */
  readonly received: string[] = [];
  readonly remainingBeforeCall = new Map<string, number>();
  readonly errors = new Map<string, RpcError>();
}

/**
 * Service A of edge → A → B: each handler calls B (an EchoPeer) through a mesh client, as an
 * app's handler calls its dependencies. "spend" waits until less than the margin is left first.
 */
@Controller()
class RelayController {
  constructor(
    @Inject(DOWNSTREAM) private readonly downstream: EchoClient,
    private readonly log: RelayLog,
  ) {}

  @GrpcMethod('EchoService', 'Echo')
  async echo(request: EchoRequest, _metadata: Metadata, call: DeadlineCall) {
    this.log.received.push(request.message);
    if (request.message.startsWith('spend')) await sleep(remainingMs(call) - MARGIN_MS / 2);
    this.log.remainingBeforeCall.set(request.message, remainingMs(call));
    if (request.message === 'bidi') return this.chatDownstream();
    const options = request.message.startsWith('shorter') ? { timeoutMs: 50 } : {};
    try {
      return await this.downstream.echo({ message: request.message, delayMs: request.delayMs }, options);
    } catch (error) {
      if (error instanceof RpcError) this.log.errors.set(request.message, error);
      throw error;
    }
  }

  /** A bidirectional call to B, one message there and back. */
  private async chatDownstream() {
    const chat = this.downstream.chat();
    await chat.write({ message: 'bidi', delayMs: 0 });
    chat.end();
    let last = { message: '', sequence: 0 };
    for await (const response of chat) last = response;
    return last;
  }

  @GrpcMethod('EchoService', 'Expand')
  expand(request: ExpandRequest, _metadata: Metadata, call: DeadlineCall) {
    this.log.remainingBeforeCall.set(request.message, remainingMs(call));
    return this.downstream.expand(request);
  }

  /** Each request relayed as an Echo call: made from the requests' events, not the handler's body. */
  @GrpcStreamMethod('EchoService', 'Chat')
  chat(requests: Observable<ChatRequest>, _metadata: Metadata, call: DeadlineCall) {
    return requests.pipe(
      concatMap((request) => {
        this.log.received.push(request.message);
        this.log.remainingBeforeCall.set(request.message, remainingMs(call));
        return this.downstream.echo({ message: request.message, delayMs: 0 });
      }),
    );
  }
}

@Module({})
class RelayModule {}

export function relayModule(downstream: EchoClient) {
  return {
    module: RelayModule,
    imports: [
      MeshGrpcModule.forRoot({ name: 'relay', services: [EchoServiceService], deregisterDelayMs: 0 }),
    ],
    controllers: [RelayController],
    providers: [RelayLog, { provide: DOWNSTREAM, useValue: downstream }],
  };
}
