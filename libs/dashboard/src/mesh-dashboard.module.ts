import { Module } from '@nestjs/common';

import { ConfigurableModuleClass } from './mesh-dashboard.module-definition.js';
import { MeshDashboard } from './mesh-dashboard.service.js';

/**
 * A live page of the mesh on the app's HTTP server:
 * `MeshDashboardModule.forRoot({ path: '/mesh' })` (or `forRootAsync`). Services and
 * instances, leaders, held locks, RED figures per method, recent traces and their waterfall.
 * See docs/dashboard.md.
 */
@Module({ providers: [MeshDashboard], exports: [MeshDashboard] })
export class MeshDashboardModule extends ConfigurableModuleClass {}
