import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';

import { OrderConfigError } from '../order.errors.js';

export const HTTP_CORS_ORIGINS_ENV = 'HTTP_CORS_ORIGINS';

/**
 * The Content-Security-Policy of every answer: the mesh dashboard's own (it loads only its own
 * scripts and styles and streams from its own origin), so that the page keeps working whichever
 * of the two headers a response ends with. No `upgrade-insecure-requests` (helmet's default):
 * on a plain-HTTP edge it would make the browser fetch the dashboard's files over HTTPS.
 */
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

function isExactOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    // URL accepts `*` in a host name; a pattern is not an origin.
    const web = url.protocol === 'http:' || url.protocol === 'https:';
    return web && url.origin === origin && !url.hostname.includes('*');
  } catch {
    return false;
  }
}

/**
 * Exact origins (`https://shop.example.com`, `http://localhost:5173`) from a comma list;
 * an OrderConfigError naming `source` for anything that is not one (a path, `*`, a pattern).
 */
export function parseCorsOrigins(text: string, source = HTTP_CORS_ORIGINS_ENV): string[] {
  const origins = text
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  const wrong = origins.find((origin) => !isExactOrigin(origin));
  if (wrong !== undefined) {
    throw new OrderConfigError(
      `${source} takes exact origins (scheme://host[:port], comma-separated), got "${wrong}"`,
    );
  }
  return origins;
}

/** The option when given, else HTTP_CORS_ORIGINS; an empty list is CORS off. */
export function resolveCorsOrigins(given: readonly string[] | undefined): string[] {
  if (given !== undefined) return parseCorsOrigins(given.join(','), 'the corsOrigins option');
  return parseCorsOrigins(process.env[HTTP_CORS_ORIGINS_ENV] ?? '');
}

/**
 * Security headers (helmet: CSP, HSTS, nosniff, frame and referrer policies…), no
 * `x-powered-by`, and CORS only for the listed origins. Without origins no CORS header is sent
 * at all, so browsers refuse every cross-origin read (a preflight finds no route: 404).
 */
export function applyEdgeSecurity(app: NestExpressApplication, corsOrigins: readonly string[]): void {
  app.disable('x-powered-by');
  app.use(helmet({ contentSecurityPolicy: CONTENT_SECURITY_POLICY }));
  if (corsOrigins.length > 0) {
    app.enableCors({
      origin: [...corsOrigins],
      methods: ['GET', 'HEAD', 'POST'],
      maxAge: 600,
    });
  }
}
