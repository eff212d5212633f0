// `@nestmesh/grpc/status`: reading a status' rich details without loading the rest of the lib
// (Nest, the server, the mesh client) — what a tool such as the nestmesh CLI needs.
export {
  decodeStatusDetails,
  DETAIL_TYPE_URLS,
  STATUS_DETAILS_KEY,
  type BadRequestDetail,
  type ErrorInfoDetail,
  type FieldViolation,
  type RetryInfoDetail,
  type RichErrorDetails,
} from './status-details.js';
