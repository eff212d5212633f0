// echo.v1.EchoService served by a fixture app, with a log of what its streaming handlers saw
// (requests, how the requests and the responses ended, the call's signal), so tests can check
// the server side of client-streaming and bidirectional calls from any client.
import {
  BadRequestException,
  Controller,
  Injectable,
  Module,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type {
  CallHandler,
  CanActivate,
  DynamicModule,
  ExecutionContext,
  NestInterceptor,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status as Status, type Metadata } from '@grpc/grpc-js';
import {
  EchoServiceControllerMethods,
  EchoServiceService,
  type ChatRequest,
  type CollectRequest,
  type CollectResponse,
  type EchoRequest,
  type EchoResponse,
  type EchoServiceController,
  type ExpandRequest,
} from '@nestmesh/contracts/echo/v1';
import { concatMap, lastValueFrom, map, of, tap, timer, toArray, type Observable } from 'rxjs';

import { callSignal, type CancellableCall } from '../server/call-signal.js';
import { MeshGrpcModule } from '../server/mesh-grpc.module.js';
import type { MeshGrpcModuleOptions } from '../server/mesh-grpc.module-definition.js';

/** What the handlers saw, as `<method>:<event>` strings (`chat:requests-error:1`). */
@Injectable()
export class EchoLog {
  readonly events: string[] = [];
  received = 0;
  /** The most answers a Chat call held unsent (its write buffer) when it read a request. */
  maxBuffered = 0;

  has(event: string): boolean {
    return this.events.includes(event);
  }
}

/** Metadata `x-result: promise | iterable` picks the handler's result type. */
function resultKind(metadata: Metadata | undefined): string {
  return String(metadata?.get('x-result')[0] ?? 'observable');
}

function watchCall(name: string, log: EchoLog, call: CancellableCall | undefined): void {
  if (call) callSignal(call).addEventListener('abort', () => log.events.push(`${name}:signal-aborted`));
}

function watchRequests<T extends { message: string }>(name: string, log: EchoLog) {
  return tap<T>({
    next: () => log.received++,
    complete: () => log.events.push(`${name}:requests-complete`),
    error: (error: { status?: number }) => log.events.push(`${name}:requests-error:${error.status}`),
  });
}

function watchResponses<T>(name: string, log: EchoLog) {
  return tap<T>({
    complete: () => log.events.push(`${name}:responses-complete`),
    error: () => log.events.push(`${name}:responses-ended`),
    unsubscribe: () => log.events.push(`${name}:responses-ended`),
  });
}

function reply(request: ChatRequest, index: number): EchoResponse {
  if (request.message === 'fail') {
    throw new RpcException({ code: Status.NOT_FOUND, message: 'chat: no such message' });
  }
  const big = /^big:(\d+)$/.exec(request.message);
  return { message: big ? 'x'.repeat(Number(big[1])) : request.message, sequence: index + 1 };
}

/** The four methods, shared by the plain and the guarded controller. */
export class EchoBehaviour implements EchoServiceController {
  constructor(private readonly log: EchoLog) {}

  echo(request: EchoRequest): EchoResponse {
    return { message: request.message, sequence: 1 };
  }

  expand(request: ExpandRequest): Observable<EchoResponse> {
    return of(
      ...Array.from({ length: request.count }, (_, index) => ({
        message: request.message,
        sequence: index + 1,
      })),
    );
  }

  collect(
    requests: Observable<CollectRequest>,
    metadata?: Metadata,
    call?: CancellableCall,
  ): Promise<CollectResponse> | Observable<CollectResponse> {
    watchCall('collect', this.log, call);
    const response = requests.pipe(
      watchRequests('collect', this.log),
      tap((request) => {
        if (request.message === 'fail') throw new BadRequestException('collect: "fail" is refused');
      }),
      toArray(),
      concatMap((all) => {
        const answer = { count: all.length, joined: all.map((request) => request.message).join(' ') };
        // "hang" among the requests: an answer that takes a minute to compute.
        return all.some((request) => request.message === 'hang')
          ? timer(60_000).pipe(map(() => answer))
          : of(answer);
      }),
      watchResponses('collect', this.log),
    );
    return resultKind(metadata) === 'promise' ? lastValueFrom(response) : response;
  }

  chat(
    requests: Observable<ChatRequest>,
    metadata?: Metadata,
    call?: CancellableCall,
  ): Observable<EchoResponse> {
    watchCall('chat', this.log, call);
    const buffered = call as { writableLength?: number } | undefined;
    const responses = requests.pipe(
      watchRequests('chat', this.log),
      tap(() => (this.log.maxBuffered = Math.max(this.log.maxBuffered, buffered?.writableLength ?? 0))),
      concatMap((request, index) => {
        // "hang": an answer that takes a minute, for tests that end a call while a handler works.
        const delayMs = request.message === 'hang' ? 60_000 : request.delayMs;
        return delayMs > 0
          ? timer(delayMs).pipe(map(() => reply(request, index)))
          : of(reply(request, index));
      }),
      watchResponses('chat', this.log),
    );
    if (resultKind(metadata) !== 'iterable') return responses;
    return iterate(responses) as unknown as Observable<EchoResponse>;
  }
}

/** The responses as an async generator, to serve the AsyncIterable path of bidi handlers. */
async function* iterate(responses: Observable<EchoResponse>) {
  const queue: EchoResponse[] = [];
  let done: { error?: Error } | undefined;
  let wake: (() => void) | undefined;
  const subscription = responses.subscribe({
    next: (value) => (queue.push(value), wake?.()),
    error: (error: Error) => ((done = { error }), wake?.()),
    complete: () => ((done = {}), wake?.()),
  });
  try {
    for (;;) {
      if (queue.length > 0) yield queue.shift()!;
      else if (done) {
        if (done.error) throw done.error;
        return;
      } else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    subscription.unsubscribe();
  }
}

@Controller()
@EchoServiceControllerMethods()
export class EchoController implements EchoServiceController {
  private readonly behaviour: EchoBehaviour;
  constructor(log: EchoLog) {
    this.behaviour = new EchoBehaviour(log);
  }
  echo(request: EchoRequest) {
    return this.behaviour.echo(request);
  }
  expand(request: ExpandRequest) {
    return this.behaviour.expand(request);
  }
  collect(requests: Observable<CollectRequest>, metadata?: Metadata, call?: CancellableCall) {
    return this.behaviour.collect(requests, metadata, call);
  }
  chat(requests: Observable<ChatRequest>, metadata?: Metadata, call?: CancellableCall) {
    return this.behaviour.chat(requests, metadata, call);
  }
}

/** Refuses a call whose metadata has `x-refuse`. */
@Injectable()
export class RefuseGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToRpc().getContext<Metadata>().get('x-refuse').length === 0;
  }
}

