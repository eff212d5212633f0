import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '@nestmesh/testing';

import type { HeartbeatScheduler } from './consul.heartbeat.js';
import { ConsulRegistry } from './consul.registry.js';
import { fakeAgentForSuite, testInstance } from './fake-consul-agent.fixture.js';

/** Runs heartbeats on a clock the test moves; `advance` waits for each beat's request. */
class ManualClock {
  private nowMs = 0;
  private readonly timers = new Set<{ beat: () => Promise<void>; intervalMs: number; dueMs: number }>();

  readonly schedule: HeartbeatScheduler = (beat, intervalMs) => {
    const timer = { beat, intervalMs, dueMs: this.nowMs + intervalMs };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  };

  get scheduled(): number {
    return this.timers.size;
  }

  async advance(ms: number): Promise<void> {
    const end = this.nowMs + ms;
    for (;;) {
      const due = [...this.timers].filter((timer) => timer.dueMs <= end).sort((a, b) => a.dueMs - b.dueMs)[0];
      if (!due) break;
      this.nowMs = due.dueMs;
      due.dueMs += due.intervalMs;
      await due.beat();
    }
    this.nowMs = end;
  }
}

describe('consul TTL checks (stand-in agent)', { timeout: 30_000 }, () => {
  const { agent, host: agentHost } = fakeAgentForSuite();

  it('TTL mode registers a TTL check and passes it while the app says it is healthy, fails it when not', async () => {
    let healthy = true;
    const registry = new ConsulRegistry({ host: agentHost(), check: 'ttl', ttlMs: 300 });
    const one = testInstance();
    await registry.register(one, { healthy: () => healthy });
    const [request] = agent.requestsTo('/v1/agent/service/register');
    assert.deepEqual((request.body as { Check: unknown }).Check, {
      TTL: '300ms',
      Status: 'passing', // healthy at registration: passing at once, not after the first beat
      DeregisterCriticalServiceAfter: '60s',
    });
    await waitFor(() => agent.requestsTo(`/v1/agent/check/pass/service:${one.id}`).length >= 2, {
      description: 'heartbeats',
    });
    healthy = false;
    await waitFor(() => agent.requestsTo(`/v1/agent/check/fail/service:${one.id}`).length >= 1, {
      description: 'a failing heartbeat',
    });
    await registry.deregister(one);
    const beats = agent.requestsTo('/v1/agent/check/').length;
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(agent.requestsTo('/v1/agent/check/').length, beats, 'no heartbeat after deregistering');
    await registry.close();
  });

  it('registering the same instance again replaces its heartbeat: one beat per interval per check id (manual clock)', async () => {
    const clock = new ManualClock();
    const ttlMs = 3000;
    const registry = new ConsulRegistry({
      host: agentHost(),
      check: 'ttl',
      ttlMs,
      heartbeatScheduler: clock.schedule,
    });
    const one = testInstance();
    const beats = () => agent.requestsTo(`/v1/agent/check/pass/service:${one.id}`).length;
    await registry.register(one);
    await registry.register(one);
    await waitFor(() => beats() === 2, { description: 'the first beat of each registration' });
    const intervals = 5;
    await clock.advance(intervals * (ttlMs / 3));
    assert.equal(clock.scheduled, 1, 'one heartbeat scheduled for the check');
    assert.equal(beats(), 2 + intervals, `one beat per ${ttlMs / 3} ms interval, not one per registration`);
    await registry.deregister(one);
    assert.equal(clock.scheduled, 0, 'deregister stops the heartbeat');
    await registry.register(one);
    await registry.close();
    assert.equal(clock.scheduled, 0, 'close() stops every heartbeat');
  });
});
