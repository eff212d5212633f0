import type { FieldViolation } from '@nestmesh/grpc';
import type { ValidationError } from 'class-validator';

export type { FieldViolation };

/** At most this many violations are reported; a body of 10 000 bad items is not answered 10 000 times. */
export const MAX_REPORTED_VIOLATIONS = 20;
/** Field names and messages are cut to this many characters (a 10 kB property name is not echoed). */
export const MAX_ECHOED_CHARS = 80;

/** `text` cut to `max` characters, saying how long it was. */
export function truncate(text: string, max = MAX_ECHOED_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

function childPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${truncate(property)}` : truncate(property);
}

/** class-validator's nested errors, flattened to field paths, capped and truncated. */
export function fieldViolations(errors: readonly ValidationError[], parent = ''): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const visit = (error: ValidationError, path: string) => {
    const field = childPath(path, error.property);
    for (const message of Object.values(error.constraints ?? {})) {
      if (violations.length < MAX_REPORTED_VIOLATIONS) {
        violations.push({ field, description: truncate(message, 200) });
      }
    }
    for (const child of error.children ?? []) visit(child, field);
  };
  for (const error of errors) visit(error, parent);
  return violations;
}

/** The violations as one line for logs and the gRPC status message. */
export function describeViolations(violations: readonly FieldViolation[]): string {
  return violations.map(({ field, description }) => `${field}: ${description}`).join('; ');
}
