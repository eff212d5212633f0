// The edits a new service makes to files the repository already has: the contracts' subpath
// export and namespace, the TypeScript project references, nest-cli.json, the npm workspaces
// and package-lock.json. Each takes the file's current text and returns its new text; nothing
// here writes.

/** @typedef {import('./names.mjs').ServiceNames} ServiceNames */
/** @typedef {Record<string, unknown>} JsonObject */

import { NewServiceError } from './names.mjs';

/** @param {string} text */
function parse(text) {
  /** @type {unknown} */
  const value = JSON.parse(text);
  return /** @type {JsonObject} */ (value);
}
// The repository's JSON files (but nest-cli.json) are exactly JSON.stringify(…, null, 2) + "\n",
// as npm writes package-lock.json, so a parsed-and-rewritten file differs only where edited.
/** @param {unknown} value */
const stringify = (value) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Returns `object` with `key: value` inserted before the first key that sorts after it (in
 * npm's order, which the existing keys follow).
 * @param {JsonObject} object
 * @param {string} key
 * @param {unknown} value
 */
function insertSorted(object, key, value) {
  const entries = Object.entries(object);
  const at = entries.findIndex(([existing]) => existing.localeCompare(key, 'en') > 0);
  entries.splice(at < 0 ? entries.length : at, 0, [key, value]);
  return Object.fromEntries(entries);
}

/**
 * libs/contracts/package.json: the `./<snake>/v1` subpath, after the existing ones.
 * @param {string} text
 * @param {ServiceNames} names
 */
export function contractsPackageJson(text, { snake }) {
  const manifest = parse(text);
  const generated = `./dist/generated/${snake}/v1/${snake}`;
  manifest.exports = {
    .../** @type {JsonObject} */ (manifest.exports),
    [`./${snake}/v1`]: { types: `${generated}.d.ts`, default: `${generated}.js` },
  };
  return stringify(manifest);
}

/**
 * libs/contracts/src/index.ts: `export * as <camel>V1 from …`, among the namespace exports in
 * alphabetical order.
 * @param {string} text
 * @param {ServiceNames} names
 */
export function contractsIndexTs(text, { snake, camel }) {
  const line = `export * as ${camel}V1 from './generated/${snake}/v1/${snake}.js';`;
  const lines = text.split('\n');
  const namespaces = lines
    .map((existing, index) => ({ existing, index }))
    .filter(({ existing }) => existing.startsWith('export * as '));
  if (namespaces.length === 0) {
    throw new NewServiceError(
      'libs/contracts/src/index.ts has no `export * as` line to add the namespace beside',
    );
  }
  const after = namespaces.find(({ existing }) => existing.localeCompare(line, 'en') > 0);
  lines.splice(after ? after.index : namespaces[namespaces.length - 1].index + 1, 0, line);
  return lines.join('\n');
}

/**
 * tsconfig.json (root): a reference to apps/<name>, after the other apps.
 * @param {string} text
 * @param {ServiceNames} names
 */
export function rootTsconfigJson(text, { name }) {
  const config = parse(text);
  const references = /** @type {{ path: string }[]} */ (config.references ?? []);
  const lastApp = references.findLastIndex((reference) => reference.path.startsWith('apps/'));
  references.splice(lastApp + 1, 0, { path: `apps/${name}` });
  config.references = references;
  return stringify(config);
}

/**
 * nest-cli.json: the app as a project. Edited as text (it is hand-formatted, prettier keeps it
 * so) and checked by parsing the result.
 * @param {string} text
 * @param {ServiceNames} names
 */
export function nestCliJson(text, { name }) {
  const marker = '"projects": {';
  const at = text.indexOf(marker);
  if (at < 0) throw new NewServiceError('nest-cli.json has no "projects" object');
  const project =
    `\n    ${JSON.stringify(name)}: { "type": "application", "root": "apps/${name}", ` +
    `"sourceRoot": "apps/${name}/src", "entryFile": "main" },`;
  const edited = text.slice(0, at + marker.length) + project + text.slice(at + marker.length);
  const projects = /** @type {JsonObject} */ (parse(edited).projects);
  if (!projects[name]) throw new NewServiceError('could not add the project to nest-cli.json');
  return edited;
}

/**
 * package.json (root): apps/<name> in `workspaces`, unless a pattern there already covers it.
 * Returns undefined when nothing changes.
 * @param {string} text
 * @param {ServiceNames} names
 */
export function rootPackageJson(text, { name }) {
  const manifest = parse(text);
  const workspaces = /** @type {string[]} */ (manifest.workspaces ?? []);
  if (workspaces.some((pattern) => pattern === `apps/${name}` || pattern === 'apps/*')) return undefined;
  manifest.workspaces = [...workspaces, `apps/${name}`];
  return stringify(manifest);
}

/**
 * package-lock.json: the workspace and its link in node_modules, the two entries `npm install`
 * adds for a new workspace package without dependencies, so `npm ci` accepts the lockfile.
 * @param {string} text
 * @param {ServiceNames} names
 */
export function packageLockJson(text, { name }) {
  const lock = parse(text);
  let packages = /** @type {JsonObject} */ (lock.packages);
  const root = /** @type {JsonObject | undefined} */ (packages['']);
  const workspaces = /** @type {string[]} */ (root?.workspaces ?? []);
  if (!workspaces.some((pattern) => pattern === `apps/${name}` || pattern === 'apps/*')) {
    packages[''] = { ...root, workspaces: [...workspaces, `apps/${name}`] };
  }
  packages = insertSorted(packages, `apps/${name}`, { name: `@nestmesh/${name}`, version: '0.1.0' });
  packages = insertSorted(packages, `node_modules/@nestmesh/${name}`, {
    resolved: `apps/${name}`,
    link: true,
  });
  lock.packages = packages;
  return stringify(lock);
}
