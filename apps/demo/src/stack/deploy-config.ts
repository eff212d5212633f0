// The compose stack's configuration files (deploy/), rendered for local processes: the same
// frontends, backends and scrape jobs, on the ports the local stack picked, without the parts
// that need Consul (its DNS, its service discovery), which the stack replaces.
import { parse, stringify } from 'yaml';

/** The local ports of HAProxy's three listeners (compose: 8080, 9090, 8404). */
export interface EdgePorts {
  http: number;
  grpc: number;
  stats: number;
}

/** deploy/haproxy/haproxy.cfg's frontends, by name, and the local port each binds. */
const FRONTEND_PORTS: Record<string, keyof EdgePorts> = {
  'http-edge': 'http',
  'grpc-edge': 'grpc',
  stats: 'stats',
};

/**
 * deploy/haproxy/haproxy.cfg for a local HAProxy: the `global` section left out (the local
 * HAProxy writes its own, with its runtime API sockets), the `resolvers` section and every
 * `server-template` line left out (no Consul DNS here: the stack adds and removes servers
 * through the runtime API), and each frontend bound on 127.0.0.1 at its local port.
 */
export function localHaproxyConfig(text: string, ports: EdgePorts): string {
  const out: string[] = [];
  let section = '';
  let frontend: keyof EdgePorts | undefined;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) {
      const [keyword, name] = line.trim().split(/\s+/);
      section = keyword;
      frontend = keyword === 'frontend' ? FRONTEND_PORTS[name] : undefined;
      if (keyword === 'frontend' && frontend === undefined) {
        throw new Error(`haproxy.cfg: frontend "${name}" has no local port`);
      }
    }
    if (section === 'global' || section === 'resolvers') continue;
    if (/^\s+server-template\s/.test(line)) continue;
    const bind = /^(\s+)bind\s+\S*:\d+(.*)$/.exec(line);
    if (bind && frontend) {
      out.push(`${bind[1]}bind 127.0.0.1:${ports[frontend]}${bind[2]}`);
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

interface ScrapeConfig {
  job_name: string;
  consul_sd_configs?: unknown;
  relabel_configs?: unknown;
  static_configs?: { targets: string[] }[];
}

/**
 * deploy/prometheus.yml for a local Prometheus: each job that finds its targets in Consul gets
 * the local instances' `host:port` instead (`targets` by job name: `order`, `inventory`), and
 * the collector's jobs are left out (no collector runs here).
 */
export function localPrometheusConfig(text: string, targets: Readonly<Record<string, string[]>>): string {
  const config = parse(text) as { scrape_configs: ScrapeConfig[] };
  const jobs: ScrapeConfig[] = [];
  for (const job of config.scrape_configs) {
    if (!job.consul_sd_configs) continue;
    const local = targets[job.job_name];
    if (!local) throw new Error(`prometheus.yml: no local targets for job "${job.job_name}"`);
    const { consul_sd_configs: _consul, relabel_configs: _relabel, ...rest } = job;
    jobs.push({ ...rest, static_configs: [{ targets: local }] });
  }
  return stringify({ ...config, scrape_configs: jobs });
}
