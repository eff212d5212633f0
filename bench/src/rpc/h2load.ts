import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetStockRequest } from '@nestmesh/contracts/inventory/v1';

import { BENCH_SKU } from './fixture.js';
import { percentile, type Sample } from './stats.js';

const workDir = mkdtempSync(join(tmpdir(), 'nestmesh-h2load-'));
const requestFile = join(workDir, 'get-stock.bin');
const message = GetStockRequest.encode({ sku: BENCH_SKU }).finish();
const frame = Buffer.alloc(5 + message.length);
frame.writeUInt8(0, 0);
frame.writeUInt32BE(message.length, 1);
Buffer.from(message).copy(frame, 5);
writeFileSync(requestFile, frame);

export interface H2loadOptions {
  port: number;
  requests: number;
  clients: number;
  streams: number;
  core: number;
}

/** One h2load run of unary GetStock calls; throughput from h2load, latency from its per-request log. */
export function h2load({
  port,
  requests,
  clients,
  streams,
  core,
}: H2loadOptions): Sample & { succeeded: number } {
  const logFile = join(workDir, 'requests.log');
  const output = execFileSync(
    'taskset',
    [
      '-c',
      String(core),
      'h2load',
      '-n',
      String(requests),
      '-c',
      String(clients),
      '-m',
      String(streams),
      '-t',
      '1',
      '--header=content-type: application/grpc',
      '--header=te: trailers',
      '-d',
      requestFile,
      `--log-file=${logFile}`,
      `http://127.0.0.1:${port}/inventory.v1.InventoryService/GetStock`,
    ],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const rate = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(output);
  const done = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded/.exec(output);
  if (!rate || !done) throw new Error(`bench: cannot read h2load output:\n${output}`);
  const latenciesUs = readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(line.split('\t')[2]));
  rmSync(logFile, { force: true });
  return {
    callsPerSecond: Number(rate[1]),
    p50Ms: percentile(latenciesUs, 50) / 1000,
    p99Ms: percentile(latenciesUs, 99) / 1000,
    succeeded: Number(done[1]),
  };
}

export function cleanup(): void {
  rmSync(workDir, { recursive: true, force: true });
}
