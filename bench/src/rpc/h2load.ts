import { execFile, execFileSync } from 'node:child_process';
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
  /** `https` loads a TLS server (h2load does not verify its certificate). Default `http`. */
  scheme?: 'http' | 'https';
}

export interface H2loadResult extends Sample {
  /** Calls that got HTTP 200 (h2load does not read grpc-status: check it apart). */
  succeeded: number;
  /** Calls h2load sent: a timed run may stop with some of them unanswered. */
  started: number;
}

function argumentsOf(load: Omit<H2loadOptions, 'requests'>, amount: string[], logFile: string): string[] {
  return [
    '-c',
    String(load.core),
    'h2load',
    ...amount,
    '-c',
    String(load.clients),
    '-m',
    String(load.streams),
    '-t',
    '1',
    '--header=content-type: application/grpc',
    '--header=te: trailers',
    '-d',
    requestFile,
    `--log-file=${logFile}`,
    `${load.scheme ?? 'http'}://127.0.0.1:${load.port}/inventory.v1.InventoryService/GetStock`,
  ];
}

/** Throughput from h2load's output, latency from its per-request log (then removed). */
function resultOf(output: string, logFile: string): H2loadResult {
  const rate = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(output);
  const done = /requests: \d+ total, (\d+) started, \d+ done, (\d+) succeeded/.exec(output);
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
    succeeded: Number(done[2]),
    started: Number(done[1]),
  };
}

/** One h2load run of `requests` unary GetStock calls. */
export function h2load(options: H2loadOptions): H2loadResult {
  const logFile = join(workDir, 'requests.log');
  const output = execFileSync('taskset', argumentsOf(options, ['-n', String(options.requests)], logFile), {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return resultOf(output, logFile);
}

let timedRuns = 0;

/**
 * A timed h2load run (`-D seconds`) that does not block this process, so two can load two
 * servers over the same seconds.
 */
export function h2loadFor(
  options: Omit<H2loadOptions, 'requests'> & { seconds: number },
): Promise<H2loadResult> {
  const logFile = join(workDir, `requests-${timedRuns++}.log`);
  return new Promise((resolve, reject) =>
    execFile(
      'taskset',
      argumentsOf(options, ['-D', String(options.seconds)], logFile),
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, output) => {
        if (error) reject(new Error(`bench: h2load failed: ${error.message}`, { cause: error }));
        else resolve(resultOf(output, logFile));
      },
    ),
  );
}

export function cleanup(): void {
  rmSync(workDir, { recursive: true, force: true });
}
