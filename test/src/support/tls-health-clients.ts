// grpc.health.v1 Check from clients outside the mesh, for the mTLS end-to-end test: grpc-js
// with whatever credentials a test gives it, and Python's grpcio (its own TLS stack).
import {
  Client,
  Metadata,
  status as Status,
  type ChannelCredentials,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthCheckResponse,
} from '@nestmesh/contracts/grpc/health/v1';

/** What a Check answered: a serving status name, or the status code and details of its failure. */
export type CheckOutcome = { readonly serving: string } | { readonly code: string; readonly details: string };

/** One Check of the server as a whole (service ''), on a channel of its own, closed afterwards. */
export async function grpcJsHealthCheck(
  target: string,
  credentials: ChannelCredentials,
  options: Record<string, string> = {},
  deadlineMs = 10_000,
): Promise<CheckOutcome> {
  const client = new Client(target, credentials, options);
  const method = HealthService.check;
  try {
    return await new Promise<CheckOutcome>((resolve) => {
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        { service: '' },
        new Metadata(),
        { deadline: new Date(Date.now() + deadlineMs) },
        (error: ServiceError | null, response?: HealthCheckResponse) =>
          resolve(
            error
              ? { code: Status[error.code], details: error.details }
              : { serving: ServingStatus[response!.status] },
          ),
      );
    });
  } finally {
    client.close();
  }
}
