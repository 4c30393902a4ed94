/**
 * Bus addresses are `host:port` strings (`[v6]:port` for an IPv6 literal), the
 * form operators type in `--join` and nodes advertise in their hello.
 */
import { TesseraError } from "../lib/index.js";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseAddress(address: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = m === null ? Number.NaN : Number(m[3]);
  if (m === null || !(port > 0 && port < 65536)) {
    throw new TesseraError("INVALID_ARGUMENT", `bad bus address '${address}' (want host:port)`);
  }
  return { host: (m[1] ?? m[2]) as string, port };
}

export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
