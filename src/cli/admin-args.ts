/**
 * The connection options of the operator commands (`tessera status`,
 * `tessera node …`): which node to ask and how to authenticate. Any node
 * answers; it forwards to the meta leader as needed.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly password?: string;
}

/** Parses `-h/--host`, `-p/--port`, `-a/--password`; returns the target and the other words. */
export function parseTarget(argv: readonly string[]): { target: Target; rest: string[] } {
  let host = "127.0.0.1";
  let port = 7379;
  let password: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (!flag.startsWith("-")) {
      rest.push(flag);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`option ${flag} needs a value`);
    i++;
    if (flag === "--host" || flag === "-h") host = value;
    else if (flag === "--port" || flag === "-p") {
      port = Number(value);
      if (!Number.isInteger(port) || port <= 0 || port > 65535)
        throw new UsageError(`bad port '${value}'`);
    } else if (flag === "--password" || flag === "-a") password = value;
    else throw new UsageError(`unknown option ${flag}`);
  }
  return { target: { host, port, ...(password !== undefined ? { password } : {}) }, rest };
}
