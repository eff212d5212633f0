import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { startPrometheus, type PrometheusServer } from './prometheus-server.js';
import { waitFor } from './wait-for.js';

describe('startPrometheus', { timeout: 120_000 }, () => {
  let target: Server;
  let prometheus: PrometheusServer | undefined;
  let scrapes = 0;

  before(async () => {
    // A target on a non-default path, so the generated config's metrics_path is exercised.
    target = createServer((request, response) => {
      if (request.url !== '/custom/metrics') return void response.writeHead(404).end();
      scrapes += 1;
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(`# TYPE test_scrapes_total counter\ntest_scrapes_total{kind="a"} ${scrapes}\n`);
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await prometheus?.stop();
    target.closeAllConnections();
    await new Promise((resolve) => target.close(resolve));
  });

  it('scrapes the given targets and answers PromQL', async () => {
    const { port } = target.address() as AddressInfo;
    prometheus = await startPrometheus({
      scrapeTargets: [`http://127.0.0.1:${port}/custom/metrics`],
      scrapeIntervalMs: 200,
    });
    const [up] = await waitFor(
      async () => {
        const targets = await prometheus!.targets();
        return targets.length > 0 && targets.every((t) => t.health === 'up') && targets;
      },
      { timeoutMs: 60_000, description: 'the target up' },
    );
    assert.equal(up.scrapeUrl, `http://127.0.0.1:${port}/custom/metrics`);
    const samples = await waitFor(
      async () => {
        const result = await prometheus!.query('test_scrapes_total');
        return result.length === 1 && result[0].value >= 2 && result;
      },
      { timeoutMs: 60_000, description: 'two scrapes stored' },
    );
    assert.equal(samples[0].metric.kind, 'a');
    assert.equal(samples[0].metric.job, 'target-0');
    await assert.rejects(prometheus.query('sum('), /prometheus: query/);
  });
});
