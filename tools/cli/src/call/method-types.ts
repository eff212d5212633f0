import { createFileRegistry, type DescMethod, type FileRegistry } from '@bufbuild/protobuf';
import type { FileDescriptorProto } from '@bufbuild/protobuf/wkt';

import { UnknownMethodError } from '../cli.errors.js';
import {
  candidateNames,
  normalizeFiles,
  resolveReference,
  typeIndex,
  typeReferences,
  WELL_KNOWN_FILES,
  type TypeReference,
} from './descriptor-closure.js';
import type { MethodName } from './method-name.js';
import type { ReflectionClient } from './reflection.client.js';

/** A method as the server describes it, and every type it can carry (for Any in JSON). */
export interface ReflectedMethod {
  readonly method: DescMethod;
  readonly registry: FileRegistry;
}

/** Files a method's types may take, at most: a guard against a server that keeps sending new ones. */
const MAX_FILES = 1000;

const fullName = (packageName: string, name: string) => (packageName ? `${packageName}.${name}` : name);

/** The files defining `reference`, asked of the server under each name it may mean. */
async function filesDefining(
  reflection: ReflectionClient,
  reference: TypeReference,
): Promise<FileDescriptorProto[]> {
  for (const name of candidateNames(reference)) {
    try {
      return await reflection.fileContainingSymbol(name);
    } catch (error) {
      if (!(error instanceof UnknownMethodError)) throw error;
    }
  }
  throw new UnknownMethodError(
    `the server's reflection does not define ${reference.name} (used in ${reference.scope})`,
  );
}

/** `root` and every file defining a type it uses, directly or not, asked of the server as needed. */
async function closure(reflection: ReflectionClient, root: FileDescriptorProto[]) {
  const files = new Map(root.map((file) => [file.name, file]));
  for (;;) {
    const index = typeIndex(files.values());
    const missing = [...files.values()]
      .flatMap(typeReferences)
      .find((reference) => !resolveReference(reference, index));
    if (!missing) {
      normalizeFiles(files.values(), index);
      return files;
    }
    const before = files.size;
    for (const file of await filesDefining(reflection, missing)) files.set(file.name, file);
    if (files.size === before || files.size > MAX_FILES)
      throw new UnknownMethodError(
        `the server's reflection does not define ${missing.name} (used in ${missing.scope})`,
      );
  }
}

/**
 * The method `name` names, with its request and response types, built from the
 * FileDescriptorProtos the server's reflection returns; UnknownMethodError naming what the
 * server does offer when the service or the method is not there.
 */
export async function reflectMethod(
  reflection: ReflectionClient,
  name: MethodName,
): Promise<ReflectedMethod> {
  const services = await reflection.listServices();
  if (!services.includes(name.service))
    throw new UnknownMethodError(
      `the server has no service "${name.service}"; it offers ${services.join(', ')}`,
    );
  const files = await closure(reflection, await reflection.fileContainingSymbol(name.service));
  const defining = [...files.values()].find((file) =>
    file.service.some((service) => fullName(file.package, service.name) === name.service),
  );
  if (!defining) throw new UnknownMethodError(`the server sent no file defining "${name.service}"`);
  const registry = createFileRegistry(defining, (file) => files.get(file) ?? WELL_KNOWN_FILES.get(file));
  const service = registry.getService(name.service);
  const method = service?.methods.find((candidate) => candidate.name === name.method);
  if (!service || !method)
    throw new UnknownMethodError(
      `service "${name.service}" has no method "${name.method}"; it has ${service?.methods.map((each) => each.name).join(', ')}`,
    );
  return { method, registry };
}
