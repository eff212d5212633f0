// Writes a computed set of file changes, all or nothing: if one write fails, every file written
// before it is restored (or removed) and every folder it created is removed again.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** @typedef {{ path: string, existed: boolean, previous: Buffer | undefined }} Written */

/**
 * A file's content, or undefined when there is no file at `path`.
 * @param {string} path
 */
export function readIfFile(path) {
  return existsSync(path) && statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
}

/**
 * Applies `changes` (path relative to `root` → new content, or null to delete) in order.
 * @param {string} root
 * @param {Map<string, string | null>} changes
 */
export function applyChanges(root, changes) {
  /** @type {Written[]} */
  const written = [];
  /** @type {string[]} */
  const createdFolders = [];
  try {
    for (const [relative, content] of changes) {
      const path = join(root, relative);
      const existed = existsSync(path);
      const previous = existed && statSync(path).isFile() ? readFileSync(path) : undefined;
      written.push({ path, existed, previous });
      if (content === null) {
        rmSync(path, { force: true });
        continue;
      }
      const created = mkdirSync(dirname(path), { recursive: true });
      if (created) createdFolders.push(created);
      writeFileSync(path, content);
    }
  } catch (error) {
    rollBack(written, createdFolders);
    throw error;
  }
}

/**
 * @param {Written[]} written
 * @param {string[]} createdFolders
 */
function rollBack(written, createdFolders) {
  for (const { path, existed, previous } of written.reverse()) {
    if (previous !== undefined) writeFileSync(path, previous);
    else if (!existed) rmSync(path, { force: true });
    // else: something that is not a file was in the way; the write failed on it, left as it was
  }
  // Only folders this run created, which hold only files it wrote: removing them whole is safe.
  for (const folder of createdFolders.reverse()) rmSync(folder, { recursive: true, force: true });
}
