import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';

import { Started, statusOf } from '../test-fixtures/retry-peers.js';
import { Status } from '../index.js';

describe(
  'mesh client: interceptors of the user’s own (channelOptions.interceptors)',
  { timeout: 60_000 },
  () => {
    const started = new Started();
    afterEach(() => started.stop());

    it('run on every call sent, after the mesh’s own, and may add metadata', async () => {
      const seen: string[] = [];
      const tagging: Interceptor = (options, next) =>
        new InterceptingCall(next(options), {
          start: (metadata, listener, proceed) => {
            seen.push(options.method_definition.path);
            metadata.set('x-tenant', 'acme');
            proceed(metadata, listener);
          },
        });
      const { peers, echo } = await started.peersAndClient(['none'], {
        channelOptions: { interceptors: [tagging] },
      });
      assert.equal(await statusOf(echo.echo({ message: 'hello', delayMs: 0 })), Status.OK);
      assert.deepEqual(seen, ['/echo.v1.EchoService/Echo']);
      assert.deepEqual(peers[0].lastMetadata?.get('x-tenant'), ['acme']);
    });

    it('are refused at startup unless they are functions', async () => {
      await assert.rejects(
        started.peersAndClient(['none'], { channelOptions: { interceptors: ['not one'] } }),
        /channelOptions\.interceptors/,
      );
    });
  },
);
