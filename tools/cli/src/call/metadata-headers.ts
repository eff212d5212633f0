import { UsageError } from '../cli.errors.js';

/** gRPC metadata keys: lower-case letters, digits, `-`, `_`, `.`; `-bin` keys carry base64 bytes. */
const METADATA_KEY = /^[0-9a-z_.-]+$/;

/** Headers grpc-js sets itself, or that would change how the call is carried, not what it asks. */
const RESERVED_KEYS = new Set(['content-type', 'te', 'user-agent', 'grpc-timeout', 'grpc-encoding']);

/** One `-H key=value` as [key, value]: key lower-cased, checked; UsageError when unusable. */
export function parseHeader(header: string): [string, string] {
  const separator = header.indexOf('=');
  if (separator <= 0) throw new UsageError(`-H "${header}": expected key=value`);
  const key = header.slice(0, separator).trim().toLowerCase();
  const value = header.slice(separator + 1);
  if (!METADATA_KEY.test(key))
    throw new UsageError(`-H "${header}": "${key}" is not a metadata key (letters, digits, - _ .)`);
  if (key.startsWith(':') || RESERVED_KEYS.has(key))
    throw new UsageError(`-H "${header}": "${key}" is set by gRPC itself (use --deadline for the timeout)`);
  if (key.endsWith('-bin') && !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
    throw new UsageError(`-H "${header}": a -bin key's value is base64`);
  return [key, value];
}

/** Commander's collector for a repeatable `-H`: every header so far, this one checked. */
export function collectHeader(header: string, previous: [string, string][] = []): [string, string][] {
  return [...previous, parseHeader(header)];
}
