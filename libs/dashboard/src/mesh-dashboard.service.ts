import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

import { DashboardNeedsHttpError } from './dashboard.errors.js';
import { resolveDashboardOptions, type ResolvedDashboardOptions } from './dashboard.options.js';
import { dashboardHandler } from './http/dashboard-handler.js';
import { SnapshotStream } from './http/snapshot-stream.js';
import {
  MESH_DASHBOARD_OPTIONS,
  type MeshDashboardModuleOptions,
} from './mesh-dashboard.module-definition.js';
import { meshBackendsOf } from './sources/mesh-backends.js';
import { MeshCollector } from './state/mesh-collector.js';
import type { MeshSnapshot } from './state/mesh-snapshot.js';

/**
 * Mounts the page on the app's HTTP server when the app initializes, and ends its event streams
 * and backend clients when the app closes (before the HTTP server stops, so that open pages
 * do not hold the server's close).
 */
@Injectable()
export class MeshDashboard implements OnModuleInit, OnModuleDestroy {
  readonly options: ResolvedDashboardOptions;
  private readonly collector: MeshCollector;
  private readonly stream: SnapshotStream;

  constructor(
    @Inject(MESH_DASHBOARD_OPTIONS) options: MeshDashboardModuleOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.options = resolveDashboardOptions(options);
    this.collector = new MeshCollector(this.options, meshBackendsOf(this.options));
    this.stream = new SnapshotStream(() => this.collector.snapshot(), this.options.refreshMs);
  }

  /** On init: after the app's routes, before Nest's not-found handler (registered after the init hooks). */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as { use?(...handlers: unknown[]): unknown } | undefined;
    if (!adapter?.use) throw new DashboardNeedsHttpError();
    adapter.use(dashboardHandler(this.options.path, this.collector, this.stream));
  }

  /** One snapshot now (what the page's event stream sends). */
  snapshot(): Promise<MeshSnapshot> {
    return this.collector.snapshot();
  }

  async onModuleDestroy(): Promise<void> {
    this.stream.close();
    await this.collector.close();
  }
}
