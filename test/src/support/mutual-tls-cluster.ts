// A running cluster (test/src/fixtures/mesh-cluster.ts) in which every app serves and dials
// gRPC with mutual TLS: its own certificate (SAN = its service name) from one throwaway CA, and
// GRPC_TLS_CLIENT_AUTH=require; with an operator's client certificate and a foreign one.
import { createTestCa, type IssuedCertificate, type TestCa } from '@nestmesh/testing';

import { startMeshCluster, type MeshCluster } from '../fixtures/mesh-cluster.js';

/** A cluster whose every app requires client certificates, and the certificates around it. */
export interface MutualTlsCluster {
  readonly cluster: MeshCluster;
  readonly ca: TestCa;
  /** Another CA, which the cluster does not trust. */
  readonly otherCa: TestCa;
  /** A client certificate of the cluster's CA (an operator's). */
  readonly operator: IssuedCertificate;
  /** A certificate named `inventory` by the other CA. */
  readonly foreign: IssuedCertificate;
  stop(): Promise<void>;
}

/** Starts the cluster with GRPC_TLS_* in every app; stops what it started when a step fails. */
export async function startMutualTlsCluster(): Promise<MutualTlsCluster> {
  const ca = await createTestCa();
  const otherCa = await createTestCa('another-test-ca');
  let cluster: MeshCluster | undefined;
  const stop = async () => {
    await cluster?.stop();
    await Promise.all([ca.close(), otherCa.close()]);
  };
  try {
    const certificates = {
      inventory: await ca.issue('inventory', { dns: ['inventory'] }),
      order: await ca.issue('order', { dns: ['order'] }),
    };
    const operator = await ca.issue('operator', { dns: ['operator'] });
    const foreign = await otherCa.issue('inventory', { dns: ['inventory'] });
    cluster = await startMeshCluster({
      inventories: 2,
      order: true,
      env: { GRPC_TLS_CA: ca.caFile, GRPC_TLS_CLIENT_AUTH: 'require' },
      envOf: (app) => ({
        GRPC_TLS_CERT: certificates[app].certFile,
        GRPC_TLS_KEY: certificates[app].keyFile,
      }),
    });
    return { cluster, ca, otherCa, operator, foreign, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
