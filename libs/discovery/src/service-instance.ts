/** One running instance of a service, as the registry knows it. */
export interface ServiceInstance {
  /** Unique across the registry; stable for the life of the process. */
  readonly id: string;
  /** The service name clients dial (`mesh:///<name>`). */
  readonly name: string;
  /** Host or IP that other processes reach the instance on. */
  readonly address: string;
  readonly port: number;
  readonly tags: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
}
