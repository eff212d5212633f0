import { setTimeout as sleep } from 'node:timers/promises';

import { isCluster, type RedisClient } from './redis.client.js';

/** Redirections and cluster states after which the pipeline is sent again. */
const REDIRECTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/;
/** How many times a redirected pipeline is sent again (as ioredis' maxRedirections). */
const MAX_RESENDS = 16;
/** Pause before resending after ASK, TRYAGAIN or CLUSTERDOWN (a migration or failover under way), in ms. */
const RESEND_DELAY_MS = 100;

/**
 * Runs a script and then `WAIT replicas waitMs` on the same connection (WAIT counts the writes
 * of its own connection), in one pipeline, which follows the script's keys to their node;
 * resolves with the script's answer and how many replicas acknowledged. ioredis does not
 * follow a redirection inside a pipeline whose other command succeeded (WAIT does, on any
 * node), so a redirected pipeline is sent again here: at once after MOVED, with the slot map
 * reread; 100 ms later after ASK, TRYAGAIN or CLUSTERDOWN. The caller's deadline bounds it.
 */
export async function evalThenWait(
  client: RedisClient,
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
  replicas: number,
  waitMs: number,
): Promise<{ answer: unknown; acknowledged: number }> {
  for (let sent = 1; ; sent++) {
    const results =
      (await client
        .pipeline()
        .eval(script, keys.length, ...keys, ...args)
        .wait(replicas, waitMs)
        .exec()) ?? [];
    const [[scriptError, answer] = [null, null], [waitError, acknowledged] = [null, 0]] = results;
    const redirected = scriptError !== null && REDIRECTED.test(scriptError.message);
    if (redirected && isCluster(client) && sent < MAX_RESENDS) {
      if (scriptError.message.startsWith('MOVED'))
        await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
      else await sleep(RESEND_DELAY_MS);
      continue;
    }
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    return { answer, acknowledged: Number(acknowledged) };
  }
}
