// The views of one snapshot: services and instances, leaders and locks, RED figures, traces.
import { h, note, show, table } from './dom.js';
import { ago, clock, milliseconds, percent, rate } from './format.js';

function failure(section, what) {
  return section.error ? note(`${what} unavailable: ${section.error}`, 'error') : undefined;
}

function metadataList(metadata) {
  const entries = Object.entries(metadata);
  if (entries.length === 0) return '—';
  return h(
    'dl',
    { class: 'metadata' },
    entries.map(([key, value]) => [h('dt', {}, key), h('dd', {}, value)]),
  );
}

export function renderServices(container, snapshot) {
  const { services, sources } = snapshot;
  const byId = new Map(sources.map((source) => [source.id, source]));
  const blocks = services.items.map((service) =>
    h(
      'article',
      { class: 'service', dataset: { service: service.name } },
      h('h2', {}, service.name, h('span', { class: 'count' }, `${service.instances.length} instance(s)`)),
      table(
        ['Instance', 'Address', 'Health', 'Registered', 'Telemetry', 'Tags / metadata'],
        service.instances.map((instance) => {
          const source = byId.get(instance.id);
          return h(
            'tr',
            { dataset: { instanceId: instance.id, health: instance.health } },
            h('td', { class: 'mono' }, instance.id),
            h('td', { class: 'mono' }, `${instance.address}:${instance.port}`),
            h(
              'td',
              {},
              h('span', { class: `badge ${instance.health}`, title: instance.healthDetail }, instance.health),
            ),
            h('td', { title: instance.registeredAt }, ago(instance.registeredAt)),
            h(
              'td',
              {},
              source
                ? h(
                    'span',
                    {
                      class: `badge ${source.ok ? 'passing' : 'critical'}`,
                      title: source.error ?? source.from,
                    },
                    source.ok ? 'read' : 'failed',
                  )
                : '—',
            ),
            h(
              'td',
              {},
              instance.tags.length ? h('div', { class: 'tags' }, instance.tags.join(', ')) : undefined,
              metadataList(instance.metadata),
            ),
          );
        }),
      ),
    ),
  );
  const failedSources = sources.filter((source) => !source.ok);
  show(
    container,
    failure(services, 'The registry'),
    services.items.length === 0 && !services.error ? note('No service is registered.') : undefined,
    blocks,
    failedSources.length
      ? h(
          'aside',
          { class: 'sources' },
          h('h3', {}, 'Telemetry sources that did not answer'),
          h(
            'ul',
            {},
            failedSources.map((source) => h('li', {}, `${source.id} (${source.from}): ${source.error}`)),
          ),
        )
      : undefined,
  );
}

export function renderLeaders(container, snapshot) {
  const { leaders, locks } = snapshot;
  const groups = leaders.items.map((group) =>
    h(
      'article',
      {
        class: 'group',
        dataset: {
          group: group.group,
          leader: group.leader?.candidateId ?? '',
          epoch: group.leader?.epoch ?? '',
        },
      },
      h('h3', {}, group.group),
      group.leader
        ? h(
            'p',
            { class: 'leader' },
            'Leader ',
            h('strong', { class: 'mono' }, group.leader.candidateId),
            ' · epoch ',
            h('strong', { class: 'epoch' }, group.leader.epoch),
            ` · since ${clock(group.leader.since ?? group.leader.seenAt)}`,
          )
        : h('p', { class: 'leader none' }, `No leader now (last epoch ${group.lastEpoch})`),
      group.error ? note(group.error, 'error') : undefined,
      table(
        ['Epoch', 'Leader', 'Since', 'Seen'],
        group.history.map((entry) =>
          h(
            'tr',
            {},
            h('td', {}, entry.epoch),
            h('td', { class: 'mono' }, entry.candidateId),
            h('td', {}, clock(entry.since)),
            h('td', {}, clock(entry.seenAt)),
          ),
        ),
        { class: 'history' },
      ),
    ),
  );
  show(
    container,
    h('h2', {}, 'Leaders'),
    failure(leaders, 'Elections'),
    leaders.items.length === 0 && !leaders.error ? note('No election group has elected yet.') : undefined,
    h('div', { class: 'groups' }, groups),
    h('h2', {}, 'Held locks'),
    failure(locks, 'Locks'),
    locks.items.length === 0 && !locks.error
      ? note('No lock is held.')
      : table(
          ['Key', 'Owner', 'Fencing token', 'Lease left'],
          locks.items.map((lock) =>
            h(
              'tr',
              { dataset: { lock: lock.key } },
              h('td', { class: 'mono' }, lock.key),
              h('td', { class: 'mono' }, lock.owner),
              h('td', {}, lock.fencingToken),
              h('td', {}, milliseconds(lock.remainingMs)),
            ),
          ),
          { class: 'locks' },
        ),
  );
}

export function renderRed(container, snapshot) {
  const rows = snapshot.red.map((row) =>
    h(
      'tr',
      {
        dataset: { method: row.method, kind: row.kind },
        class: row.errorRatio > 0 ? 'has-errors' : undefined,
      },
      h('td', {}, row.service),
      h('td', {}, row.kind),
      h('td', { class: 'mono' }, row.method),
      h('td', { class: 'number' }, rate(row.ratePerSecond)),
      h('td', { class: 'number' }, percent(row.errorRatio)),
      h('td', { class: 'number' }, milliseconds(row.p50Ms)),
      h('td', { class: 'number' }, milliseconds(row.p99Ms)),
      h('td', { class: 'number' }, row.instances),
    ),
  );
  show(
    container,
    h('h2', {}, 'RPC methods: rate, errors, duration'),
    h(
      'p',
      { class: 'hint' },
      `Over the last ${milliseconds(snapshot.refreshMs)}, every instance whose telemetry answered; percentiles from the duration histograms' buckets.`,
    ),
    rows.length === 0
      ? note('No RPC in the last period (figures need two scrapes of an instance).')
      : table(['Service', 'Side', 'Method', 'Rate', 'Errors', 'p50', 'p99', 'Instances'], rows, {
          class: 'red',
        }),
  );
}

export function renderTraces(container, snapshot, openTrace, openedId) {
  const rows = snapshot.traces.map((trace) =>
    h(
      'tr',
      {
        class: `${trace.errors > 0 ? 'has-errors' : ''} ${trace.traceId === openedId ? 'opened' : ''}`,
        dataset: { traceId: trace.traceId },
        on: { click: () => openTrace(trace.traceId) },
      },
      h('td', {}, h('a', { href: `#trace/${trace.traceId}` }, trace.root)),
      h('td', {}, trace.services.join(', ')),
      h('td', { class: 'number' }, trace.spanCount),
      h('td', { class: 'number' }, trace.errors),
      h('td', { class: 'number' }, milliseconds(trace.durationMs)),
      h('td', {}, clock(new Date(trace.startTimeMs).toISOString())),
    ),
  );
  show(
    container,
    h('h2', {}, 'Recent traces'),
    rows.length === 0
      ? note('No trace is kept (traces are buffered in process when no OTLP exporter is set).')
      : h(
          'div',
          { class: 'scroll' },
          table(['Root', 'Services', 'Spans', 'Errors', 'Duration', 'Started'], rows, { class: 'traces' }),
        ),
  );
}

export function renderBackends(container, snapshot) {
  const { discovery, election, lock } = snapshot.backends;
  show(
    container,
    `discovery ${discovery} · elections ${election} · locks ${lock} · refresh ${milliseconds(snapshot.refreshMs)}`,
  );
}
