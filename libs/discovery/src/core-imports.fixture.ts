// A process that imports @nestmesh/discovery, builds and closes the backend of one URL, while
// resolve-recorder.fixture.js writes every module it loads to <record file>.
//   node core-imports.fixture.js <record file> <discovery URL>
import { register } from 'node:module';

const [record, url] = process.argv.slice(2);
register(new URL('./resolve-recorder.fixture.js', import.meta.url), { data: { record } });
const { createDiscoveryBackend } = await import('@nestmesh/discovery');
const backend = await createDiscoveryBackend({ url });
await backend.close?.();
