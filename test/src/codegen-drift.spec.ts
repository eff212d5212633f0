import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const committed = join(root, 'libs/contracts/src/generated');

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .sort();
}

it('libs/contracts is exactly what `npm run proto` generates from proto/', () => {
  const out = mkdtempSync(join(tmpdir(), 'nestmesh-proto-'));
  try {
    execFileSync(process.execPath, [join(root, 'scripts/proto.mjs'), '--out', out], {
      cwd: root,
      stdio: 'pipe',
    });
    const fresh = join(out, 'src/generated');
    assert.deepEqual(files(committed), files(fresh), 'the same files (run `npm run proto` and commit)');
    for (const file of files(fresh)) {
      assert.equal(
        readFileSync(join(committed, file), 'utf8'),
        readFileSync(join(fresh, file), 'utf8'),
        `${file} drifted from proto/: run \`npm run proto\` and commit the result`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
