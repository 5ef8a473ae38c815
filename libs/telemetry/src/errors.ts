/**
 * A configuration value from the environment is missing or malformed.
 * The message is a single line naming the variable, what was found and what is expected,
 * so that start-up can print it as is and exit.
 */
export class ConfigError extends Error {
  readonly code = 'TEL_ERR_CONFIG';
  constructor(
    readonly variable: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ConfigError';
  }
}
