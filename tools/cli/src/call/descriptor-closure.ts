import type { DescFile } from '@bufbuild/protobuf';
import type { DescriptorProto, FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import * as wellKnownTypes from '@bufbuild/protobuf/wkt';

/** google/protobuf/*.proto as @bufbuild/protobuf ships them, for a server that omits them. */
export const WELL_KNOWN_FILES: ReadonlyMap<string, DescFile> = new Map(
  Object.values(wellKnownTypes)
    .filter((value): value is DescFile => (value as Partial<DescFile> | null)?.kind === 'file')
    .map((file) => [file.proto.name, file]),
);

/** A type name a descriptor uses, where it is used, and how to write its full name back. */
export interface TypeReference {
  /** As written: `.pkg.Type` (absolute) or relative to `scope` (`Type`, `Outer.Inner`). */
  readonly name: string;
  /** The full name of the message (or package) the name appears in. */
  readonly scope: string;
  set(fullName: string): void;
}

const qualified = (scope: string, name: string) => (scope ? `${scope}.${name}` : name);

/** Full names of the messages and enums `file` defines, nested ones included. */
export function definedTypes(file: FileDescriptorProto): string[] {
  const names: string[] = file.enumType.map((type) => qualified(file.package, type.name));
  const visit = (message: DescriptorProto, scope: string) => {
    const name = qualified(scope, message.name);
    names.push(name, ...message.enumType.map((type) => qualified(name, type.name)));
    for (const nested of message.nestedType) visit(nested, name);
  };
  for (const message of file.messageType) visit(message, file.package);
  return names;
}

/** protobuf's default JSON name of a field: `reserved_at` → `reservedAt`. */
export function jsonNameOf(fieldName: string): string {
  return fieldName.replace(
    /_+([^_])?/g,
    (_underscores, next: string | undefined) => next?.toUpperCase() ?? '',
  );
}

/** Every field of `file`, nested messages' too. */
function fieldsOf(file: FileDescriptorProto): DescriptorProto['field'] {
  const visit = (message: DescriptorProto): DescriptorProto['field'] => [
    ...message.field,
    ...message.nestedType.flatMap(visit),
  ];
  return file.messageType.flatMap(visit);
}

/** Every type name `file`'s fields and methods use. */
export function typeReferences(file: FileDescriptorProto): TypeReference[] {
  const references: TypeReference[] = [];
  const visit = (message: DescriptorProto, scope: string) => {
    const name = qualified(scope, message.name);
    for (const field of message.field)
      if (field.typeName)
        references.push({ name: field.typeName, scope: name, set: (full) => (field.typeName = `.${full}`) });
    for (const nested of message.nestedType) visit(nested, name);
  };
  for (const message of file.messageType) visit(message, file.package);
  for (const method of file.service.flatMap((service) => service.method)) {
    references.push({
      name: method.inputType,
      scope: file.package,
      set: (full) => (method.inputType = `.${full}`),
    });
    references.push({
      name: method.outputType,
      scope: file.package,
      set: (full) => (method.outputType = `.${full}`),
    });
  }
  return references;
}

/** The full names a reference may mean, innermost scope first (protobuf's scoping rule). */
export function candidateNames({ name, scope }: TypeReference): string[] {
  if (name.startsWith('.')) return [name.slice(1)];
  const parts = scope ? scope.split('.') : [];
  return parts
    .map((_, index) => qualified(parts.slice(0, parts.length - index).join('.'), name))
    .concat(name);
}

/**
 * Type name → the file defining it, over `files` and the well-known files. Servers differ in
 * what a reflection answer carries: grpc-go sends a file's imports only when asked, while
 * grpc-js' @grpc/reflection sends them along but with the importing file's `dependency` list
 * empty and type names relative. So the CLI goes by the types a file uses, not its imports.
 */
export function typeIndex(files: Iterable<FileDescriptorProto>): Map<string, string> {
  const index = new Map<string, string>();
  for (const file of [...[...WELL_KNOWN_FILES.values()].map((each) => each.proto), ...files])
    for (const name of definedTypes(file)) index.set(name, file.name);
  return index;
}

export function resolveReference(
  reference: TypeReference,
  index: ReadonlyMap<string, string>,
): string | undefined {
  return candidateNames(reference).find((name) => index.has(name));
}

/**
 * Rewrites every type name of `files` to its absolute form, adds the files defining them to
 * each file's `dependency` and fills in empty JSON names: the descriptors as a registry needs
 * them. Every reference must resolve.
 */
export function normalizeFiles(
  files: Iterable<FileDescriptorProto>,
  index: ReadonlyMap<string, string>,
): void {
  for (const file of files) {
    const used = new Set(file.dependency);
    for (const reference of typeReferences(file)) {
      const fullName = resolveReference(reference, index)!;
      reference.set(fullName);
      used.add(index.get(fullName)!);
    }
    used.delete(file.name);
    file.dependency = [...used];
    // @grpc/reflection also sends json_name as set but empty, which would name every field ""
    for (const field of fieldsOf(file)) if (!field.jsonName) field.jsonName = jsonNameOf(field.name);
  }
}
