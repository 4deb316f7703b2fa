// What one client may hold open on the receiver: connections overall (Node's own limit) and
// per peer address. A socket over either limit is closed before any byte of it is parsed, so
// a flood of idle or slow connections cannot take the file descriptors that Aksita's next
// webhook needs.
import { BlockList, isIP, type Server, type Socket } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import type { ReceiverLimits } from '../core/config.js';

export interface ConnectionLimitOptions {
  limits: ReceiverLimits;
  /** config.trustProxy: listed proxies are exempt from the per-address limit. */
  trustProxy: boolean | number | string[];
  registry: Registry;
}

/** Peers exempt from the per-address limit, or undefined when no per-address limit applies. */
function perAddressExemptions(trustProxy: boolean | number | string[]): BlockList | undefined {
  // Any peer may be a proxy carrying many clients (true, or a hop count): a per-address limit
  // would cut the balancer itself, so only the overall limit applies.
  if (trustProxy === true || typeof trustProxy === 'number') return undefined;
  const list = new BlockList();
  for (const entry of trustProxy === false ? [] : trustProxy) {
    const [address = '', prefix] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/** True when `address` (as a socket reports it, IPv4 possibly mapped into IPv6) is on the list. */
function isListed(list: BlockList, address: string): boolean {
  const mapped = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4;
  if (mapped) return list.check(address.slice(7), 'ipv4');
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

export function applyConnectionLimits(server: Server, opts: ConnectionLimitOptions): void {
  const refused = new Counter({
    name: 'aksita_connections_refused_total',
    help: 'Connections the receiver closed at once because a limit was reached (max_connections or per_address).',
    labelNames: ['limit'],
    registers: [opts.registry],
  });
  server.maxConnections = opts.limits.maxConnections;
  server.on('drop', () => refused.inc({ limit: 'max_connections' }));

  const perAddress = opts.limits.maxConnectionsPerAddress;
  const exempt = perAddress > 0 ? perAddressExemptions(opts.trustProxy) : undefined;
  if (!exempt) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined || isListed(exempt, address)) return;
    const n = (open.get(address) ?? 0) + 1;
    if (n > perAddress) {
      refused.inc({ limit: 'per_address' });
      socket.destroy();
      return;
    }
    open.set(address, n);
    socket.once('close', () => {
      const left = open.get(address)! - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
