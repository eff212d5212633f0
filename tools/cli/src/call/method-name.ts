import { UsageError } from '../cli.errors.js';

/** A method as `package.Service/Method` names it. */
export interface MethodName {
  /** Fully-qualified service name: `inventory.v1.InventoryService`. */
  readonly service: string;
  readonly method: string;
}

const IDENTIFIER = '[A-Za-z_][A-Za-z0-9_]*';
const FULL_NAME = new RegExp(`^${IDENTIFIER}(\\.${IDENTIFIER})*$`);

/**
 * `package.Service/Method` (a leading `/`, as in a gRPC path, is allowed) as its parts;
 * UsageError for anything else, with the form expected.
 */
export function parseMethodName(text: string): MethodName {
  const path = text.startsWith('/') ? text.slice(1) : text;
  const slash = path.lastIndexOf('/');
  const service = path.slice(0, slash);
  const method = path.slice(slash + 1);
  if (slash <= 0 || !FULL_NAME.test(service) || !new RegExp(`^${IDENTIFIER}$`).test(method))
    throw new UsageError(
      `"${text}" is not a method name: expected package.Service/Method (e.g. inventory.v1.InventoryService/GetStock)`,
    );
  return { service, method };
}
