// Loaded by scripts/run-tests.mjs into every test file's process (node --import), so that no
// file can hang the run or outlive it:
// - its tests ended but the process keeps running (a server, socket, timer or loop left open):
//   after NESTMESH_TEST_GRACE_MS it prints what is still open and exits 1, failing the file;
// - the file runs longer than NESTMESH_TEST_FILE_TIMEOUT_MS: the same;
// - the runner that started it is gone (even SIGKILLed): it exits at once, and the servers it
//   started (libs/testing spawns them with a parent-death signal) die with it.
// Whenever it ends a process, it first SIGKILLs that process's children (on Linux), so that
// children spawned without a parent-death signal do not outlive it either.
// NESTMESH_TEST_TIMINGS=<file> appends "<milliseconds>\t<file>" for each file that ends.
// Every timer here is unref'd: it never keeps a process alive that would otherwise exit.
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

// node --test loads this module into the runner process too; only a file's process has a file
// in argv and no --test flag.
const file = process.argv[1];
if (file && !process.execArgv.includes('--test')) {
  const { after } = await import('node:test');
  const startedAt = performance.now();
  const name = relative(process.cwd(), file);
  const graceMs = Number(process.env.NESTMESH_TEST_GRACE_MS ?? 20_000);
  const fileTimeoutMs = Number(process.env.NESTMESH_TEST_FILE_TIMEOUT_MS ?? 480_000);
  const parent = process.ppid;

  const exit = () => {
    for (const child of children()) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    process.exit(1);
  };
  const fail = (why) => {
    const open = process.getActiveResourcesInfo().filter((resource) => resource !== 'TTYWrap');
    process.stderr.write(`run-tests: ${name}: ${why}; still open: ${open.join(', ') || 'nothing'}\n`);
    exit();
  };

  setTimeout(() => fail(`still running after the file limit of ${fileTimeoutMs} ms`), fileTimeoutMs).unref();
  setInterval(() => {
    if (process.ppid !== parent) exit();
  }, 500).unref();
  // A root-level after hook: node runs it once every test of the file has ended, whether the
  // event loop has drained or not.
  after(() => {
    setTimeout(
      () => fail(`its tests ended ${graceMs} ms ago but the process is still running`),
      graceMs,
    ).unref();
  });
  if (process.env.NESTMESH_TEST_TIMINGS) {
    process.once('exit', () => {
      const line = `${Math.round(performance.now() - startedAt)}\t${name}\n`;
      appendFileSync(process.env.NESTMESH_TEST_TIMINGS, line);
    });
  }
}

/** The pids of this process's children, from /proc (none where there is no /proc). */
function children() {
  let pids = [];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  return pids.map(Number).filter((pid) => {
    try {
      // "<pid> (<command>) <state> <ppid> …": the command may contain spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
    } catch {
      return false;
    }
  });
}
