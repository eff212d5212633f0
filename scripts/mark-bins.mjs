// Marks every `bin` of the root package and its workspaces executable after `tsc -b`, which
// writes new files 0644. npm only sets the bit when it links a bin while installing: a fresh
// clone at a path npx has already linked into its cache (`npx nestmesh` at the repository root)
// would otherwise find the bin there and fail with "Permission denied".
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** @typedef {{ workspaces?: string[]; bin?: string | Record<string, string> }} Manifest */
/** @param {string} dir */
function manifest(dir) {
  /** @type {unknown} */
  const parsed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return /** @type {Manifest} */ (parsed);
}

const rootManifest = manifest(root);
const packageDirs = [root];
for (const pattern of rootManifest.workspaces ?? []) {
  if (!pattern.endsWith('/*')) {
    packageDirs.push(join(root, pattern));
    continue;
  }
  const parent = join(root, pattern.slice(0, -2));
  for (const entry of readdirSync(parent, { withFileTypes: true })) {
    if (entry.isDirectory() && existsSync(join(parent, entry.name, 'package.json'))) {
      packageDirs.push(join(parent, entry.name));
    }
  }
}

for (const dir of packageDirs) {
  const { bin } = manifest(dir);
  const targets = typeof bin === 'string' ? [bin] : Object.values(bin ?? {});
  for (const target of targets) {
    const file = join(dir, target);
    if (!existsSync(file)) {
      console.error(`mark-bins: ${file} (a bin of ${dir}) was not built`);
      process.exitCode = 1;
      continue;
    }
    chmodSync(file, statSync(file).mode | 0o111);
  }
}
