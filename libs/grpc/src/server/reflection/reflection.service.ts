import { status as Status } from '@grpc/grpc-js';
import type { Server, ServerDuplexStream } from '@grpc/grpc-js';
import {
  ServerReflectionRequest,
  ServerReflectionService as ReflectionV1,
  type ServerReflectionResponse,
} from '@nestmesh/contracts/grpc/reflection/v1';
import { ServerReflectionService as ReflectionV1alpha } from '@nestmesh/contracts/grpc/reflection/v1alpha';

import { DescriptorIndex } from './descriptor-index.js';

/** The reflection services this server adds, as list_services names them. */
export const REFLECTION_SERVICES = [
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];

/** Requests arrive as bytes: a request that does not decode gets an error_response, not a dead stream. */
type ReflectionCall = ServerDuplexStream<Buffer, ServerReflectionResponse>;
type Answer = ServerReflectionResponse['messageResponse'];

/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha: same messages, two package names),
 * answered from a FileDescriptorSet: files come back byte for byte as the set holds them,
 * each followed by its transitive imports, so any client (grpcurl, Postman, grpcui, the
 * Python and Go reflection clients) links them without further requests or repairs.
 */
export class ServerReflection {
  private readonly index: DescriptorIndex;
  private readonly calls = new Set<ReflectionCall>();

  /** `services`: what list_services names (the served ones, health and reflection). */
  constructor(
    descriptorSet: Uint8Array,
    private readonly services: readonly string[],
  ) {
    this.index = new DescriptorIndex(descriptorSet);
  }

  addToServer(server: Server): void {
    for (const definition of [ReflectionV1, ReflectionV1alpha]) {
      const method = {
        ...definition.serverReflectionInfo,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: ReflectionV1.serverReflectionInfo.responseSerialize,
      };
      server.addService(
        { serverReflectionInfo: method },
        {
          serverReflectionInfo: this.serve,
        },
      );
    }
  }

  /** Ends every open reflection stream with OK, so that none holds a draining server open. */
  endStreams(): void {
    for (const call of this.calls) call.end();
    this.calls.clear();
  }

  private readonly serve = (call: ReflectionCall): void => {
    this.calls.add(call);
    const forget = () => this.calls.delete(call);
    call.on('cancelled', forget);
    call.on('error', forget);
    call.on('finish', forget);
    call.on('end', () => {
      if (this.calls.delete(call)) call.end();
    });
    call.on('data', (bytes: Buffer) => {
      if (this.calls.has(call)) call.write(this.respond(bytes));
    });
  };

  private respond(bytes: Buffer): ServerReflectionResponse {
    let request: ServerReflectionRequest;
    try {
      request = ServerReflectionRequest.decode(bytes);
    } catch (error) {
      const message = `the request is not a ServerReflectionRequest: ${(error as Error).message}`;
      return {
        validHost: '',
        originalRequest: undefined,
        messageResponse: failure(Status.INVALID_ARGUMENT, message),
      };
    }
    let answer: Answer;
    try {
      answer = this.answer(request);
    } catch (error) {
      // A bug here must cost one answer, never the process (a throwing stream listener would).
      answer = failure(Status.INTERNAL, `reflection failed: ${(error as Error).message}`);
    }
    return { validHost: request.host, originalRequest: request, messageResponse: answer };
  }

  private answer({ messageRequest: question }: ServerReflectionRequest): Answer {
    switch (question?.$case) {
      case 'listServices':
        return {
          $case: 'listServicesResponse',
          listServicesResponse: { service: this.services.map((name) => ({ name })) },
        };
      case 'fileContainingSymbol':
        return files(
          this.index.fileContainingSymbol(question.fileContainingSymbol),
          `symbol "${question.fileContainingSymbol}"`,
        );
      case 'fileByFilename':
        return files(this.index.fileByFilename(question.fileByFilename), `file "${question.fileByFilename}"`);
      case 'fileContainingExtension': {
        const { containingType, extensionNumber } = question.fileContainingExtension;
        return files(
          this.index.fileContainingExtension(containingType, extensionNumber),
          `extension ${extensionNumber} of "${containingType}"`,
        );
      }
      case 'allExtensionNumbersOfType': {
        const typeName = question.allExtensionNumbersOfType;
        const numbers = this.index.extensionNumbersOf(typeName);
        if (!numbers) return failure(Status.NOT_FOUND, `unknown message type "${typeName}"`);
        return {
          $case: 'allExtensionNumbersResponse',
          allExtensionNumbersResponse: { baseTypeName: typeName, extensionNumber: numbers },
        };
      }
      default:
        return failure(Status.INVALID_ARGUMENT, 'the request asks nothing (no message_request is set)');
    }
  }
}

function files(found: Uint8Array[] | undefined, what: string): Answer {
  if (!found) return failure(Status.NOT_FOUND, `unknown ${what}`);
  return {
    $case: 'fileDescriptorResponse',
    fileDescriptorResponse: { fileDescriptorProto: found.map((bytes) => Buffer.from(bytes)) },
  };
}

function failure(code: Status, errorMessage: string): Answer {
  return { $case: 'errorResponse', errorResponse: { errorCode: code, errorMessage } };
}
