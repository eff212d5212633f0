// The waterfall of one trace across services: a row per span, nested under its parent, a bar
// placed by start time and sized by duration, a colour per service; a click shows the span's
// status, attributes and events. Error spans are marked.
import { h, note, show, table } from './dom.js';
import { milliseconds } from './format.js';

const PALETTE = ['#2f6fd1', '#d9822b', '#2e9e6a', '#8e44ad', '#c0392b', '#16a2b8', '#7f8c2d', '#b4487d'];

/** Spans in tree order (each after its parent), with their depth; orphans start at depth 0. */
export function treeOrder(spans) {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map();
  const roots = [];
  for (const span of spans) {
    if (span.parentSpanId && ids.has(span.parentSpanId)) {
      const siblings = children.get(span.parentSpanId) ?? [];
      siblings.push(span);
      children.set(span.parentSpanId, siblings);
    } else {
      roots.push(span);
    }
  }
  const ordered = [];
  const visit = (span, depth) => {
    ordered.push({ span, depth });
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return ordered;
}

function coloursOf(spans) {
  const colours = new Map();
  for (const span of spans)
    if (!colours.has(span.service)) colours.set(span.service, PALETTE[colours.size % PALETTE.length]);
  return colours;
}

function valueText(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function details(span) {
  const attributes = Object.entries(span.attributes);
  return h(
    'div',
    { class: 'span-details', dataset: { spanId: span.spanId } },
    h('h3', {}, span.name),
    h(
      'p',
      {},
      `${span.service} · ${span.kind} · ${milliseconds(span.durationMs)} · status ${span.status.code}`,
      span.status.message ? ` (${span.status.message})` : '',
    ),
    attributes.length
      ? table(
          ['Attribute', 'Value'],
          attributes.map(([key, value]) =>
            h('tr', {}, h('td', { class: 'mono' }, key), h('td', { class: 'mono' }, valueText(value))),
          ),
        )
      : note('No attributes.'),
    span.events.length
      ? table(
          ['Event', 'At', 'Attributes'],
          span.events.map((event) =>
            h(
              'tr',
              {},
              h('td', {}, event.name),
              h('td', {}, `+${milliseconds(event.timeMs - span.startTimeMs)}`),
              h(
                'td',
                { class: 'mono' },
                Object.entries(event.attributes)
                  .map(([key, value]) => `${key}=${valueText(value)}`)
                  .join(' '),
              ),
            ),
          ),
        )
      : undefined,
  );
}

/** Renders `trace` ({ traceId, spans, sources }) into `container`. */
export function renderWaterfall(container, trace) {
  if (trace.spans.length === 0)
    return show(container, note(`No source holds spans of trace ${trace.traceId} (any more).`));
  const start = Math.min(...trace.spans.map((span) => span.startTimeMs));
  const end = Math.max(...trace.spans.map((span) => span.startTimeMs + span.durationMs));
  const total = Math.max(end - start, 0.001);
  const colours = coloursOf(trace.spans);
  const panel = h('div', { class: 'span-panel' }, note('Click a span for its attributes and events.'));
  const rows = treeOrder(trace.spans).map(({ span, depth }) => {
    const error = span.status.code === 'ERROR';
    const row = h(
      'div',
      {
        class: `span-row${error ? ' error' : ''}`,
        role: 'button',
        tabindex: '0',
        dataset: { spanId: span.spanId, service: span.service, depth: String(depth) },
        on: {
          click: () => {
            for (const other of container.querySelectorAll('.span-row.selected'))
              other.classList.remove('selected');
            row.classList.add('selected');
            show(panel, details(span));
          },
          keydown: (event) => event.key === 'Enter' && row.click(),
        },
      },
      h(
        'div',
        { class: 'span-label', style: { 'padding-left': `${depth * 14 + 4}px` } },
        error ? h('span', { class: 'error-mark', title: 'error' }, '!') : undefined,
        h('span', { class: 'span-name' }, span.name),
        h('span', { class: 'span-service', style: { color: colours.get(span.service) } }, span.service),
      ),
      h(
        'div',
        { class: 'span-track' },
        h('div', {
          class: 'span-bar',
          style: {
            left: `${((span.startTimeMs - start) / total) * 100}%`,
            width: `${Math.max((span.durationMs / total) * 100, 0.3)}%`,
            background: colours.get(span.service),
          },
        }),
        h('span', { class: 'span-duration' }, milliseconds(span.durationMs)),
      ),
    );
    return row;
  });
  const failed = trace.sources.filter((source) => !source.ok);
  show(
    container,
    h(
      'div',
      { class: 'trace-head' },
      h('h2', {}, 'Trace ', h('span', { class: 'mono' }, trace.traceId)),
      h(
        'p',
        { class: 'legend' },
        `${trace.spans.length} spans · ${milliseconds(total)} · `,
        [...colours].map(([service, colour]) =>
          h(
            'span',
            { class: 'legend-item' },
            h('span', { class: 'swatch', style: { background: colour } }),
            service,
          ),
        ),
      ),
    ),
    failed.length
      ? note(`Not read: ${failed.map((source) => `${source.id} (${source.error})`).join('; ')}`, 'error')
      : undefined,
    h(
      'div',
      { class: 'trace-body' },
      h('div', { class: 'waterfall', dataset: { traceId: trace.traceId } }, rows),
      panel,
    ),
  );
}
