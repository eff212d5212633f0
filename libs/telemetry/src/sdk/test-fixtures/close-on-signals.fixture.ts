// An app process for the closeOnSignals spec: `node close-on-signals.fixture.js <mode>` with the
// OTEL_* variables in its environment. It prints `ready` once closeOnSignals is installed; on a
// stop signal its close() records a span (as a draining app does), then resolves (`ok`) or
// throws (`throw`).
import { meshTracer } from '../../mesh-telemetry.js';
import { closeOnSignals } from '../close-on-signals.js';
import { startTelemetry } from '../start-telemetry.js';

const [mode] = process.argv.slice(2);
const telemetry = await startTelemetry({ serviceName: 'fixture' });
// Keeps the process alive until a signal ends it, as an app's servers do.
const alive = setInterval(() => undefined, 60_000);
closeOnSignals(telemetry, async () => {
  clearInterval(alive);
  meshTracer('fixture').startSpan('drained').end();
  await Promise.resolve();
  if (mode === 'throw') throw new Error('close failed');
});
console.log('ready');
