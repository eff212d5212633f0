import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { MemoryRegistry } from '@nestmesh/discovery';
import { startContext, startHttpApp } from '@nestmesh/testing';

import { DashboardNeedsHttpError, InvalidDashboardOptionsError } from './dashboard.errors.js';
import { MeshDashboardModule } from './mesh-dashboard.module.js';
import type { MeshSnapshot } from './state/mesh-snapshot.js';

const registryName = `dashboard-spec-${process.pid}`;
const instance = {
  id: 'inventory-spec-1',
  name: 'inventory',
  address: '127.0.0.1',
  port: 50_051,
  tags: ['blue'],
  metadata: { upstream: 'redis://app:s3cret@10.0.0.5:6379', db_password: 'plain' },
};

describe('MeshDashboardModule on an HTTP app', { timeout: 60_000 }, () => {
  let app: INestApplication | undefined;
  let url: string;
  const registry = MemoryRegistry.named(registryName);

  before(async () => {
    await registry.register(instance);
    ({ app, url } = await startHttpApp(
      MeshDashboardModule.forRoot({
        path: '/ops/mesh',
        discoveryUrl: `memory://${registryName}`,
        electionUrl: 'memory://',
        lockUrl: 'memory://',
        refreshMs: 250,
      }),
    ));
  });
  after(async () => {
    await app?.close();
    await registry.deregister(instance).catch(() => undefined);
  });

  it('serves the page and its files under the path, only its own, with a strict CSP', async () => {
    const redirect = await fetch(`${url}/ops/mesh`, { redirect: 'manual' });
    assert.deepEqual([redirect.status, redirect.headers.get('location')], [302, 'mesh/']);
    const page = await fetch(`${url}/ops/mesh/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'self'; script-src 'self'/);
    assert.match(await page.text(), /<script type="module" src="\.\/dashboard\.js"><\/script>/);
    for (const asset of [
      'dashboard.js',
      'dom.js',
      'format.js',
      'views.js',
      'waterfall.js',
      'dashboard.css',
    ]) {
      const response = await fetch(`${url}/ops/mesh/${asset}`);
      assert.equal(response.status, 200, asset);
      await response.arrayBuffer();
    }
    for (const path of [
      '/ops/mesh/package.json',
      '/ops/mesh/%2e%2e/package.json',
      '/ops/mesh/..%2fsrc/index.ts',
    ])
      assert.equal((await fetch(`${url}${path}`)).status, 404, path);
    assert.equal((await fetch(`${url}/ops/mesh/`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${url}/elsewhere`)).status, 404, 'other paths are the app’s');
  });

  it('the snapshot lists the registry with secrets redacted', async () => {
    const snapshot = (await (await fetch(`${url}/ops/mesh/api/snapshot`)).json()) as MeshSnapshot;
    assert.equal(snapshot.services.error, undefined);
    const listed = snapshot.services.items.find((service) => service.name === 'inventory')?.instances;
    assert.deepEqual(
      listed?.map((each) => [each.id, each.health, each.metadata]),
      [['inventory-spec-1', 'passing', { upstream: 'redis://app:***@10.0.0.5:6379', db_password: '***' }]],
    );
    assert.equal(snapshot.refreshMs, 250);
    assert.doesNotMatch(JSON.stringify(snapshot), /s3cret|plain/);
  });

  it('a trace id that is not one is refused; an unknown one is a 404 with the sources read', async () => {
    assert.equal((await fetch(`${url}/ops/mesh/api/traces/nope`)).status, 404);
    const unknown = await fetch(`${url}/ops/mesh/api/traces/${'f'.repeat(32)}`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(((await unknown.json()) as { spans: unknown[] }).spans, []);
  });

  it('an open event stream gets a snapshot at once, and app.close() ends it instead of hanging', async () => {
    const first = await new Promise<{ ended: Promise<void>; data: string }>((resolve, reject) => {
      request(`${url}/ops/mesh/events`, (response) => {
        const ended = new Promise<void>((done) => response.once('end', done));
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes('\n\nevent: snapshot') || /event: snapshot\ndata: .*\n\n/.test(text))
            resolve({ ended, data: text });
        });
      })
        .on('error', reject)
        .end();
    });
    assert.match(first.data, /event: snapshot\ndata: \{"generatedAt"/);
    const closing = app!.close();
    app = undefined;
    await Promise.all([closing, first.ended]);
  });
});

describe('MeshDashboardModule: forRootAsync, and what is refused at startup', { timeout: 30_000 }, () => {
  it('forRootAsync takes its options from a factory', async () => {
    const { app, url } = await startHttpApp(
      MeshDashboardModule.forRootAsync({ useFactory: () => Promise.resolve({ path: '/from-factory' }) }),
    );
    try {
      assert.equal((await fetch(`${url}/from-factory/`)).status, 200);
      assert.equal((await fetch(`${url}/mesh/`)).status, 404);
    } finally {
      await app.close();
    }
  });

  it('without an HTTP server: DashboardNeedsHttpError; with a bad option: InvalidDashboardOptionsError', async () => {
    await assert.rejects(startContext(MeshDashboardModule.forRoot({})), DashboardNeedsHttpError);
    await assert.rejects(
      startHttpApp(MeshDashboardModule.forRoot({ refreshMs: 5 })),
      (error: unknown) => error instanceof InvalidDashboardOptionsError && /refreshMs/.test(error.message),
    );
  });
});
