/** Base of every error @nestmesh/coordination throws; `code` is stable, the message starts `lock: `. */
export class CoordinationError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`lock: ${message}`, options);
    this.name = new.target.name;
  }
}

/** Another owner holds the lock (tryAcquire, or acquire after its wait). Retry later. */
export class LockHeldError extends CoordinationError {
  constructor(readonly key: string) {
    super('LOCK_HELD', `${key} is held by another owner`);
  }
}

/** The lock backend could not be reached or did not answer in time; nothing was granted. */
export class LockUnavailableError extends CoordinationError {
  constructor(
    readonly key: string,
    cause: unknown,
    /** Quorum mode: what each node answered. */
    readonly nodes: readonly string[] = [],
  ) {
    super(
      'LOCK_UNAVAILABLE',
      `${key}: the lock backend is unavailable (${cause instanceof Error ? cause.message : String(cause)})`,
      {
        cause,
      },
    );
  }
}

/** The reason a lock's signal fires: the lease expired, was taken, could not be confirmed in time, or was held too long. */
export class LockLostError extends CoordinationError {
  constructor(
    readonly key: string,
    readonly why: 'expired' | 'unconfirmed' | 'max-hold' | 'released',
  ) {
    const reasons = {
      expired: 'the lease expired or another owner took it',
      unconfirmed: 'the lease could not be confirmed before its renew deadline',
      'max-hold': 'the lock was held longer than maxHoldMs',
      released: 'the lock was released',
    } as const;
    super('LOCK_LOST', `${key}: ${reasons[why]}`);
  }
}

export class InvalidLockOptionsError extends CoordinationError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super('INVALID_OPTIONS', `option "${option}" ${message}`);
  }
}
