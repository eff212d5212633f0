// The main of a scale benchmark host process: SCALE_ROLE=instances or clients (see run.ts).
import { ClientHost } from './client-host.js';
import { InstanceHost } from './instance-host.js';
import { serveHost } from './peer.js';

const url = process.env.SCALE_DISCOVERY_URL!;
const host =
  process.env.SCALE_ROLE === 'instances'
    ? await InstanceHost.start(url)
    : await ClientHost.start({
        url,
        first: Number(process.env.SCALE_FIRST),
        count: Number(process.env.SCALE_COUNT),
        total: Number(process.env.SCALE_TOTAL),
        subset: process.env.SCALE_SUBSET === 'on',
      });
serveHost(host);
