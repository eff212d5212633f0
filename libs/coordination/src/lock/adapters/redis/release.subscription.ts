import { isCluster, type RedisClient } from './redis.client.js';

/**
 * The subscriber connection on which a RedisLockBackend hears announced releases (elections):
 * made on first use, kept so that close() ends it even while it is still connecting (else,
 * with Redis away, it would reconnect for ever). ioredis resubscribes after reconnects.
 */
export class ReleaseSubscription {
  private subscriber: RedisClient | undefined;
  /** Resolves once `subscriber` listens on the channel; settles once. */
  private subscription: Promise<void> | undefined;
  private listening = false;
  private closed = false;

  constructor(
    private readonly client: RedisClient,
    private readonly channel: string,
    /** How long a caller waits for a subscription that is not there yet, in ms. */
    private readonly timeoutMs: number,
    /** Called with the lock key of each announced release. */
    private readonly onRelease: (lockKey: string) => void,
  ) {}

  /**
   * Resolves once the channel is listened on. While it is not yet (Redis away at first use),
   * waits no longer than `timeoutMs`, nor past `ended`; the timer that bounds the wait is
   * cleared whichever comes first, and none is armed once listening.
   */
  ready(ended: AbortSignal): Promise<void> {
    if (this.listening) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('the Redis client is closed'));
    this.subscription ??= this.subscribe();
    const subscription = this.subscription;
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        ended.removeEventListener('abort', onEnded);
        if (error) reject(error);
        else resolve();
      };
      const onEnded = (): void => finish(new Error('the wait ended'));
      const timer = setTimeout(() => finish(new Error('not subscribed yet')), this.timeoutMs);
      ended.addEventListener('abort', onEnded, { once: true });
      void subscription.then(
        () => finish(),
        (error: unknown) => finish(error instanceof Error ? error : new Error('could not subscribe')),
      );
    });
  }

  close(): void {
    this.closed = true;
    this.subscriber?.disconnect();
  }

  private subscribe(): Promise<void> {
    // A subscriber waits for its connection (offline queue) and retries for as long as it lives.
    const subscriber = isCluster(this.client)
      ? this.client.duplicate(undefined, {
          enableOfflineQueue: true,
          redisOptions: { ...this.client.options.redisOptions, maxRetriesPerRequest: null },
        })
      : this.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, lockKey: string) => this.onRelease(lockKey));
    return subscriber.subscribe(this.channel).then(() => {
      this.listening = true;
    });
  }
}
