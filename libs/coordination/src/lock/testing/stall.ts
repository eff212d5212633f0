/**
 * Blocks this process for `ms` as a GC pause, a SIGSTOP or CPU starvation would: no timer,
 * no I/O callback runs meanwhile. The lock and election contract suites stall holders with it.
 */
export function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}
