// A raw grpc-js Echo server whose Echo misbehaves on demand and counts the calls it received:
// the faults the balancer's and the retries' tests inject server-side (a slow, a failing, a
// "not found" instance; one that answers a chosen code; one slow to a call's first attempt only).
import { Metadata, Server, ServerCredentials, status as Status, type ServiceError } from '@grpc/grpc-js';
import { EchoServiceService, type EchoServiceServer } from '@nestmesh/contracts/echo/v1';

export type PeerFault =
  'none' | 'slow' | 'unavailable' | 'not_found' | 'deadline_exceeded' | 'aborted' | 'slow_first_attempt';

/** The codes the code-answering faults send at once. */
const FAULT_CODES: Partial<Record<PeerFault, Status>> = {
  unavailable: Status.UNAVAILABLE,
  not_found: Status.NOT_FOUND,
  deadline_exceeded: Status.DEADLINE_EXCEEDED,
  aborted: Status.ABORTED,
};

function error(code: Status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

export class FaultyEchoPeer {
  /** Echo, Expand and Collect calls received, whatever the answer. */
  calls = 0;
  /** Echo attempts received, by request message: a test's call told from stray earlier ones. */
  readonly echoes = new Map<string, number>();
  /** The metadata of the last Echo call received. */
  lastMetadata: Metadata | undefined;
  /** How long a `slow` peer (or a `slow_first_attempt` one, to a first attempt) waits before answering, in ms. */
  slowMs = 50;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    public fault: PeerFault,
  ) {}

  static async start(fault: PeerFault = 'none'): Promise<FaultyEchoPeer> {
    const server = new Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (failure, bound) =>
        failure ? reject(failure) : resolve(bound),
      ),
    );
    const peer = new FaultyEchoPeer(server, port, fault);
    const implementation: Pick<EchoServiceServer, 'echo' | 'expand' | 'collect'> = {
      echo: (call, callback) => {
        peer.calls++;
        peer.echoes.set(call.request.message, (peer.echoes.get(call.request.message) ?? 0) + 1);
        peer.lastMetadata = call.metadata;
        const answer = () => callback(null, { message: call.request.message, sequence: 1 });
        const code = FAULT_CODES[peer.fault];
        // grpc-js marks every attempt of a call after the first (retries, hedges) with this header.
        const firstAttempt = call.metadata.get('grpc-previous-rpc-attempts').length === 0;
        const slow = peer.fault === 'slow' || (peer.fault === 'slow_first_attempt' && firstAttempt);
        if (code !== undefined) callback(error(code, `injected: ${Status[code]}`));
        else if (slow) {
          // Cancelled (a hedge won, the deadline passed): stop waiting, so nothing outlives the test.
          const timer = setTimeout(answer, peer.slowMs);
          call.on('cancelled', () => clearTimeout(timer));
        } else answer();
      },
      // One answer, or the fault's status (a slow peer is not slow here).
      expand: (call) => {
        peer.calls++;
        if (peer.fault === 'unavailable')
          call.emit('error', error(Status.UNAVAILABLE, 'injected: unavailable'));
        else if (peer.fault === 'not_found')
          call.emit('error', error(Status.NOT_FOUND, 'injected: no such thing'));
        else {
          call.write({ message: call.request.message, sequence: 1 });
          call.end();
        }
      },
      // Fails at once, or counts the requests once they have all come.
      collect: (call, callback) => {
        peer.calls++;
        if (peer.fault === 'unavailable') return callback(error(Status.UNAVAILABLE, 'injected: unavailable'));
        const messages: string[] = [];
        call.on('data', (request: { message: string }) => messages.push(request.message));
        call.on('end', () => callback(null, { count: messages.length, joined: messages.join(' ') }));
      },
    };
    server.addService(EchoServiceService, implementation);
    return peer;
  }

  stop(): void {
    this.server.forceShutdown();
  }
}
