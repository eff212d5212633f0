import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import type { ApplicationConfig } from '@nestjs/core';

const ENHANCER_KEYS = [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA, EXCEPTION_FILTERS_METADATA];

/**
 * Whether Nest's execution context would do anything for this handler: an enhancer (guard,
 * interceptor, pipe, exception filter) on the method or its class, a parameter decorator
 * (`@Payload()`, `@Ctx()`, a custom one: they pick and transform arguments), or anything
 * global — `useGlobal*()`, `APP_GUARD`/`APP_INTERCEPTOR`/`APP_PIPE`/`APP_FILTER` providers
 * (Nest adds those to the same application config when the app is created, request-scoped
 * ones to its "request" lists) and pre-request hooks. Read when the server starts, after
 * `app.init()` began: enhancers added later are not seen.
 */
export function usesEnhancers(
  instance: object,
  callback: (...args: unknown[]) => unknown,
  method: string,
  config: ApplicationConfig,
): boolean {
  for (const key of ENHANCER_KEYS) {
    for (const target of [callback, instance.constructor]) {
      const declared = Reflect.getMetadata(key, target) as unknown[] | undefined;
      if (declared && declared.length > 0) return true;
    }
  }
  if (Reflect.getMetadata(ROUTE_ARGS_METADATA, instance.constructor, method)) return true;
  return hasGlobalEnhancers(config);
}

export function hasGlobalEnhancers(config: ApplicationConfig): boolean {
  const lists: readonly unknown[][] = [
    config.getGlobalGuards(),
    config.getGlobalInterceptors(),
    config.getGlobalPipes(),
    config.getGlobalFilters(),
    config.getGlobalRequestGuards(),
    config.getGlobalRequestInterceptors(),
    config.getGlobalRequestPipes(),
    config.getGlobalRequestFilters(),
    config.getGlobalPreRequestHooks(),
  ];
  return lists.some((list) => list.length > 0);
}
