import { SetMetadata } from '@nestjs/common';

/** Metadata key of {@link NoShedding}. */
export const NO_SHEDDING_METADATA = 'nestmesh:grpc:no-shedding';

/**
 * Never sheds the calls of this handler (or, on a controller class, of all its handlers):
 * they are neither refused nor counted by the concurrency limit, the adaptive shedding or the
 * deadline check. For calls that must get through an overload (a control-plane method, a
 * cheap status read). grpc.health.v1 and reflection are never shed.
 */
export const NoShedding = () => SetMetadata(NO_SHEDDING_METADATA, true);

/** Whether `@NoShedding()` is on the handler or its class. */
export function isSheddingExempt(handler: object, controllerClass: object): boolean {
  return (
    Reflect.getMetadata(NO_SHEDDING_METADATA, handler) === true ||
    Reflect.getMetadata(NO_SHEDDING_METADATA, controllerClass) === true
  );
}
