/**
 * Base of every error @nestmesh/coordination throws; `code` is stable, the message starts
 * `lock: ` or `election: `.
 */
export class CoordinationError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions & { area?: 'lock' | 'election' },
  ) {
    super(`${options?.area ?? 'lock'}: ${message}`, options);
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

/**
 * A `@Locked` or `@LeaderOnly` method was called on an instance that no app has bound to the
 * service that gates it — before the app initialised, or outside an app that imports the
 * module — so it did not run; or (at startup) such a method is on a request-scoped provider,
 * which cannot be bound.
 */
export class MethodNotBoundError extends CoordinationError {
  constructor(
    /** `Class.method`. */
    readonly method: string,
    readonly decorator: '@Locked' | '@LeaderOnly',
    detail: string,
  ) {
    super('METHOD_NOT_BOUND', `${method} is ${decorator}, but ${detail}`, {
      area: decorator === '@Locked' ? 'lock' : 'election',
    });
  }
}

/** Leader election options that cannot work together (checked at startup). */
export class InvalidElectionOptionsError extends CoordinationError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super('INVALID_OPTIONS', `option "${option}" ${message}`, { area: 'election' });
  }
}

/** The election backend could not be reached or did not answer in time. */
export class ElectionUnavailableError extends CoordinationError {
  constructor(
    readonly group: string,
    cause: unknown,
  ) {
    super(
      'ELECTION_UNAVAILABLE',
      `${group}: the election backend is unavailable (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause, area: 'election' },
    );
  }
}

/**
 * The reason a leadership's signal fires: the lease expired or was taken, could not be
 * confirmed by the renew deadline, the leader resigned, or the election was closed.
 */
export class LeadershipLostError extends CoordinationError {
  constructor(
    readonly group: string,
    readonly epoch: bigint,
    readonly why: 'expired' | 'unconfirmed' | 'resigned' | 'closed',
  ) {
    const reasons = {
      expired: 'the lease expired or another candidate took it',
      unconfirmed: 'the lease could not be confirmed before its renew deadline',
      resigned: 'the leader resigned',
      closed: 'the election was closed',
    } as const;
    super('LEADERSHIP_LOST', `${group}: leadership of epoch ${epoch} ended: ${reasons[why]}`, {
      area: 'election',
    });
  }
}

/** A `@LeaderOnly({ onFollower: 'throw' })` method was called on a follower. */
export class NotLeaderError extends CoordinationError {
  constructor(
    readonly group: string,
    readonly leader: string | undefined,
  ) {
    super('NOT_LEADER', `${group}: this instance is not the leader${leader ? ` (${leader} is)` : ''}`, {
      area: 'election',
    });
  }
}
