import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';

/**
 * etcd's "require leader" request metadata (the Go client's `WithRequireLeader`): a member that
 * knows no leader refuses the call at once (`etcdserver: no leader`) instead of letting it run
 * into its deadline, and after three election timeouts without a leader it ends the streams
 * opened with it. Without it, a watch on a member cut off from the quorum stays open and silent
 * however long the majority goes on changing, and the watcher never learns its list is stale.
 */
export const requireLeader: Interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    start: (metadata, listener, next) => {
      // A copy: etcd3 hands every call the same metadata object (its auth token).
      const required = metadata.clone();
      required.set('hasleader', 'true');
      next(required, listener);
    },
  });
