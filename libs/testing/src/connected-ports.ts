import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** /proc/net/tcp's state column for an established connection. */
const ESTABLISHED = '01';

/**
 * The remote ports of this process's established TCP connections (IPv4 and IPv6), read from
 * /proc: the kernel lists every socket of the network namespace there, and this process's file
 * descriptors say which of them are its own. Linux only; elsewhere it is empty.
 */
export function connectedPorts(): Set<number> {
  if (process.platform !== 'linux') return new Set();
  const ownSockets = new Set<string>();
  for (const descriptor of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${descriptor}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) ownSockets.add(inode);
    } catch {
      // closed between the listing and the read
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let lines: string[];
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue; // no IPv6 in this kernel
    }
    for (const line of lines) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== ESTABLISHED || !ownSockets.has(fields[9])) continue;
      ports.add(Number.parseInt(fields[2].split(':')[1], 16));
    }
  }
  return ports;
}
