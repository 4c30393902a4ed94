/**
 * The logging the bus needs: pino-style methods taking structured fields
 * first and a message second. The node passes its pino logger; tests pass a
 * recorder.
 */
export interface BusLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}
