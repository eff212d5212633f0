// A caller of the inventory service as another app would be: its own Nest context with a
// DiscoveryModule on the same registry and a MeshClientModule for InventoryService.
import { Module, type INestApplicationContext } from '@nestjs/common';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { DiscoveryModule } from '@nestmesh/discovery';
import { MeshClientModule, meshClientToken, type MeshClient } from '@nestmesh/grpc';
import { startContext } from '@nestmesh/testing';

export interface InventoryCaller {
  /** The caller's context: close it before the inventory it calls. */
  app: INestApplicationContext;
  client: MeshClient<typeof InventoryServiceService>;
}

/** Starts a caller that dials `mesh:///inventory` through `discoveryUrl` (10 s unary deadline). */
export async function startInventoryCaller(discoveryUrl: string): Promise<InventoryCaller> {
  @Module({
    imports: [
      DiscoveryModule.forRoot({ url: discoveryUrl }),
      MeshClientModule.register({
        service: 'inventory',
        definition: InventoryServiceService,
        timeoutMs: 10_000,
      }),
    ],
  })
  class Caller {}
  const app = await startContext(Caller);
  return { app, client: app.get(meshClientToken(InventoryServiceService)) };
}
