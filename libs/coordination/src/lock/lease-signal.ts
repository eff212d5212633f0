/**
 * A lease whose state is a function of its clock: past its renew deadline it is lost, whether
 * or not a timer has told it yet.
 */
export interface DeadlineChecked {
  /** Ends the lease (its signal fires, `why: 'unconfirmed'`) if its renew deadline has passed. */
  checkDeadline(): void;
}

const owner = Symbol('nestmesh.coordination.lease');
type LeaseSignal = AbortSignal & { [owner]: DeadlineChecked };

// An AbortSignal is a platform object: it cannot be subclassed or constructed, and its getters
// (on AbortSignal.prototype) read internal state. Own accessors on the instance shadow them:
// they run the lease's deadline check first — which aborts the signal if the deadline has
// passed, firing its 'abort' event there and then — and then answer from the prototype's,
// taken once from its property descriptors and called on the signal.
const signalPrototype = Object.getOwnPropertyDescriptors(AbortSignal.prototype);
const abortedOf = signalPrototype.aborted.get!;
const reasonOf = signalPrototype.reason.get!;
const throwIfAbortedOf = signalPrototype.throwIfAborted.value!;

const readThroughTheDeadline: PropertyDescriptorMap = {
  aborted: {
    configurable: true,
    get(this: LeaseSignal): boolean {
      this[owner].checkDeadline();
      return abortedOf.call(this);
    },
  },
  reason: {
    configurable: true,
    get(this: LeaseSignal): unknown {
      this[owner].checkDeadline();
      return reasonOf.call(this);
    },
  },
  throwIfAborted: {
    configurable: true,
    writable: true,
    value(this: LeaseSignal): void {
      this[owner].checkDeadline();
      throwIfAbortedOf.call(this);
    },
  },
};

/**
 * Makes `signal.aborted`, `signal.reason` and `signal.throwIfAborted()` answer from `lease`'s
 * clock at the moment they are read, not from the last timer that ran. What reads the signal's
 * internal state instead — a listener already added, `AbortSignal.any` on Node 24 — learns
 * when the 'abort' event fires: at the first such read past the deadline, or at the lease's
 * own timer (docs/coordination.md, "What answers from the clock").
 */
export function readThroughDeadline(signal: AbortSignal, lease: DeadlineChecked): AbortSignal {
  Object.defineProperty(signal, owner, { value: lease });
  Object.defineProperties(signal, readThroughTheDeadline);
  return signal;
}
