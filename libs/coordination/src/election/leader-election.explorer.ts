import { Injectable } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';

import { LeaderElectionService } from './leader-election.service.js';
import {
  ON_LEADER_ELECTED_METADATA,
  ON_LEADER_REVOKED_METADATA,
  type LeaderElectedHook,
  type LeaderRevokedHook,
} from './leader-hooks.decorator.js';
import { leaderOnlyMethods } from './leader-only.decorator.js';

/**
 * Finds the app's `@LeaderOnly` methods (binding their instances to this app's
 * LeaderElectionService) and its `@OnLeaderElected` / `@OnLeaderRevoked` hooks, on providers
 * and controllers, before the service starts campaigning at bootstrap.
 */
@Injectable()
export class LeaderElectionExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly election: LeaderElectionService,
  ) {}

  onModuleInit(): void {
    leaderOnlyMethods.bindApp(this.discovery, this.scanner, this.election);
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object | null)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const name = `${instance.constructor.name}.${method}`;
        if (Reflect.getMetadata(ON_LEADER_ELECTED_METADATA, fn))
          this.election.onElected((fn as LeaderElectedHook).bind(instance), name);
        if (Reflect.getMetadata(ON_LEADER_REVOKED_METADATA, fn))
          this.election.onRevoked((fn as LeaderRevokedHook).bind(instance), name);
      }
    }
  }
}
