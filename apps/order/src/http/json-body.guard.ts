import { Injectable, UnsupportedMediaTypeException } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

/** `application/json` and `application/<anything>+json`, with or without parameters. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * A request body on this API is JSON: one with another content type is refused with 415
 * rather than reaching validation unparsed, where it would fail as an empty body with a list
 * of confusing field errors. Runs after routing, so an unknown route is still a 404.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<IncomingMessage>();
    if (!hasBody(request)) return true;
    const contentType = request.headers['content-type'];
    if (contentType !== undefined && JSON_MEDIA_TYPE.test(contentType)) return true;
    throw new UnsupportedMediaTypeException({
      message: `the request body must be application/json${contentType === undefined ? ' (no content-type was sent)' : ''}`,
    });
  }
}
