import { Metadata, status as Status } from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

import { RpcError } from '../grpc.errors.js';

/** google.rpc.BadRequest.FieldViolation: `field` is a path (`items[0].sku`). */
export interface FieldViolation {
  field: string;
  description: string;
}

/** The trailer where gRPC carries a google.rpc.Status with typed details (grpcurl prints them). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';

function encodeBadRequest(violations: readonly FieldViolation[]): Uint8Array {
  const writer = new BinaryWriter();
  for (const { field, description } of violations) {
    writer.tag(1, WireType.LengthDelimited).fork();
    writer.tag(1, WireType.LengthDelimited).string(field);
    writer.tag(2, WireType.LengthDelimited).string(description);
    writer.join();
  }
  return writer.finish();
}

/**
 * INVALID_ARGUMENT with the violations as a google.rpc.BadRequest in `grpc-status-details-bin`
 * (google.rpc.Status { code, message, details: [Any(BadRequest)] }), the standard way gRPC
 * carries field errors, so that any client can name the bad fields without parsing `message`.
 */
export function invalidArgument(message: string, violations: readonly FieldViolation[]): RpcError {
  const writer = new BinaryWriter()
    .tag(1, WireType.Varint)
    .int32(Status.INVALID_ARGUMENT)
    .tag(2, WireType.LengthDelimited)
    .string(message);
  writer.tag(3, WireType.LengthDelimited).fork();
  writer.tag(1, WireType.LengthDelimited).string(BAD_REQUEST_TYPE_URL);
  writer.tag(2, WireType.LengthDelimited).bytes(encodeBadRequest(violations));
  writer.join();
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(writer.finish()));
  return new RpcError(Status.INVALID_ARGUMENT, message, { metadata });
}

/** Reads the message's fields; `visit` gets each field number and a reader at its value. */
function readFields(bytes: Uint8Array, visit: (fieldNo: number, reader: BinaryReader) => void): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (wireType === WireType.LengthDelimited) visit(fieldNo, reader);
    else reader.skip(wireType, fieldNo);
  }
}

/** The field violations in a status' `grpc-status-details-bin` (a client's view), or []. */
export function fieldViolationsOf(metadata: Metadata | undefined): FieldViolation[] {
  const violations: FieldViolation[] = [];
  for (const value of metadata?.get(STATUS_DETAILS_KEY) ?? []) {
    if (typeof value === 'string') continue;
    readFields(value, (statusField, status) => {
      if (statusField !== 3) return void status.skip(WireType.LengthDelimited);
      let typeUrl = '';
      let payload: Uint8Array = new Uint8Array();
      readFields(status.bytes(), (anyField, any) => {
        if (anyField === 1) typeUrl = any.string();
        else payload = any.bytes();
      });
      if (typeUrl !== BAD_REQUEST_TYPE_URL) return;
      readFields(payload, (badRequestField, badRequest) => {
        if (badRequestField !== 1) return void badRequest.skip(WireType.LengthDelimited);
        const violation: FieldViolation = { field: '', description: '' };
        readFields(badRequest.bytes(), (violationField, reader) => {
          if (violationField === 1) violation.field = reader.string();
          else if (violationField === 2) violation.description = reader.string();
          else reader.skip(WireType.LengthDelimited);
        });
        violations.push(violation);
      });
    });
  }
  return violations;
}
