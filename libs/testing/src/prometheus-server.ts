import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requireBinary, signalAndWait, spawnOwned } from './child-process.js';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** One series of an instant-query result. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** An instant PromQL query; rejects with Prometheus's error text. */
  query(promql: string): Promise<PromSample[]>;
  /** The scrape targets and their health (`up`, `down`, `unknown`) with the last error. */
  targets(): Promise<{ scrapeUrl: string; health: string; lastError: string }[]>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** Full URLs of the /metrics endpoints to scrape (`http://127.0.0.1:1234/metrics`). */
  scrapeTargets: string[];
  /** A whole prometheus.yml instead of the generated one (then `scrapeTargets` is not read). */
  config?: string;
  /** Scrape (and rule evaluation) interval in ms; default 1000, Prometheus's floor is 1 ms. */
  scrapeIntervalMs?: number;
}

/** The generated prometheus.yml: one job per target, so each keeps its own metrics path. */
function configOf({ scrapeTargets, scrapeIntervalMs = 1000 }: StartPrometheusOptions): string {
  const jobs = scrapeTargets.map((target, index) => {
    const url = new URL(target);
    return [
      `  - job_name: target-${index}`,
      `    scheme: ${url.protocol.replace(':', '')}`,
      `    metrics_path: ${JSON.stringify(url.pathname)}`,
      `    static_configs:`,
      `      - targets: [${JSON.stringify(url.host)}]`,
    ].join('\n');
  });
  return [
    'global:',
    `  scrape_interval: ${scrapeIntervalMs}ms`,
    `  scrape_timeout: ${scrapeIntervalMs}ms`,
    `  evaluation_interval: ${scrapeIntervalMs}ms`,
    'scrape_configs:',
    ...jobs,
    '',
  ].join('\n');
}

/**
 * A throwaway Prometheus (Debian `prometheus`) on a free loopback port, scraping `scrapeTargets`
 * with a generated config, its data in a temporary folder. Resolves once it answers /-/ready;
 * a start that fails kills it and removes the folder.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  requireBinary('prometheus', 'prometheus');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const folder = mkdtempSync(join(tmpdir(), 'nestmesh-prometheus-'));
  const configFile = join(folder, 'prometheus.yml');
  writeFileSync(configFile, options.config ?? configOf(options));
  let output = '';
  let child: ChildProcess | undefined;
  const stop = async () => {
    await signalAndWait(child, 'SIGTERM');
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    child = spawnOwned(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(folder, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const started = child;
    await waitFor(
      async () => {
        if (started.exitCode !== null) throw new Error(`prometheus exited: ${output}`);
        return (await fetch(`${url}/-/ready`)).ok;
      },
      // A bound for a loaded machine; it is ready in about a second on a quiet one.
      { timeoutMs: 60_000, intervalMs: 50, description: `prometheus on ${url}` },
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}/api/v1/${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus: ${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  return {
    url,
    query: async (promql) => {
      const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `query?query=${encodeURIComponent(promql)}`,
      );
      return data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
    },
    targets: async () =>
      (await api<{ activeTargets: { scrapeUrl: string; health: string; lastError: string }[] }>('targets'))
        .activeTargets,
    stop,
  };
}
