import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Catch, UseFilters, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { InstanceWrapper } from '@nestjs/core/internal';
import { Ctx, Payload } from '@nestjs/microservices';

import { usesEnhancers } from './enhancer-detection.js';

const guard = { canActivate: () => true };
const interceptor = { intercept: (_context: ExecutionContext, next: CallHandler) => next.handle() };
const pipe = { transform: (value: unknown) => value };
@Catch()
class AnyFilter {
  catch(): void {}
}

class Plain {
  handle(): void {}
}
class Decorated {
  @UseGuards(guard) guarded(): void {}
  @UseInterceptors(interceptor) intercepted(): void {}
  @UsePipes(pipe) piped(): void {}
  @UseFilters(new AnyFilter()) filtered(): void {}
  withPayload(@Payload() _request: unknown): void {}
  withContext(@Ctx() _metadata: unknown): void {}
}
@UseFilters(new AnyFilter())
class FilteredClass {
  handle(): void {}
}

function uses(instance: object, method: string, config = new ApplicationConfig()): boolean {
  const callback = (instance as Record<string, (...args: unknown[]) => unknown>)[method];
  return usesEnhancers(instance, callback, method, config);
}

describe('which handlers may be called directly', { timeout: 10_000 }, () => {
  it('a method with nothing anywhere', () => {
    assert.equal(uses(new Plain(), 'handle'), false);
  });

  it('not one with an enhancer or a parameter decorator on the method or the class', () => {
    for (const method of ['guarded', 'intercepted', 'piped', 'filtered', 'withPayload', 'withContext']) {
      assert.equal(uses(new Decorated(), method), true, method);
    }
    assert.equal(uses(new FilteredClass(), 'handle'), true, 'class-level filter');
  });

  it('not when any global enhancer, request-scoped one or pre-request hook exists', () => {
    const configure: ((config: ApplicationConfig) => void)[] = [
      (config) => config.useGlobalGuards(guard),
      (config) => config.useGlobalInterceptors(interceptor),
      (config) => config.useGlobalPipes(pipe),
      (config) => config.useGlobalFilters(new AnyFilter()),
      (config) => config.addGlobalRequestGuard(new InstanceWrapper()),
      (config) => config.addGlobalRequestInterceptor(new InstanceWrapper()),
      (config) => config.addGlobalRequestPipe(new InstanceWrapper()),
      (config) => config.addGlobalRequestFilter(new InstanceWrapper()),
      (config) => config.registerPreRequestHook((_context, next) => next()),
    ];
    configure.forEach((apply, index) => {
      const config = new ApplicationConfig();
      apply(config);
      assert.equal(uses(new Plain(), 'handle', config), true, `global #${index}`);
    });
  });
});