/** Upper-cases every response message (bidi items and the client-streaming answer alike). */
@Injectable()
export class ShoutInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next
      .handle()
      .pipe(
        map((response: { message?: string; joined?: string }) =>
          response.joined === undefined
            ? { ...response, message: response.message?.toUpperCase() }
            : { ...response, joined: response.joined.toUpperCase() },
        ),
      );
  }
}

@Controller()
@UseGuards(RefuseGuard)
@UseInterceptors(ShoutInterceptor)
@EchoServiceControllerMethods()
export class GuardedEchoController extends EchoController {
  override echo(request: EchoRequest) {
    return super.echo(request);
  }
  override expand(request: ExpandRequest) {
    return super.expand(request);
  }
  override collect(requests: Observable<CollectRequest>, metadata?: Metadata, call?: CancellableCall) {
    return super.collect(requests, metadata, call);
  }
  override chat(requests: Observable<ChatRequest>, metadata?: Metadata, call?: CancellableCall) {
    return super.chat(requests, metadata, call);
  }
}

/** An app serving EchoService on a free port with one of the controllers above. */
@Module({})
export class EchoFixtureModule {
  static forRoot(
    options: { guarded?: boolean; server?: Partial<MeshGrpcModuleOptions> } = {},
  ): DynamicModule {
    return {
      module: EchoFixtureModule,
      imports: [
        MeshGrpcModule.forRoot({
          name: 'echo',
          services: [EchoServiceService],
          deregisterDelayMs: 0,
          ...options.server,
        }),
      ],
      controllers: [options.guarded ? GuardedEchoController : EchoController],
      providers: [EchoLog, RefuseGuard, ShoutInterceptor],
    };
  }
}
