import type { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';

import { MethodNotBoundError } from './coordination.errors.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Which service gates the methods of each instance, for one decorator (`@Locked` →
 * LockService, `@LeaderOnly` → LeaderElectionService). The module's explorer binds the
 * instances of its app when the app initialises; a gated method looks its gate up at every
 * call, so two apps in one process each gate their own instances.
 */
export class MethodGates<Gate> {
  private readonly gates = new WeakMap<object, Gate>();

  constructor(
    readonly decorator: MethodNotBoundError['decorator'],
    /** What binds instances, as the error names it: `LockService (LockModule)`. */
    private readonly service: string,
    /** The metadata key the decorator puts on the methods it gates. */
    readonly metadataKey: string,
  ) {}

  /** The gate bound to `instance`; MethodNotBoundError when there is none. */
  gateOf(instance: unknown, method: string): Gate {
    const gate = typeof instance === 'object' && instance !== null ? this.gates.get(instance) : undefined;
    if (gate === undefined)
      throw new MethodNotBoundError(
        method,
        this.decorator,
        `its instance is bound to no ${this.service}: it runs only on a provider or controller of an app that imports the module, once the app has initialised (not from an onModuleInit that runs first). It did not run.`,
      );
    return gate;
  }

  /**
   * Binds to `gate` every instance of the app's providers and controllers that has a method
   * this decorator gates. Throws MethodNotBoundError for a request-scoped one: its instances
   * are made per request, out of any explorer's reach, so its calls could never run.
   */
  bindApp(discovery: DiscoveryService, scanner: MetadataScanner, gate: Gate): void {
    for (const wrapper of [...discovery.getProviders(), ...discovery.getControllers()]) {
      if (!wrapper.isDependencyTreeStatic()) {
        const prototype = (wrapper.metatype as { prototype?: object } | null)?.prototype;
        const gated = prototype && this.gatedMethods(scanner, prototype)[0];
        if (gated)
          throw new MethodNotBoundError(
            `${wrapper.name}.${gated}`,
            this.decorator,
            `${String(wrapper.name)} is request-scoped (or depends on a request-scoped provider): only singleton and transient providers can be bound to ${this.service}`,
          );
        continue;
      }
      for (const instance of instancesOf(wrapper)) {
        if (this.gatedMethods(scanner, Object.getPrototypeOf(instance) as object).length > 0)
          this.gates.set(instance, gate);
      }
    }
  }

  private gatedMethods(scanner: MetadataScanner, prototype: object): string[] {
    return scanner.getAllMethodNames(prototype).filter((name) => {
      const method = (prototype as Record<string, unknown>)[name];
      return typeof method === 'function' && Reflect.hasMetadata(this.metadataKey, method);
    });
  }
}

/** The instances of a static provider: its one instance, or a transient one's per consumer. */
function instancesOf(wrapper: InstanceWrapper): object[] {
  const candidates: unknown[] = wrapper.isTransient
    ? wrapper.getStaticTransientInstances().map((context): unknown => context?.instance)
    : [wrapper.instance];
  return candidates.filter(
    (instance): instance is object => typeof instance === 'object' && instance !== null,
  );
}

/**
 * The method decorator behind `@Locked` and `@LeaderOnly`. It replaces the method when the
 * class is defined — not when the app starts — so that every caller, including what other
 * decorators' explorers captured at module init (`@Interval`, `@Cron`, gRPC handlers), calls
 * the gated one, whatever order modules and decorators come in. A call runs
 * `run(gate, call, args, name)` with the gate bound to its instance (`call` runs the original
 * method, `name` is `Class.method`), and rejects with MethodNotBoundError without running it when there is none. The
 * gated method always returns a promise. Metadata of decorators applied earlier stays on it.
 */
export function gatedMethod<Gate>(
  gates: MethodGates<Gate>,
  metadata: unknown,
  run: (gate: Gate, call: () => unknown, args: unknown[], name: string) => Promise<unknown>,
) {
  return <T>(target: object, property: string | symbol, descriptor: TypedPropertyDescriptor<T>) => {
    const original = descriptor.value as unknown;
    const name = `${target.constructor.name}.${String(property)}`;
    if (typeof original !== 'function')
      throw new TypeError(`${gates.decorator}() decorates methods; ${name} is not one`);
    const gated = function (this: unknown, ...args: unknown[]): Promise<unknown> {
      try {
        return run(gates.gateOf(this, name), () => (original as Method).apply(this, args), args, name);
      } catch (error) {
        return Promise.reject(error);
      }
    };
    for (const key of Reflect.getOwnMetadataKeys(original)) {
      Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), gated);
    }
    Reflect.defineMetadata(gates.metadataKey, metadata, gated);
    Object.defineProperty(gated, 'name', { value: (original as Method).name });
    descriptor.value = gated as T;
    return descriptor;
  };
}
