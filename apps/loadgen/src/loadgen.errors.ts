/** The load generator's errors: a string `code` and messages that start with `loadgen: `. */
export class LoadgenError extends Error {
  constructor(
    readonly code: 'INVALID_CONFIG',
    message: string,
  ) {
    super(`loadgen: ${message}`);
    this.name = new.target.name;
  }
}

/** An environment variable that cannot work; `variable` names it. */
export class InvalidLoadgenConfigError extends LoadgenError {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super('INVALID_CONFIG', `${variable} ${problem}`);
  }
}
