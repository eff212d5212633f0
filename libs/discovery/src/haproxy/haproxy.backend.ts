import { createHash } from 'node:crypto';

import { HaproxyCommandError } from '../discovery.errors.js';
import type { HaproxyRuntimeApi } from './haproxy.runtime-api.js';

/** One server of a backend, as `show servers state` reports it. */
export interface HaproxyServerState {
  readonly name: string;
  /** The IP HAProxy connects to (`-` when it has none). */
  readonly address: string;
  readonly port: number;
  /** HAProxy's admin-state bits: 0 ready, maintenance and drain flags otherwise. */
  readonly adminState: number;
  /** 0 stopped (down or in maintenance), 1 starting, 2 running, 3 stopping (failing checks). */
  readonly operationalState: number;
}

/** Where a server sends traffic: an IP address (HAProxy does not resolve names of dynamic servers). */
export interface ServerTarget {
  readonly address: string;
  readonly port: number;
}

/** The server keywords the sync sets on `add server`. */
export interface ServerSettings {
  /** `h2` for an h2c (gRPC) backend; HTTP/1.1 (HAProxy's default) when absent. */
  readonly proto?: 'h2';
  /** Health-check the server (`check`, then `enable health`); the backend's check settings apply. */
  readonly check?: boolean;
}

/** The characters HAProxy accepts in proxy and server names. */
export const HAPROXY_NAME = /^[A-Za-z0-9._:-]+$/;

/**
 * The server name of an instance: `prefix` + its id, any character HAProxy refuses replaced by
 * `_`. When something was replaced, 8 hex digits of the id's SHA-1 follow, so two ids that
 * differ only in refused characters still get two names.
 */
export function serverNameOf(prefix: string, instanceId: string): string {
  const sanitized = instanceId.replace(/[^A-Za-z0-9._:-]/g, '_');
  if (sanitized === instanceId) return `${prefix}${instanceId}`;
  const digest = createHash('sha1').update(instanceId).digest('hex').slice(0, 8);
  return `${prefix}${sanitized}-${digest}`;
}

const endpoint = ({ address, port }: ServerTarget) =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

/** The rows of a runtime API table whose header line starts with `# ` (space- or comma-separated). */
function rowsOf(answer: string, separator: string): Record<string, string>[] {
  const lines = answer.split('\n');
  const headerAt = lines.findIndex((line) => line.startsWith('# '));
  if (headerAt < 0) return [];
  const header = lines[headerAt].slice(2).split(separator);
  return lines
    .slice(headerAt + 1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const cells = line.split(separator);
      return Object.fromEntries(header.map((column, index) => [column, cells[index] ?? '']));
    });
}

/** One HAProxy backend, driven through the runtime API; every refusal is a `HaproxyCommandError`. */
export class HaproxyBackend {
  constructor(
    private readonly api: HaproxyRuntimeApi,
    readonly name: string,
  ) {}

  /** Every server of the backend now, static and dynamic. */
  async servers(signal?: AbortSignal): Promise<HaproxyServerState[]> {
    const command = `show servers state ${this.name}`;
    const answer = await this.api.send(command, { signal });
    if (!answer.includes('# be_id')) throw new HaproxyCommandError(command, answer);
    return rowsOf(answer, ' ').map((row) => ({
      name: row.srv_name,
      address: row.srv_addr,
      port: Number(row.srv_port),
      adminState: Number(row.srv_admin_state),
      operationalState: Number(row.srv_op_state),
    }));
  }

  /** Each server's sessions in progress plus requests queued for it (`scur` + `qcur`). */
  async sessions(signal?: AbortSignal): Promise<Map<string, number>> {
    const command = `show stat ${this.name} 4 -1`;
    const answer = await this.api.send(command, { signal });
    if (!answer.startsWith('# pxname')) throw new HaproxyCommandError(command, answer);
    return new Map(
      rowsOf(answer, ',').map((row) => [row.svname, Number(row.scur || 0) + Number(row.qcur || 0)]),
    );
  }

  /** Adds a server and puts it in service (a new dynamic server starts in maintenance). */
  async add(server: string, target: ServerTarget, settings: ServerSettings, signal?: AbortSignal) {
    const keywords = [settings.proto ? `proto ${settings.proto}` : '', settings.check ? 'check' : ''];
    const line = [`add server ${this.name}/${server} ${endpoint(target)}`, ...keywords].filter(Boolean);
    await this.expect(line.join(' '), /^New server registered/, signal);
    await this.ready(server, settings, signal);
  }

  /** Points an existing server at a new address (an instance id re-registered elsewhere). */
  async moveTo(server: string, target: ServerTarget, signal?: AbortSignal) {
    const command = `set server ${this.name}/${server} addr ${target.address} port ${target.port}`;
    await this.expect(command, /changed|no need to change/i, signal);
  }

  /** Takes the server out of maintenance or drain, with its health checks on if it has them. */
  async ready(server: string, settings: ServerSettings, signal?: AbortSignal) {
    await this.expect(`set server ${this.name}/${server} state ready`, /^$/, signal);
    if (settings.check) await this.expect(`enable health ${this.name}/${server}`, /^$/, signal);
  }

  /** Stops sending the server new sessions; those in progress continue. */
  async drain(server: string, signal?: AbortSignal) {
    await this.expect(`set server ${this.name}/${server} state drain`, /^$/, signal);
  }

  /** Maintenance (no traffic, no checks), then any remaining session shut. */
  async shut(server: string, signal?: AbortSignal) {
    await this.expect(`set server ${this.name}/${server} state maint`, /^$/, signal);
    await this.expect(`shutdown sessions server ${this.name}/${server}`, /^$/, signal);
  }

  /**
   * Deletes a server already `shut`, its sessions gone. HAProxy before 2.9 does not check that
   * no closing stream still points to it: delete only some time after `shut` (see the sync).
   */
  async delete(server: string, signal?: AbortSignal) {
    await this.expect(`del server ${this.name}/${server}`, /^Server deleted/, signal);
  }

  private async expect(command: string, success: RegExp, signal?: AbortSignal): Promise<void> {
    const answer = await this.api.send(command, { signal });
    if (!success.test(answer.trim())) throw new HaproxyCommandError(command, answer);
  }
}
