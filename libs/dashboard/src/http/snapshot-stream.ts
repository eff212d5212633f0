// Live updates over Server-Sent Events: one snapshot per refresh period, whatever the number
// of open pages (they all get the same serialized event), and one at once on connect.
import type { ServerResponse } from 'node:http';

/** A page that reads slower than this many buffered bytes is dropped (it reconnects). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export class SnapshotStream {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private latest: string | undefined;
  private collecting: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly collect: () => Promise<unknown>,
    private readonly refreshMs: number,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes over `response` as an event stream until the page leaves or the stream closes. */
  add(response: ServerResponse): void {
    if (this.closed) {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('the dashboard is shutting down\n');
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(`retry: ${this.refreshMs}\n\n`);
    this.clients.add(response);
    response.once('close', () => this.clients.delete(response));
    if (this.latest) response.write(this.latest);
    else void this.refresh();
    this.timer ??= setInterval(() => void this.refresh(), this.refreshMs);
  }

  /** Collects once and sends to every page; a round still running makes this a no-op. */
  refresh(): Promise<void> {
    if (this.clients.size === 0) {
      this.stopTimer();
      return Promise.resolve();
    }
    this.collecting ??= this.collect()
      .then((snapshot) => this.broadcast(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`))
      .catch(() => undefined)
      .finally(() => {
        this.collecting = undefined;
      });
    return this.collecting;
  }

  /** Ends every stream (the pages see the end; EventSource would retry, the server is going). */
  close(): void {
    this.closed = true;
    this.stopTimer();
    for (const response of this.clients) response.end();
    this.clients.clear();
  }

  private broadcast(event: string): void {
    if (this.closed) return;
    this.latest = event;
    for (const response of this.clients) {
      if (response.writableLength > MAX_BUFFERED_BYTES) response.destroy();
      else response.write(event);
    }
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    // An old snapshot is not "at once on connect" material once nobody watched for a while.
    this.latest = undefined;
  }
}
