import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import {
  Metadata,
  status as Status,
  type Client,
  type ClientDuplexStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  ServerReflectionService,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from '@nestmesh/contracts/grpc/reflection/v1';

import { CallFailedError, UnknownMethodError } from '../cli.errors.js';
import { statusOfError } from './call-status.js';

type Request = NonNullable<ServerReflectionRequest['messageRequest']>;
type Pending = { resolve(response: ServerReflectionResponse): void; reject(error: unknown): void };

/**
 * One grpc.reflection.v1 stream to one server: questions go out one at a time and each answer
 * comes back in order on the same stream, as the protocol says. `close()` half-closes it.
 */
export class ReflectionClient {
  private readonly stream: ClientDuplexStream<ServerReflectionRequest, ServerReflectionResponse>;
  private readonly pending: Pending[] = [];
  private failure: Error | undefined;

  constructor(
    client: Client,
    private readonly target: string,
    deadline: Date,
  ) {
    const method = ServerReflectionService.serverReflectionInfo;
    this.stream = client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      new Metadata(),
      { deadline },
    );
    this.stream.on('data', (response: ServerReflectionResponse) => this.pending.shift()?.resolve(response));
    this.stream.on('error', (error: ServiceError) => this.fail(this.errorOf(error)));
    this.stream.on('end', () =>
      this.fail(new UnknownMethodError(`${target}: reflection stream ended early`)),
    );
  }

  /** The services the server lists, sorted. */
  async listServices(): Promise<string[]> {
    const answer = await this.ask({ $case: 'listServices', listServices: '' });
    if (answer?.$case !== 'listServicesResponse') throw this.unexpected(answer?.$case);
    return answer.listServicesResponse.service.map(({ name }) => name).sort();
  }

  /** The file defining `symbol` (and whatever of its imports the server sends along). */
  fileContainingSymbol(symbol: string): Promise<FileDescriptorProto[]> {
    return this.files({ $case: 'fileContainingSymbol', fileContainingSymbol: symbol }, `symbol "${symbol}"`);
  }

  /** The file named `name` (and whatever of its imports the server sends along). */
  fileByFilename(name: string): Promise<FileDescriptorProto[]> {
    return this.files({ $case: 'fileByFilename', fileByFilename: name }, `file "${name}"`);
  }

  close(): void {
    this.fail(new Error('reflection client closed'));
    this.stream.end();
  }

  private async files(request: Request, what: string): Promise<FileDescriptorProto[]> {
    const answer = await this.ask(request);
    if (answer?.$case === 'errorResponse')
      throw new UnknownMethodError(
        `${this.target} does not know ${what}: ${answer.errorResponse.errorMessage || Status[answer.errorResponse.errorCode]}`,
      );
    if (answer?.$case !== 'fileDescriptorResponse') throw this.unexpected(answer?.$case);
    return answer.fileDescriptorResponse.fileDescriptorProto.map((bytes) =>
      fromBinary(FileDescriptorProtoSchema, bytes),
    );
  }

  private ask(request: Request): Promise<ServerReflectionResponse['messageResponse']> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<ServerReflectionResponse>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.stream.write({ host: '', messageRequest: request });
    }).then((response) => response.messageResponse);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.splice(0)) waiting.reject(this.failure);
  }

  /** A server without reflection is a method the CLI cannot know; any other status is reported. */
  private errorOf(error: ServiceError): Error {
    if (error.code === Status.UNIMPLEMENTED)
      return new UnknownMethodError(
        `${this.target} offers no gRPC server reflection (grpc.reflection.v1), so its methods cannot be known`,
      );
    return new CallFailedError(`reflection on ${this.target}`, statusOfError(error));
  }

  private unexpected(answer: string | undefined): UnknownMethodError {
    return new UnknownMethodError(`${this.target}: unexpected reflection answer ${answer ?? '(empty)'}`);
  }
}
