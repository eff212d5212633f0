import { fromBinary, fromJson, toBinary, toJson, type JsonValue } from '@bufbuild/protobuf';

import { MalformedJsonError } from '../cli.errors.js';
import type { ReflectedMethod } from './method-types.js';

/** Requests from JSON to bytes and responses back, by the proto3 JSON mapping. */
export interface MessageCodec {
  /** `json` as the request's bytes; MalformedJsonError naming `source` and the field at fault. */
  readonly encode: (json: unknown, source: string) => Buffer;
  /** A response as JSON: int64 as strings, bytes as base64, enums by name, Timestamps as RFC 3339. */
  readonly decode: (bytes: Buffer) => JsonValue;
}

export function messageCodec({ method, registry }: ReflectedMethod): MessageCodec {
  return {
    encode: (json, source) => {
      try {
        return Buffer.from(toBinary(method.input, fromJson(method.input, json as JsonValue, { registry })));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new MalformedJsonError(`${source} does not fit ${method.input.typeName}: ${reason}`, {
          cause: error,
        });
      }
    },
    decode: (bytes) => toJson(method.output, fromBinary(method.output, bytes), { registry }),
  };
}
