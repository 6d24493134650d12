import { hostname, networkInterfaces } from 'node:os';
import type { Identity } from './request-echo';

/** Every interface address (loopback and IPv6 included), like Go's net.Interfaces → Addrs. */
export function interfaceIps(): string[] {
  const out: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) out.push(a.address.replace(/%.*$/, ''));
  return out;
}

export function identityFromEnv(name: string | undefined, env: NodeJS.ProcessEnv = process.env): Identity {
  return {
    name: name || undefined,
    hostname: hostname(),
    ips: interfaceIps(),
    node: env['NODE_NAME'] || undefined,
    pod: env['POD_NAME'] || undefined,
    namespace: env['POD_NAMESPACE'] || undefined,
    podIp: env['POD_IP'] || undefined,
  };
}
