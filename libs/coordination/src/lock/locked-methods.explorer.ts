import { Injectable } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';

import { lockedMethods } from './locked.decorator.js';
import { LockService } from './lock.service.js';

/**
 * Binds the app's instances that have `@Locked` methods to this app's LockService. LockModule
 * is global by default, and Nest runs global modules' init hooks first, so the binding is in
 * place before other modules' `onModuleInit`.
 */
@Injectable()
export class LockedMethodsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly locks: LockService,
  ) {}

  onModuleInit(): void {
    lockedMethods.bindApp(this.discovery, this.scanner, this.locks);
  }
}
