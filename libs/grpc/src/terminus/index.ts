// `@nestmesh/grpc/terminus`: readiness indicators for @nestjs/terminus. A subpath of its own, so
// that apps without terminus never load it.
export { GrpcServingIndicator } from './grpc-serving.indicator.js';
export { REGISTRATION_CHECK_TIMEOUT_MS, RegistrationIndicator } from './registration.indicator.js';
