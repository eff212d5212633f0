// What `npm pack` makes of each lib under libs/ (and tool under tools/), and what its shipped files need: the helpers of
// packages.spec.ts and outside-consumer.e2e.spec.ts.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const run = promisify(execFile);

export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  description?: string;
  license?: string;
  repository?: { url?: string; directory?: string };
  engines?: Record<string, string>;
  publishConfig?: { access?: string };
  exports?: Record<string, string | Record<string, string>>;
  /** Commands the package installs (`nestmesh-grpc-health`): entry points as exports are. */
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export interface PackedLib {
  /** Its folder in the repository: `libs/grpc`, `tools/cli`. */
  folder: string;
  directory: string;
  manifest: PackageJson;
  /** Paths inside the tarball, relative to the package root, with `/` separators. */
  files: Set<string>;
  /** The tarball's file name (in the pack destination when packed for real). */
  filename: string;
}

/** The published packages' folders: the libs, and the tools (the nestmesh CLI). */
export function libFolders(): string[] {
  return ['libs', 'tools']
    .filter((group) => existsSync(join(repositoryRoot, group)))
    .flatMap((group) => readdirSync(join(repositoryRoot, group)).map((name) => `${group}/${name}`))
    .filter((folder) => existsSync(join(repositoryRoot, folder, 'package.json')));
}

/** A tool (tools/*) is an application: it owns its copy of what an app owns, unlike a lib. */
export const isTool = (lib: PackedLib): boolean => lib.folder.startsWith('tools/');

/**
 * Runs `npm pack --json` for every lib at once (`--dry-run` unless a destination is given, in
 * which case the tarballs are written there). npm is asked once: each start costs seconds.
 */
export async function packLibs(destination?: string): Promise<PackedLib[]> {
  const folders = libFolders();
  const args = ['pack', '--json', '--ignore-scripts', ...folders.map((folder) => `--workspace=${folder}`)];
  args.push(...(destination ? ['--pack-destination', destination] : ['--dry-run']));
  const { stdout } = await run('npm', args, { cwd: repositoryRoot, maxBuffer: 64 * 1024 * 1024 });
  const results = JSON.parse(stdout) as { name: string; filename: string; files: { path: string }[] }[];
  return folders.map((folder) => {
    const directory = join(repositoryRoot, folder);
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as PackageJson;
    const result = results.find((entry) => entry.name === manifest.name);
    if (!result) throw new Error(`npm pack gave nothing for ${manifest.name}`);
    return {
      folder,
      directory,
      manifest,
      filename: result.filename,
      files: new Set(result.files.map((file) => file.path)),
    };
  });
}

/** Every file an `exports` entry points at (conditions flattened), relative, `./` removed. */
export function exportTargets(manifest: PackageJson): string[] {
  const targets = Object.values(manifest.exports ?? {}).flatMap((target) =>
    typeof target === 'string' ? [target] : Object.values(target),
  );
  return targets.map((target) => posix.normalize(target));
}

const importPatterns = [
  /\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, // import x from '…', export * from '…'
  /\bimport\s*['"]([^'"]+)['"]/g, // import '…' (for its side effects)
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, // import('…'), also in .d.ts type positions
  /\bnew URL\(\s*['"](\.[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g, // a file run or read at runtime
];

/** The module specifiers a built .js or .d.ts file refers to (comments, where examples live, aside). */
export function specifiersOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return importPatterns.flatMap((pattern) => [...code.matchAll(pattern)].map((match) => match[1]));
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`; built-ins and relatives → undefined. */
export function packageNameOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/'))
    return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * The files of `lib` reachable from its `exports` through relative imports and
 * `new URL('./…', import.meta.url)`: what a user of the package can load. `.d.ts` files are
 * followed from the types targets, `.js` from the others.
 */
export function reachableFiles(lib: PackedLib): Set<string> {
  const reached = new Set<string>();
  const bins = Object.values(lib.manifest.bin ?? {}).map((target) => posix.normalize(target));
  const pending = [...exportTargets(lib.manifest), ...bins].filter((target) => target !== 'package.json');
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (reached.has(file)) continue;
    reached.add(file);
    const path = join(lib.directory, file);
    if (!existsSync(path)) continue;
    for (const specifier of specifiersOf(readFileSync(path, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = posix.join(posix.dirname(file), specifier);
      pending.push(file.endsWith('.d.ts') ? target.replace(/\.js$/, '.d.ts') : target);
    }
  }
  return reached;
}

/** The `sources` of a shipped source map, resolved to package-relative paths. */
export function mapSources(lib: PackedLib, mapFile: string): string[] {
  const map = JSON.parse(readFileSync(join(lib.directory, mapFile), 'utf8')) as {
    sourceRoot?: string;
    sources: string[];
  };
  return map.sources.map((source) =>
    normalize(posix.join(posix.dirname(mapFile), map.sourceRoot ?? '', source)).replaceAll('\\', '/'),
  );
}
