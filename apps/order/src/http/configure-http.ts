import { ValidationPipe } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { GrpcHttpExceptionFilter } from '@nestmesh/grpc';

/** The HTTP edge's pipes and filters: strict body validation (400) and gRPC → HTTP status mapping. */
export function configureHttp(app: INestApplication): INestApplication {
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new GrpcHttpExceptionFilter());
  return app;
}
