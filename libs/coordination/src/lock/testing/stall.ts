const blocker = new Int32Array(new SharedArrayBuffer(4));

/**
 * Stalls this process for `ms` as a GC pause, a SIGSTOP or CPU starvation would: the thread is
 * blocked, so no timer and no I/O callback runs meanwhile — without burning a core, so that a
 * stall does not slow the other tests running beside it. The lock and election contract
 * suites stall holders with it.
 */
export function stall(ms: number): void {
  Atomics.wait(blocker, 0, 0, ms);
}
