/** Order's domain errors; `code` is a canonical gRPC status name (see @nestmesh/grpc statusOf). */
export class OrderError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'INVALID_ARGUMENT',
    message: string,
  ) {
    super(`order: ${message}`);
    this.name = new.target.name;
  }
}

export class OrderNotFoundError extends OrderError {
  constructor(readonly orderId: string) {
    super('NOT_FOUND', `no order "${orderId}"`);
  }
}

export class InvalidOrderError extends OrderError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}
