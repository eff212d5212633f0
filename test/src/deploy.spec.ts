import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireBinary } from '@nestmesh/testing';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  init?: boolean;
  mem_limit?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
const services = Object.entries(compose.services);
/** Services built from this repository: the NestMesh apps. */
const apps = services.filter(([, service]) => service.build !== undefined);
/** The UIs a human opens; nothing else publishes a port. */
const HUMAN_FACING = ['consul', 'grafana', 'haproxy', 'jaeger', 'prometheus'];

/** The environment variables docs/configuration.md documents (its tables' first column). */
function documentedVariables(): Set<string> {
  const text = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
  return new Set([...text.matchAll(/^\| `([A-Z][A-Z0-9_]*)`/gm)].map((match) => match[1]));
}

describe('docker-compose.yml and deploy/Dockerfile, checked against the code', { timeout: 60_000 }, () => {
  it('the compose file passes dclint (Compose Specification schema and its best-practice rules)', async () => {
    const { stdout, stderr } = await run(join(root, 'node_modules/.bin/dclint'), ['docker-compose.yml'], {
      cwd: root,
    }).catch((error: { stdout: string; stderr: string }) => {
      assert.fail(`dclint failed:\n${error.stdout}${error.stderr}`);
    });
    assert.doesNotMatch(`${stdout}${stderr}`, /\berror\b/i);
  });

  it('the Dockerfile passes dockerfile-utils lint with no error or warning', async () => {
    const { stdout } = await run(
      join(root, 'node_modules/.bin/dockerfile-utils'),
      ['lint', 'deploy/Dockerfile'],
      {
        cwd: root,
      },
    ).catch((error: { stdout: string; stderr: string }) => assert.fail(`${error.stdout}${error.stderr}`));
    assert.equal(stdout.trim(), '');
  });

  it('every variable set on an app is one the apps read (documented in docs/configuration.md)', () => {
    const documented = documentedVariables();
    for (const [name, service] of apps) {
      for (const variable of Object.keys(service.environment ?? {})) {
        assert.ok(documented.has(variable), `${name} sets ${variable}, which no app reads`);
      }
    }
  });

  it('every app runs a built entry, has init, a memory limit, a healthcheck whose script is in the image, and no published port', () => {
    assert.ok(apps.length >= 6, 'order ×2, inventory ×3 and the loadgen');
    for (const [name, service] of apps) {
      const [binary, entry] = service.command ?? [];
      assert.equal(binary, 'node', name);
      assert.ok(existsSync(join(root, entry)), `${name}: ${entry} is built`);
      assert.equal(service.init, true, `${name}: init, so SIGTERM reaches node and the drain runs`);
      assert.ok(service.mem_limit, `${name}: a memory limit`);
      assert.equal(service.ports, undefined, `${name}: replicas publish no host port`);
      const probe = service.healthcheck?.test ?? [];
      const script = probe.find((part) => part.endsWith('.js'));
      if (script) assert.ok(existsSync(join(root, script)), `${name}: healthcheck script ${script} is built`);
    }
  });

  it('every depends_on names a service; every image has a pinned tag; only the UIs publish ports', () => {
    for (const [name, service] of services) {
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        assert.ok(compose.services[dependency], `${name} depends on ${dependency}, which is no service`);
      }
      const tag = service.image?.split(':')[1];
      assert.ok(tag && tag !== 'latest', `${name}: image ${service.image} has a pinned tag`);
      if (service.ports) {
        assert.ok(HUMAN_FACING.includes(name), `${name} publishes ${service.ports.join(', ')}`);
        for (const port of service.ports)
          assert.match(port, /^127\.0\.0\.1:/, `${name}: ${port} on loopback only`);
      }
      if (!service.build) assert.ok(service.mem_limit, `${name}: a memory limit`);
    }
  });

  it("the Dockerfile installs and builds with CI's commands", () => {
    const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    const install = /^npm ci .*$/m.exec(ci)?.[0];
    assert.ok(install, '.ci/run runs npm ci');
    assert.match(dockerfile, new RegExp(`^RUN ${install.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}$`, 'm'));
    assert.match(dockerfile, /^RUN npm run build$/m);
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    // The build is tsc plus scripts of the repository (all copied in: .dockerignore leaves them).
    const [compiler, ...steps] = scripts.build.split(' && ');
    assert.equal(compiler, 'tsc -b');
    for (const step of steps) {
      const script = /^node (scripts\/[\w-]+\.mjs)$/.exec(step)?.[1];
      assert.ok(
        script && existsSync(join(root, script)),
        `build step ${step} runs a script of the repository`,
      );
    }
    assert.match(dockerfile, /^USER node$/m, 'not root');
    const base = /^ARG NODE_IMAGE=node:(\d+)\./m.exec(dockerfile)?.[1];
    assert.equal(base, '24', 'the Node LTS CI tests on');
  });

  it("deploy/haproxy/haproxy.cfg is valid for a real HAProxy (haproxy -c; Consul's DNS name given an address)", async () => {
    requireBinary('haproxy', 'haproxy');
    const folder = mkdtempSync(join(tmpdir(), 'nestmesh-haproxy-check-'));
    try {
      // `consul` resolves only on the compose network; everything else is checked as written.
      const config = readFileSync(join(root, 'deploy/haproxy/haproxy.cfg'), 'utf8').replace(
        'nameserver consul consul:8600',
        'nameserver consul 127.0.0.1:8600',
      );
      writeFileSync(join(folder, 'haproxy.cfg'), config);
      const { stdout, stderr } = await run('haproxy', ['-c', '-f', join(folder, 'haproxy.cfg')]).catch(
        (error: { stdout: string; stderr: string }) => assert.fail(`${error.stdout}${error.stderr}`),
      );
      assert.match(`${stdout}${stderr}`, /Configuration file is valid/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
