#!/usr/bin/env node
// `npm run new:service -- <name>`: adds a gRPC service to this repository — its proto (one
// sample unary method), the regenerated contracts, apps/<name> (module, controller implementing
// the generated interface, main.ts, an e2e test) and the workspace wiring — then prints what to
// do next. See docs/generator.md.
//
// All or nothing: every file's new content is computed first (the contracts are generated from
// a staged copy of proto/, so a proto that buf rejects changes nothing), then written; a write
// that fails rolls back the ones before it. A bad name, or a name already in use (running it
// twice), is refused before anything is computed.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { applyChanges, readIfFile } from './new-service/apply.mjs';
import { checkNameIsFree, checkNameSyntax, deriveNames, NewServiceError } from './new-service/names.mjs';
import { appFiles, protoFile } from './new-service/templates.mjs';
import * as workspace from './new-service/workspace.mjs';

/** @typedef {import('./new-service/names.mjs').ServiceNames} ServiceNames */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GENERATED = 'libs/contracts/src/generated';

/**
 * The generated contracts with the new proto added: `scripts/proto.mjs` run on a staged copy of
 * proto/, compared with what is committed. Returns the changed files (null: no longer generated).
 * @param {string} protoPath  the new proto, relative to the repository root
 * @param {string} protoText
 * @returns {Map<string, string | null>}
 */
function regeneratedContracts(protoPath, protoText) {
  const staging = mkdtempSync(join(tmpdir(), 'nestmesh-new-service-'));
  try {
    cpSync(join(root, 'proto'), join(staging, 'proto'), { recursive: true });
    const stagedProto = join(staging, protoPath);
    mkdirSync(dirname(stagedProto), { recursive: true });
    writeFileSync(stagedProto, protoText);
    try {
      const args = ['--proto', join(staging, 'proto'), '--out', join(staging, 'contracts')];
      execFileSync(process.execPath, [join(root, 'scripts/proto.mjs'), ...args], {
        cwd: root,
        stdio: 'pipe',
      });
    } catch (error) {
      const output = /** @type {{ stderr?: Buffer, stdout?: Buffer }} */ (error);
      throw new NewServiceError(
        `generating the contracts failed, nothing was changed:\n${String(output.stdout ?? '')}${String(output.stderr ?? '')}`,
      );
    }
    const fresh = join(staging, 'contracts/src/generated');
    /** @param {string} folder */
    const list = (folder) =>
      readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    /** @type {Map<string, string | null>} */
    const changes = new Map();
    for (const file of list(fresh)) {
      const content = readFileSync(join(fresh, file), 'utf8');
      if (readIfFile(join(root, GENERATED, file)) !== content) changes.set(`${GENERATED}/${file}`, content);
    }
    const freshFiles = new Set(list(fresh));
    for (const file of list(join(root, GENERATED))) {
      if (!freshFiles.has(file)) changes.set(`${GENERATED}/${file}`, null);
    }
    return changes;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Every file the new service writes or edits, in the order they are written, formatted.
 * @param {ServiceNames} names
 * @returns {Promise<Map<string, string | null>>}
 */
async function planChanges(names) {
  const protoPath = `proto/nestmesh/${names.snake}/v1/${names.snake}.proto`;
  const proto = protoFile(names);
  /** @type {Map<string, string | null>} */
  const changes = new Map([[protoPath, proto], ...regeneratedContracts(protoPath, proto)]);
  /** @type {[string, (text: string, names: ServiceNames) => string | undefined][]} */
  const edits = [
    ['libs/contracts/package.json', workspace.contractsPackageJson],
    ['libs/contracts/src/index.ts', workspace.contractsIndexTs],
    ['tsconfig.json', workspace.rootTsconfigJson],
    ['nest-cli.json', workspace.nestCliJson],
    ['package.json', workspace.rootPackageJson],
    ['package-lock.json', workspace.packageLockJson],
  ];
  /** @type {Map<string, string>} */
  const authored = new Map(appFiles(names));
  for (const [file, edit] of edits) {
    const edited = edit(readFileSync(join(root, file), 'utf8'), names);
    if (edited !== undefined) authored.set(file, edited);
  }
  // Prettier as `npm run lint` checks it, so the new files pass lint as written.
  const prettier = await import('prettier');
  for (const [file, text] of authored) {
    const path = join(root, file);
    const ignored = (await prettier.getFileInfo(path, { ignorePath: join(root, '.prettierignore') })).ignored;
    const options = { ...(await prettier.resolveConfig(path)), filepath: path };
    changes.set(file, ignored ? text : await prettier.format(text, options));
  }
  return changes;
}

/**
 * Two aligned columns, indented.
 * @param {[string, string][]} rows
 */
function table(rows) {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`).join('\n');
}

/** @param {ServiceNames} names */
function nextSteps({ name, snake, pascal, camel, envPrefix }) {
  const proto = `proto/nestmesh/${snake}/v1/${snake}.proto`;
  return [
    `Added the service "${name}":`,
    table([
      [proto, `${pascal}Service with a sample Greet method`],
      ['libs/contracts', `regenerated: @nestmesh/contracts/${snake}/v1, namespace ${camel}V1`],
      [`apps/${name}`, 'module, controller, main.ts, process, e2e test'],
      ['tsconfig.json, nest-cli.json, package-lock.json', 'wired in'],
    ]),
    '',
    'Next:',
    table([
      ['npm install', `links @nestmesh/${name} into node_modules`],
      [`npm test -- apps/${name}/dist`, 'builds, then runs its e2e test'],
      [`node apps/${name}/dist/main.js`, `runs it (${envPrefix}_GRPC_PORT, DISCOVERY_URL, OTEL_*)`],
    ]),
    `  then add methods to ${proto}, run \`npm run proto\`, and implement them in`,
    `  apps/${name}/src/${name}.controller.ts (tsc names the ones missing). See docs/generator.md.`,
  ].join('\n');
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log('usage: npm run new:service -- <name>   (lowercase letters, digits, hyphens; e.g. billing)');
    return;
  }
  if (args.length > 1) throw new NewServiceError(`one name expected, got ${args.length}: ${args.join(' ')}`);
  const name = args[0];
  checkNameSyntax(name);
  const names = deriveNames(name);
  checkNameIsFree(root, names);
  applyChanges(root, await planChanges(names));
  console.log(nextSteps(names));
}

main().catch((/** @type {unknown} */ error) => {
  console.error(error instanceof NewServiceError ? error.message : error);
  process.exitCode = 1;
});
