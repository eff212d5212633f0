import { Client, status as Status } from '@grpc/grpc-js';
import type { ChannelCredentials, ClientOptions } from '@grpc/grpc-js';

import { RpcError } from '../grpc.errors.js';
import { COMPRESSION_ALGORITHMS, isCompressionName, type CompressionName } from './channel-options.js';

const COMPRESSION_OPTION = 'grpc.default_compression_algorithm';

/**
 * The channels of one mesh client. grpc-js compresses requests only as its channel option
 * `grpc.default_compression_algorithm` says, so a call asking for another compression than the
 * main channel's goes over a sibling channel: same target, credentials, interceptors and
 * options, only the compression changed. A sibling is opened on the first call that needs it
 * (one per compression name) and has connections of its own: grpc-js shares connections only
 * between channels whose options are equal.
 */
export class MeshChannels {
  /** The channel of calls that set no compression, or the one it already uses. */
  readonly main: Client;
  /** The main channel's compression; undefined when its option holds no value grpc-js knows. */
  private readonly compression: CompressionName | undefined;
  private readonly siblings = new Map<CompressionName, Client>();
  private closed = false;

  constructor(
    private readonly target: string,
    private readonly credentials: ChannelCredentials,
    private readonly options: ClientOptions = {},
  ) {
    this.main = new Client(target, credentials, options);
    const algorithm: unknown = options[COMPRESSION_OPTION] ?? COMPRESSION_ALGORITHMS.identity;
    this.compression = (Object.keys(COMPRESSION_ALGORITHMS) as CompressionName[]).find(
      (name) => COMPRESSION_ALGORITHMS[name] === algorithm,
    );
  }

  /**
   * The channel whose requests use `compression`, opening its sibling on first use. Throws an
   * RpcError INVALID_ARGUMENT for a name grpc-js does not implement. Once closed, every call
   * goes to the closed main channel, which fails it as it fails any call after close.
   */
  for(compression: CompressionName, method: string): Client {
    if (compression === this.compression) return this.main;
    if (!isCompressionName(compression)) throw invalidCompression(compression, method);
    if (this.closed) return this.main;
    let sibling = this.siblings.get(compression);
    if (!sibling) {
      sibling = new Client(this.target, this.credentials, {
        ...this.options,
        [COMPRESSION_OPTION]: COMPRESSION_ALGORITHMS[compression],
      });
      this.siblings.set(compression, sibling);
    }
    return sibling;
  }

  /** How many siblings are open (one per compression used that the main channel does not). */
  get siblingCount(): number {
    return this.siblings.size;
  }

  /** Closes the main channel and every sibling; calls in flight end as grpc-js ends them. */
  close(): void {
    this.closed = true;
    this.main.close();
    for (const sibling of this.siblings.values()) sibling.close();
    this.siblings.clear();
  }
}

/** Where a mesh client's methods find their channel: MeshChannels, or one grpc-js client. */
export interface ChannelSource {
  readonly main: Client;
  for(compression: CompressionName, method: string): Client;
}

/**
 * A bare grpc-js client as a ChannelSource. Its options are not readable, so a sibling cannot
 * be opened: a per-call compression fails the call with FAILED_PRECONDITION rather than going
 * out with a compression other than the one asked for.
 */
export function channelSourceOf(client: Client | MeshChannels): ChannelSource {
  if (client instanceof MeshChannels) return client;
  return {
    main: client,
    for: (compression, method) => {
      if (!isCompressionName(compression)) throw invalidCompression(compression, method);
      throw new RpcError(
        Status.FAILED_PRECONDITION,
        'a per-call compression needs a client built over MeshChannels (MeshClientModule does so), not over a bare grpc-js Client',
        { method },
      );
    },
  };
}

function invalidCompression(compression: unknown, method: string): RpcError {
  return new RpcError(
    Status.INVALID_ARGUMENT,
    `option "compression" must be identity, deflate or gzip, got ${String(compression)}`,
    { method },
  );
}
