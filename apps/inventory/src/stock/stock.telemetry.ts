import { SpanKind, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { declareFencedStore, recordFencingRejection, type FencingRejection } from '@nestmesh/coordination';
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_SUMMARY,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  DB_SYSTEM_NAME_VALUE_REDIS,
  meshTracer,
} from '@nestmesh/telemetry';
import { isCluster, type RedisClient } from '@nestmesh/coordination/redis';

const tracer = meshTracer('@nestmesh/inventory');

/** The store's name in `nestmesh.fencing.rejected` and its span events. */
export const STOCK_STORE = 'inventory.stock';

/** The stock store's Lua scripts, by the `db.query.summary` their spans carry. */
export type StockScript = 'fenced-read' | 'fenced-write' | 'restock' | 'add' | 'confirm';

/** What a script's answer was refused for, if it was (the store throws after the span ends). */
export type Refusal = Omit<FencingRejection, 'store'> | undefined;

/**
 * The CLIENT span of each fenced script call, made here whether or not ioredis
 * auto-instrumentation is on (when it is, its own `eval` span nests under this one). Names
 * and attributes follow the database conventions: the span is named by `db.query.summary`
 * (`EVAL fenced-write`), with `db.system.name` redis, `db.operation.name` EVAL, the database
 * index as `db.namespace`, and the server's address and port. Attribute objects are built
 * once per store.
 */
export class StockScriptTelemetry {
  private readonly attributes: Record<StockScript, Attributes>;

  constructor(redis: RedisClient) {
    // Locks fence its reads and writes by token, the restock job's by leadership epoch.
    declareFencedStore(STOCK_STORE, ['token', 'epoch']);
    // A cluster has no one server (each script runs on its slot's primary) and one database.
    const { host = 'localhost', port = 6379, db = 0 } = isCluster(redis) ? { db: 0 } : redis.options;
    const common: Attributes = {
      [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_REDIS,
      [ATTR_DB_OPERATION_NAME]: 'EVAL',
      [ATTR_DB_NAMESPACE]: String(db),
      ...(isCluster(redis) ? {} : { [ATTR_SERVER_ADDRESS]: host, [ATTR_SERVER_PORT]: port }),
    };
    const of = (script: StockScript): Attributes => ({
      ...common,
      [ATTR_DB_QUERY_SUMMARY]: `EVAL ${script}`,
    });
    this.attributes = {
      'fenced-read': of('fenced-read'),
      'fenced-write': of('fenced-write'),
      restock: of('restock'),
      add: of('add'),
      confirm: of('confirm'),
    };
  }

  /**
   * Runs `call` (one EVAL of `script`) in its span. `refusal(answer)` says whether the answer
   * is a fencing rejection: it is then counted and told as a `fencing.rejected` event on the
   * span. A Redis error ends the span with an error status and its type.
   */
  run<T>(script: StockScript, call: () => Promise<T>, refusal: (answer: T) => Refusal): Promise<T> {
    const attributes = this.attributes[script];
    return tracer.startActiveSpan(
      attributes[ATTR_DB_QUERY_SUMMARY] as string,
      { kind: SpanKind.CLIENT, attributes },
      (span) =>
        call().then(
          (answer) => {
            const refused = refusal(answer);
            if (refused) recordFencingRejection({ store: STOCK_STORE, ...refused });
            span.end();
            return answer;
          },
          (error: unknown) => {
            failed(span, error);
            throw error;
          },
        ),
    );
  }
}

function failed(span: Span, error: unknown): void {
  if (span.isRecording()) {
    span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.name : 'unknown');
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }
  span.end();
}
