import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';

import { LeaderElectionExplorer } from './leader-election.explorer.js';
import { LeaderElectionHealthIndicator } from './leader-election.health.js';
import {
  ConfigurableModuleClass,
  electionFromOptions,
  LEADER_ELECTION_MODULE_OPTIONS,
  LeaderElection,
} from './leader-election.module-definition.js';
import { LeaderElectionService } from './leader-election.service.js';

/**
 * Leader election for the app: `LeaderElectionModule.forRoot({ group: 'inventory-jobs' })`
 * provides {@link LeaderElectionService}, runs `@LeaderOnly` methods on the leader only and
 * calls `@OnLeaderElected` / `@OnLeaderRevoked` hooks. Bad options (timing, names) fail the
 * app at startup. One group per app; global unless `isGlobal: false`.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: LeaderElection, inject: [LEADER_ELECTION_MODULE_OPTIONS], useFactory: electionFromOptions },
    LeaderElectionService,
    LeaderElectionExplorer,
    LeaderElectionHealthIndicator,
  ],
  exports: [LeaderElectionService, LeaderElectionHealthIndicator, LeaderElection],
})
export class LeaderElectionModule extends ConfigurableModuleClass {}
