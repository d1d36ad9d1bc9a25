/** A setting Switchplane cannot start with; `variable` names the environment variable. */
import { StartupError } from '../startup-error.js';

export class ConfigError extends StartupError {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}
