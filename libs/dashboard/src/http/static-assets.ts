// The page's files, shipped in the package's public/ folder and served as they are: no build
// step, nothing fetched from elsewhere. Only the files named here are served.
import { readFile } from 'node:fs/promises';

interface Asset {
  readonly url: URL;
  readonly type: string;
}

const JAVASCRIPT = 'text/javascript; charset=utf-8';

const ASSETS: Record<string, Asset> = {
  'index.html': {
    url: new URL('../../public/index.html', import.meta.url),
    type: 'text/html; charset=utf-8',
  },
  'dashboard.css': {
    url: new URL('../../public/dashboard.css', import.meta.url),
    type: 'text/css; charset=utf-8',
  },
  'dashboard.js': { url: new URL('../../public/dashboard.js', import.meta.url), type: JAVASCRIPT },
  'dom.js': { url: new URL('../../public/dom.js', import.meta.url), type: JAVASCRIPT },
  'format.js': { url: new URL('../../public/format.js', import.meta.url), type: JAVASCRIPT },
  'views.js': { url: new URL('../../public/views.js', import.meta.url), type: JAVASCRIPT },
  'waterfall.js': { url: new URL('../../public/waterfall.js', import.meta.url), type: JAVASCRIPT },
};

const cache = new Map<string, Promise<Buffer>>();

/** The asset called `name` with its content type, or undefined when there is none by that name. */
export async function staticAsset(name: string): Promise<{ body: Buffer; type: string } | undefined> {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return undefined;
  let body = cache.get(name);
  if (!body) {
    body = readFile(asset.url);
    cache.set(name, body);
    body.catch(() => cache.delete(name));
  }
  return { body: await body, type: asset.type };
}
