// The mesh dashboard in a real browser (Debian's chromium, driven by playwright-core) against a
// running multi-process mesh: etcd discovery, Redis elections and locks, three inventories and
// the order app, which serves the dashboard at /mesh. With UPDATE_SCREENSHOTS=1 it also writes
// the screenshots of docs/demo.md (docs/images/dashboard-*.png).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLockBackend, LockService, type LockHandle } from '@nestmesh/coordination';
import { DEFAULT_REFRESH_MS } from '@nestmesh/dashboard';

import { startMeshCluster, type InventoryProcess, type MeshCluster } from './fixtures/mesh-cluster.js';

const CHROMIUM = '/usr/bin/chromium';
const images = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/images');
const ttlSeconds = 2;
/** The inventories' election lease (DEFAULT_ELECTION_TIMING.ttlMs): how long a killed leader holds the group. */
const electionTtlMs = 2000;
/** Room for a loaded machine: process scheduling, a slow scrape. */
const slackMs = 10_000;
/** A page update takes at most two refresh periods (one may be running when the change lands). */
const pageLagMs = 2 * DEFAULT_REFRESH_MS;
const RESERVE = 'inventory.v1.InventoryService/ReserveStock';

async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS === '1')
    await page.screenshot({ path: join(images, `dashboard-${name}.png`) });
}

async function placeOrder(cluster: MeshCluster, traceId: string): Promise<void> {
  const response = await fetch(`${cluster.order!.httpUrl}/orders`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    },
    body: JSON.stringify({ items: [{ sku: 'A-1', quantity: 1 }] }),
  });
  assert.equal(response.status, 201, await response.text());
}

describe('the mesh dashboard in a browser', { timeout: 300_000 }, () => {
  let cluster: MeshCluster;
  let browser: Browser;
  let page: Page;
  let lock: LockHandle | undefined;
  let closeLocks: (() => Promise<void>) | undefined;

  before(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: install the Debian package chromium (apt-get install -y chromium)`,
      );
    cluster = await startMeshCluster({ inventories: 3, ttlSeconds });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${cluster.order!.httpUrl}/mesh/`);
    await page.locator('#status.live').waitFor({ timeout: pageLagMs + slackMs });
  });
  after(async () => {
    await lock?.release().catch(() => undefined);
    await closeLocks?.();
    await browser?.close();
    await cluster?.stop();
  });

  it('shows every registered instance, each with its telemetry read', async () => {
    for (const inventory of cluster.inventories) {
      const row = page.locator(`tr[data-instance-id="${inventory.id}"]`);
      await row.waitFor({ timeout: pageLagMs + slackMs });
      assert.equal(await row.getAttribute('data-health'), 'passing');
      // Read over HTTP on the instance's registered telemetry_port (its METRICS_PORT server).
      await row.locator('.badge', { hasText: 'read' }).waitFor({ timeout: pageLagMs + slackMs });
    }
    await page
      .locator('[data-service="order"] tr[data-instance-id]')
      .waitFor({ timeout: pageLagMs + slackMs });
    await screenshot(page, 'services');
  });

  it('an inventory killed with SIGKILL disappears from the page once its registration expires', async () => {
    const leader = await leaderOf(page);
    const victim = cluster.inventories.find((inventory) => !isProcessOf(inventory, leader.candidateId))!;
    await victim.process.stop('SIGKILL');
    await page
      .locator(`tr[data-instance-id="${victim.id}"]`)
      .waitFor({ state: 'detached', timeout: ttlSeconds * 1000 + pageLagMs + slackMs });
  });

  it('killing the leader inventory: group inventory gets another leader with a higher epoch', async () => {
    const before = await leaderOf(page);
    const leader = cluster.inventories.find((inventory) => isProcessOf(inventory, before.candidateId));
    assert.ok(leader, `the leader ${before.candidateId} is one of the inventories`);
    const backend = await createLockBackend({ url: cluster.redisUrl });
    closeLocks = () => Promise.resolve(backend.close?.());
    const locks = new LockService(backend);
    lock = await locks.acquire('dashboard:e2e', { ttlMs: 60_000 });
    await leader.process.stop('SIGKILL');
    await page.waitForFunction(leaderChanged, before, {
      timeout: electionTtlMs + pageLagMs + slackMs,
      polling: 100,
    });
    await page.goto(`${cluster.order!.httpUrl}/mesh/#leaders`);
    await page.locator('tr[data-lock="dashboard:e2e"]').waitFor({ timeout: pageLagMs + slackMs });
    const history = await page.locator('[data-group="inventory"] table.history tbody tr').count();
    assert.ok(history >= 2, `the history keeps both leaderships (${history} rows)`);
    await screenshot(page, 'leaders');
  });

  it('an order placed over HTTP: RED rows for Reserve on both sides, and its trace spans order and inventory', async () => {
    const traceId = randomBytes(16).toString('hex');
    await placeOrder(cluster, traceId);
    for (let index = 0; index < 5; index++) await placeOrder(cluster, randomBytes(16).toString('hex'));
    await page.goto(`${cluster.order!.httpUrl}/mesh/#red`);
    for (const kind of ['client', 'server'])
      await page
        .locator(`table.red tr[data-method="${RESERVE}"][data-kind="${kind}"]`)
        .waitFor({ timeout: 2 * pageLagMs + slackMs });
    await screenshot(page, 'red');

    await page.goto(`${cluster.order!.httpUrl}/mesh/#trace/${traceId}`);
    const waterfall = page.locator(`.waterfall[data-trace-id="${traceId}"]`);
    await waterfall.locator('.span-row[data-service="order"]').first().waitFor({ timeout: slackMs });
    await waterfall.locator('.span-row[data-service="inventory"]').first().waitFor({ timeout: slackMs });
    // The inventory's server span nests under the order's client span.
    const depths = await Promise.all(
      (await waterfall.locator('.span-row[data-service="inventory"]').all()).map(async (row) =>
        Number(await row.getAttribute('data-depth')),
      ),
    );
    assert.ok(Math.min(...depths) >= 1, `inventory spans have parents on the page: ${depths.join(',')}`);
    await waterfall.locator('.span-row[data-service="inventory"]').first().click();
    await page.locator('.span-details').waitFor({ timeout: slackMs });
    await screenshot(page, 'trace');
  });
});

/** What the page's DOM offers this check (this project has no DOM types). */
type PageGlobals = {
  document: { querySelector(selector: string): { dataset: Record<string, string | undefined> } | null };
};

/** Runs in the page (Playwright serializes it): group inventory has another leader, a higher epoch. */
function leaderChanged(before: { candidateId: string; epoch: string }): boolean {
  const group = (globalThis as unknown as PageGlobals).document.querySelector('[data-group="inventory"]');
  const leader = group?.dataset.leader;
  return (
    !!leader && leader !== before.candidateId && BigInt(group.dataset.epoch || '0') > BigInt(before.epoch)
  );
}

/** The leader of group inventory as the page shows it. */
async function leaderOf(page: Page): Promise<{ candidateId: string; epoch: string }> {
  const group = page.locator('[data-group="inventory"][data-leader]:not([data-leader=""])');
  await group.waitFor({ state: 'attached', timeout: electionTtlMs + pageLagMs + slackMs });
  return {
    candidateId: (await group.getAttribute('data-leader'))!,
    epoch: (await group.getAttribute('data-epoch'))!,
  };
}

/** An inventory campaigns under its registered instance id (InventoryModule passes it). */
function isProcessOf(inventory: InventoryProcess, candidateId: string): boolean {
  return candidateId === inventory.id;
}
