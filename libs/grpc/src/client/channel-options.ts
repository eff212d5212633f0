import type { ChannelOptions } from '@grpc/grpc-js';

import { InvalidGrpcOptionsError } from '../grpc.errors.js';

/** Message compression grpc-js implements; the channel's requests all use the one chosen. */
export type CompressionName = 'identity' | 'deflate' | 'gzip';

/** grpc-js' CompressionAlgorithms enum values, the form `grpc.default_compression_algorithm` takes. */
export const COMPRESSION_ALGORITHMS: Readonly<Record<CompressionName, number>> = Object.freeze({
  identity: 0,
  deflate: 1,
  gzip: 2,
});

export function isCompressionName(value: unknown): value is CompressionName {
  return typeof value === 'string' && Object.hasOwn(COMPRESSION_ALGORITHMS, value);
}

/**
 * Transport options of a mesh client's channel, named with their units; each maps to one
 * grpc-js channel option. Unset ones keep grpc-js' defaults, stated below.
 */
export interface MeshChannelOptions {
  /**
   * Compression of every request message (`grpc.default_compression_algorithm`). Default
   * `identity` (none). grpc-js falls back to identity for a server whose
   * `grpc-accept-encoding` lacks it; responses are decompressed whatever the server chose.
   */
  compression?: CompressionName;
  /** Interval of HTTP/2 keepalive pings, in ms (`grpc.keepalive_time_ms`). Default: no pings. */
  keepaliveTimeMs?: number;
  /** How long a ping may go unanswered before the connection is dropped, in ms. Default 20 000. */
  keepaliveTimeoutMs?: number;
  /** Ping also while no call is open (`grpc.keepalive_permit_without_calls`). Default false. */
  keepaliveWithoutCalls?: boolean;
  /** Largest response message accepted, in bytes; larger ones fail RESOURCE_EXHAUSTED. Default 4 MiB; -1: no limit. */
  maxReceiveMessageBytes?: number;
  /** Largest request message sent, in bytes; larger ones fail RESOURCE_EXHAUSTED. Default -1: no limit. */
  maxSendMessageBytes?: number;
}

const DURATIONS = ['keepaliveTimeMs', 'keepaliveTimeoutMs'] as const;
const SIZES = ['maxReceiveMessageBytes', 'maxSendMessageBytes'] as const;

/** Throws InvalidGrpcOptionsError naming the first option that cannot work. */
export function validateChannelOptions(options: MeshChannelOptions): void {
  const { compression } = options;
  if (compression !== undefined && !isCompressionName(compression)) {
    throw new InvalidGrpcOptionsError(
      'compression',
      `must be identity, deflate or gzip, got ${String(compression)}`,
    );
  }
  for (const name of DURATIONS) {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new InvalidGrpcOptionsError(name, `must be a whole number of ms > 0, got ${value}`);
    }
  }
  for (const name of SIZES) {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && (value > 0 || value === -1))) {
      throw new InvalidGrpcOptionsError(
        name,
        `must be a whole number of bytes > 0, or -1 for no limit, got ${value}`,
      );
    }
  }
}

/** The grpc-js channel options for `options`, only those set (so grpc-js' defaults stay). */
export function grpcChannelOptions(options: MeshChannelOptions): ChannelOptions {
  validateChannelOptions(options);
  const channel: ChannelOptions = {};
  if (options.compression !== undefined) {
    channel['grpc.default_compression_algorithm'] = COMPRESSION_ALGORITHMS[options.compression];
  }
  if (options.keepaliveTimeMs !== undefined) channel['grpc.keepalive_time_ms'] = options.keepaliveTimeMs;
  if (options.keepaliveTimeoutMs !== undefined)
    channel['grpc.keepalive_timeout_ms'] = options.keepaliveTimeoutMs;
  if (options.keepaliveWithoutCalls !== undefined) {
    channel['grpc.keepalive_permit_without_calls'] = options.keepaliveWithoutCalls ? 1 : 0;
  }
  if (options.maxReceiveMessageBytes !== undefined) {
    channel['grpc.max_receive_message_length'] = options.maxReceiveMessageBytes;
  }
  if (options.maxSendMessageBytes !== undefined)
    channel['grpc.max_send_message_length'] = options.maxSendMessageBytes;
  return channel;
}
