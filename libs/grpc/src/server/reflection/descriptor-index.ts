import { createFileRegistry, fromBinary, type DescFile, type DescMessage } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';

import { InvalidGrpcOptionsError } from '../../grpc.errors.js';

/** FileDescriptorSet.file: repeated FileDescriptorProto file = 1. */
const FILE_FIELD = 1;

/**
 * What server reflection answers from: a FileDescriptorSet indexed once, by file name, by
 * the full name of every symbol a client may ask about, and by extension. Files are served
 * as the bytes the set holds (never re-encoded), so a client sees exactly what `buf build`
 * wrote: dependencies, fully-qualified type names and JSON names included.
 */
export class DescriptorIndex {
  private readonly bytesByFile = new Map<string, Uint8Array>();
  private readonly fileBySymbol = new Map<string, string>();
  /** `extendee` full name → extension number → the file that declares it. */
  private readonly extensions = new Map<string, Map<number, string>>();
  /** By file name as the set spells it (`order/v1/order.proto`). */
  private readonly files: ReadonlyMap<string, DescFile>;

  constructor(descriptorSet: Uint8Array) {
    let registry: ReturnType<typeof createFileRegistry>;
    try {
      for (const bytes of fileBytesOf(descriptorSet)) {
        this.bytesByFile.set(fromBinary(FileDescriptorProtoSchema, bytes).name, bytes);
      }
      registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
    } catch (error) {
      throw new InvalidGrpcOptionsError(
        'descriptorSet',
        `is not a complete FileDescriptorSet (every file with its imports): ${(error as Error).message}`,
      );
    }
    const files = new Map<string, DescFile>();
    for (const file of registry.files) {
      files.set(file.proto.name, file);
      this.indexFile(file);
    }
    this.files = files;
  }

  /** The file defining `symbol` followed by its transitive imports, or undefined. */
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined {
    const file = this.fileBySymbol.get(symbol);
    return file === undefined ? undefined : this.withDependencies(file);
  }

  /** The file named `name` followed by its transitive imports, or undefined. */
  fileByFilename(name: string): Uint8Array[] | undefined {
    return this.files.has(name) ? this.withDependencies(name) : undefined;
  }

  /** The file declaring extension `number` of message `extendee`, with its imports, or undefined. */
  fileContainingExtension(extendee: string, number: number): Uint8Array[] | undefined {
    const file = this.extensions.get(extendee)?.get(number);
    return file === undefined ? undefined : this.withDependencies(file);
  }

  /** The extension numbers declared for message `typeName`, or undefined if no such message. */
  extensionNumbersOf(typeName: string): number[] | undefined {
    if (!this.isMessage(typeName)) return undefined;
    return [...(this.extensions.get(typeName)?.keys() ?? [])].sort((left, right) => left - right);
  }

  private isMessage(typeName: string): boolean {
    const file = this.files.get(this.fileBySymbol.get(typeName) ?? '');
    return file !== undefined && messagesOf(file).some((message) => message.typeName === typeName);
  }

  /** `name` first, then every file it imports, transitively, each once, imports before importers. */
  private withDependencies(name: string): Uint8Array[] {
    const ordered: string[] = [];
    const visit = (file: DescFile) => {
      if (ordered.includes(file.proto.name)) return;
      for (const dependency of file.dependencies) visit(dependency);
      ordered.push(file.proto.name);
    };
    visit(this.files.get(name)!);
    // Post-order put the requested file last; clients expect it first.
    return [name, ...ordered.slice(0, -1)].map((file) => this.bytesByFile.get(file)!);
  }

  private indexFile(file: DescFile): void {
    const define = (symbol: string) => {
      if (!this.fileBySymbol.has(symbol)) this.fileBySymbol.set(symbol, file.proto.name);
    };
    for (const service of file.services) {
      define(service.typeName);
      for (const method of service.methods) define(`${service.typeName}.${method.name}`);
    }
    for (const message of messagesOf(file)) {
      define(message.typeName);
      for (const field of message.fields) define(`${message.typeName}.${field.name}`);
      for (const oneof of message.oneofs) define(`${message.typeName}.${oneof.name}`);
    }
    for (const type of enumsOf(file)) define(type.typeName);
    for (const extension of extensionsOf(file)) {
      define(extension.typeName);
      const numbers = this.extensions.get(extension.extendee.typeName) ?? new Map<number, string>();
      numbers.set(extension.number, file.proto.name);
      this.extensions.set(extension.extendee.typeName, numbers);
    }
  }
}

/** The raw bytes of each FileDescriptorProto in a serialized FileDescriptorSet, in order. */
function fileBytesOf(descriptorSet: Uint8Array): Uint8Array[] {
  const reader = new BinaryReader(descriptorSet);
  const files: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [fieldNumber, wireType] = reader.tag();
    if (fieldNumber === FILE_FIELD && wireType === WireType.LengthDelimited) files.push(reader.bytes());
    else reader.skip(wireType, fieldNumber);
  }
  return files;
}

function messagesOf(file: DescFile): DescMessage[] {
  const nested = (message: DescMessage): DescMessage[] => [
    message,
    ...message.nestedMessages.flatMap(nested),
  ];
  return file.messages.flatMap(nested);
}

function enumsOf(file: DescFile) {
  return [...file.enums, ...messagesOf(file).flatMap((message) => message.nestedEnums)];
}

function extensionsOf(file: DescFile) {
  return [...file.extensions, ...messagesOf(file).flatMap((message) => message.nestedExtensions)];
}
