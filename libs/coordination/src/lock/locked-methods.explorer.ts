import { Injectable } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';

import { LOCKED_METADATA, lockContext, type LockedMetadata } from './locked.decorator.js';
import { LockService } from './lock.service.js';

/** Wraps every `@Locked` method of the app's providers and controllers with this app's LockService. */
@Injectable()
export class LockedMethodsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly locks: LockService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
        const original = instance[method];
        if (typeof original !== 'function') continue;
        const metadata = Reflect.getMetadata(LOCKED_METADATA, original) as LockedMetadata | undefined;
        if (!metadata) continue;
        const locks = this.locks;
        const locked = function (this: unknown, ...args: unknown[]) {
          const key = (metadata.key as (...args: unknown[]) => string)(...args);
          return locks.using(
            key,
            (_signal, lock) => lockContext.run(lock, () => original.apply(this, args)),
            metadata.options,
          );
        };
        // Keep the method's own metadata (gRPC patterns, guards) on the wrapper.
        for (const metadataKey of Reflect.getMetadataKeys(original)) {
          Reflect.defineMetadata(metadataKey, Reflect.getMetadata(metadataKey, original), locked);
        }
        instance[method] = locked;
      }
    }
  }
}
