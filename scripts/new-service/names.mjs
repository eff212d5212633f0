// The names a new service goes by, derived from the one the user typed, and the checks that
// refuse a name before anything is written.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Thrown for a name the generator refuses; the CLI prints its message and exits 1. */
export class NewServiceError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(`new:service: ${message}`);
    this.name = 'NewServiceError';
  }
}

// Lowercase letters and digits in words joined by single hyphens, starting with a letter: a
// valid npm name, discovery service name and folder, and one that maps one-to-one to a proto
// package (hyphens become underscores) and to TypeScript identifiers.
const NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const MAX_NAME_LENGTH = 40;

// Words that would make an identifier, a folder or a package of this repository ambiguous:
// JavaScript/TypeScript reserved words (the name becomes a variable in generated code), the
// repository's own folders and package names, and proto packages the toolchain owns.
const RESERVED = new Set([
  ...['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do'],
  ...['else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import'],
  ...['in', 'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try'],
  ...['typeof', 'var', 'void', 'while', 'with', 'yield', 'let', 'static', 'implements', 'interface'],
  ...['package', 'private', 'protected', 'public', 'await', 'async', 'any', 'unknown', 'never'],
  ...['apps', 'libs', 'test', 'tests', 'bench', 'docs', 'scripts', 'proto', 'std', 'src', 'dist'],
  ...['node-modules', 'nestmesh', 'mesh', 'e2e', 'google', 'grpc', 'protobuf', 'service', 'index'],
]);

/**
 * @typedef {object} ServiceNames
 * @property {string} name       `order-history`: folder, npm name suffix, discovery name
 * @property {string} snake      `order_history`: proto package and folder under proto/nestmesh
 * @property {string} pascal     `OrderHistory`: `OrderHistoryService`, `OrderHistoryModule`
 * @property {string} camel      `orderHistory`: the contracts namespace `orderHistoryV1`
 * @property {string} envPrefix  `ORDER_HISTORY`: `ORDER_HISTORY_GRPC_PORT`
 */

/**
 * The derived names of a syntactically valid `name`.
 * @param {string} name
 * @returns {ServiceNames}
 */
export function deriveNames(name) {
  const words = name.split('-');
  const pascal = words.map((word) => word[0].toUpperCase() + word.slice(1)).join('');
  return {
    name,
    snake: words.join('_'),
    pascal,
    camel: pascal[0].toLowerCase() + pascal.slice(1),
    envPrefix: words.join('_').toUpperCase(),
  };
}

/**
 * Refuses a name that is malformed or reserved; no file is read.
 * @param {unknown} name
 * @returns {asserts name is string}
 */
export function checkNameSyntax(name) {
  if (typeof name !== 'string' || name === '') {
    throw new NewServiceError('a service name is required: npm run new:service -- <name>');
  }
  if (name.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(name)) {
    throw new NewServiceError(
      `"${name.slice(0, MAX_NAME_LENGTH)}${name.length > MAX_NAME_LENGTH ? '…' : ''}" is not a valid ` +
        `service name: use at most ${MAX_NAME_LENGTH} lowercase letters, digits and single hyphens, ` +
        'starting with a letter (e.g. "billing" or "order-history")',
    );
  }
  if (RESERVED.has(name)) throw new NewServiceError(`"${name}" is a reserved word; choose another name`);
  if (name.endsWith('-service')) {
    throw new NewServiceError(`"${name}": leave out "-service" (the proto service is named <Name>Service)`);
  }
}

/** @param {string} file */
function readJson(file) {
  /** @type {unknown} */
  const value = JSON.parse(readFileSync(file, 'utf8'));
  return /** @type {Record<string, unknown>} */ (value);
}

/**
 * Refuses a name that is already taken in the repository at `root`: an app, any workspace
 * package of that name, a proto package, a contracts subpath or namespace.
 * @param {string} root
 * @param {ServiceNames} names
 */
export function checkNameIsFree(root, names) {
  const { name, snake, camel } = names;
  if (existsSync(join(root, 'apps', name))) {
    throw new NewServiceError(
      `apps/${name} already exists: the name is taken (the generator never overwrites)`,
    );
  }
  for (const group of ['libs', 'apps']) {
    const taken = readdirSync(join(root, group)).filter(
      (folder) => folder === name || folder.replace(/-/g, '_') === snake,
    );
    if (taken.length) throw new NewServiceError(`"${name}" is taken by ${group}/${taken[0]}`);
  }
  const packageName = `@nestmesh/${name}`;
  for (const folder of ['test', 'bench']) {
    if (readJson(join(root, folder, 'package.json')).name === packageName) {
      throw new NewServiceError(`${packageName} is the name of the ${folder} workspace`);
    }
  }
  for (const protoDir of readdirSync(join(root, 'proto'))) {
    if (existsSync(join(root, 'proto', protoDir, snake))) {
      throw new NewServiceError(
        `proto/${protoDir}/${snake} already exists: the proto package ${snake} is taken`,
      );
    }
  }
  const contracts = readJson(join(root, 'libs/contracts/package.json'));
  if (Object.hasOwn(/** @type {object} */ (contracts.exports ?? {}), `./${snake}/v1`)) {
    throw new NewServiceError(`@nestmesh/contracts already exports ./${snake}/v1`);
  }
  const index = readFileSync(join(root, 'libs/contracts/src/index.ts'), 'utf8');
  if (new RegExp(`\\b${camel}V1\\b`).test(index)) {
    throw new NewServiceError(`@nestmesh/contracts already has a namespace ${camel}V1`);
  }
}
