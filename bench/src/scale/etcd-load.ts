// etcd's request rate during a burst, from its own Prometheus metrics (served on the client URL):
// the sum of grpc_server_handled_total (every gRPC request etcd finished: lease grants and
// revokes, puts, range reads, keep-alive streams' messages are not in it), sampled every 100 ms.
const SAMPLE_MS = 100;

async function handledTotal(endpoint: string): Promise<number> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('grpc_server_handled_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export interface EtcdLoad {
  /** Requests etcd handled between start and stop. */
  requests: number;
  /** The busiest 100 ms window, as requests per second. */
  peakPerSecond: number;
}

/** Samples etcd's handled-request counter until `stop()` resolves the totals. */
export async function sampleEtcdLoad(endpoint: string): Promise<{ stop(): Promise<EtcdLoad> }> {
  const first = await handledTotal(endpoint);
  let last = first;
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const before = performance.now();
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      // An overloaded etcd may reset the metrics request: that sample is skipped.
      const now = await handledTotal(endpoint).catch(() => last);
      peak = Math.max(peak, ((now - last) * 1_000) / (performance.now() - before));
      last = now;
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { requests: last - first, peakPerSecond: peak };
    },
  };
}
