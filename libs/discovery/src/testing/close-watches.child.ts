// A process that builds a discovery backend from a URL, registers two instances, opens three
// watches, deregisters one instance (as an app does before shutdown), then closes the backend.
// Every watch must end without an error, and the process must then exit by itself: a timer,
// socket or retry loop left behind keeps it running. Used by the contract suite.
//   node close-watches.child.js <url> <JSON list of modules to import first> <report after ms>
import { randomUUID } from 'node:crypto';

const [url, imports, reportAfterMs] = process.argv.slice(2);
for (const specifier of JSON.parse(imports) as string[]) await import(specifier);
const { createDiscoveryBackend } = await import('@nestmesh/discovery');

const backend = await createDiscoveryBackend({ url });
const service = `closing-${randomUUID().slice(0, 8)}`;
const [kept, left] = [7401, 7402].map((port) => ({
  id: `${service}-${port}`,
  name: service,
  address: '127.0.0.1',
  port,
  tags: [],
  metadata: {},
}));
await backend.register(kept);
await backend.register(left);
const endings: Promise<string>[] = [];
for (const name of [service, service, `${service}-none`]) {
  const iterator = backend.watch(name)[Symbol.asyncIterator]();
  await iterator.next(); // the first list: the watch is established
  endings.push(
    (async () => {
      let next = await iterator.next();
      while (!next.done) next = await iterator.next();
      return 'ended';
    })().catch((error: unknown) => `threw ${String(error)}`),
  );
}
await backend.deregister(left);
console.log(JSON.stringify({ event: 'closing' }));
const started = performance.now();
await backend.close?.();
const outcomes = await Promise.all(endings);
const afterClose = await new Promise<string>((resolve) => {
  const watch = backend.watch(service)[Symbol.asyncIterator]();
  watch.next().then(
    (next) => resolve(next.done ? 'ended' : 'yielded'),
    (error: unknown) => resolve(`threw ${String(error)}`),
  );
});
console.log(
  JSON.stringify({
    event: 'closed',
    outcomes,
    afterClose,
    endedInMs: Math.round(performance.now() - started),
  }),
);
// Says what still runs, should the process not exit; unref'd, so it keeps nothing alive itself.
setTimeout(
  () => console.error(`still running: ${process.getActiveResourcesInfo().join(', ')}`),
  Number(reportAfterMs),
).unref();
