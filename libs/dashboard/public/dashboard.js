// The page: one EventSource on ./events (a snapshot per refresh period), tabs by URL hash,
// and the waterfall of the trace named by #trace/<id>.
import { note, show } from './dom.js';
import { renderBackends, renderLeaders, renderRed, renderServices, renderTraces } from './views.js';
import { renderWaterfall } from './waterfall.js';

const status = document.getElementById('status');
const panels = Object.fromEntries(
  [...document.querySelectorAll('[data-view-panel]')].map((panel) => [panel.dataset.viewPanel, panel]),
);
let snapshot;
let openedTrace;

function route() {
  const hash = location.hash.slice(1);
  if (hash.startsWith('trace/')) return { view: 'traces', traceId: hash.slice('trace/'.length) };
  return { view: panels[hash] ? hash : 'services' };
}

function render() {
  const { view } = route();
  for (const [name, panel] of Object.entries(panels)) panel.hidden = name !== view;
  for (const link of document.querySelectorAll('nav a'))
    link.classList.toggle('active', link.dataset.view === view);
  if (!snapshot) return;
  renderServices(panels.services, snapshot);
  renderLeaders(panels.leaders, snapshot);
  renderRed(panels.red, snapshot);
  renderTraces(
    document.getElementById('trace-list'),
    snapshot,
    (traceId) => (location.hash = `trace/${traceId}`),
    openedTrace,
  );
  renderBackends(document.getElementById('backends'), snapshot);
}

async function openTrace(traceId) {
  openedTrace = traceId;
  const container = document.getElementById('waterfall');
  show(container, note('Loading the trace from every instance…'));
  try {
    const response = await fetch(`./api/traces/${encodeURIComponent(traceId)}`);
    const trace = await response.json();
    if (openedTrace !== traceId) return;
    if (!trace.spans) show(container, note(trace.message ?? `trace ${traceId}: ${response.status}`, 'error'));
    else renderWaterfall(container, trace);
  } catch (error) {
    show(container, note(`Could not load the trace: ${error}`, 'error'));
  }
  render();
}

function onRoute() {
  const { traceId } = route();
  if (traceId && traceId !== openedTrace) void openTrace(traceId);
  render();
}

const events = new EventSource('./events');
events.addEventListener('snapshot', (event) => {
  snapshot = JSON.parse(event.data);
  status.textContent = `live · updated ${new Date(snapshot.generatedAt).toLocaleTimeString()}`;
  status.className = 'status live';
  render();
});
events.addEventListener('error', () => {
  status.textContent = 'disconnected · retrying…';
  status.className = 'status down';
});
window.addEventListener('hashchange', onRoute);
onRoute();
