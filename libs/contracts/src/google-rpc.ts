// google.rpc's error model, generated from googleapis' protos (google-proto-files): the
// google.rpc.Status a gRPC server puts in the grpc-status-details-bin trailer, and the
// standard details it carries as google.protobuf.Any (`type.googleapis.com/google.rpc.<Name>`).
export { Any } from './generated/google/protobuf/any.js';
export { Duration } from './generated/google/protobuf/duration.js';
export { Status } from './generated/google/rpc/status.js';
export {
  BadRequest,
  BadRequest_FieldViolation,
  DebugInfo,
  ErrorInfo,
  Help,
  LocalizedMessage,
  PreconditionFailure,
  QuotaFailure,
  RequestInfo,
  ResourceInfo,
  RetryInfo,
} from './generated/google/rpc/error_details.js';
