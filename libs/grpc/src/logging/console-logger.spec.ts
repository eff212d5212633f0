import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { logColours } from './console-logger.js';

/** A stream as logColours sees it: a terminal (with what hasColors answers) or a pipe. */
function stream(tty: boolean, hasColors = true): NodeJS.WriteStream {
  return { isTTY: tty, hasColors: () => hasColors } as unknown as NodeJS.WriteStream;
}

describe('logColours', () => {
  it('a pipe or a file gets no colours; a terminal does', () => {
    assert.equal(logColours({}, [stream(false), stream(true)]), false);
    assert.equal(logColours({}, [stream(true), stream(false)]), false);
    assert.equal(logColours({}, [stream(true), stream(true)]), true);
  });

  it('a terminal whose hasColors() says no (NO_COLOR, TERM=dumb) gets none', () => {
    assert.equal(logColours({ NO_COLOR: '1' }, [stream(true, false), stream(true, false)]), false);
  });

  it('FORCE_COLOR decides when set, as in Node', () => {
    for (const on of ['', '1', '2', '3', 'true'])
      assert.equal(logColours({ FORCE_COLOR: on }, [stream(false)]), true, on);
    for (const off of ['0', 'false', 'no'])
      assert.equal(logColours({ FORCE_COLOR: off }, [stream(true)]), false, off);
  });
});
