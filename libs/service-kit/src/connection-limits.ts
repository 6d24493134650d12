// Bounds on the sockets an HTTP server holds, so that peers who open connections and never finish a request (a
// half-open flood: `GET /healthz HTTP/1.1\r\n` and nothing more), park idle keep-alive sockets, or trickle a body
// cannot take every slot (issue 16: 400 half-open sockets from one peer starved the probe port for 30 s).
//
// Why these rules (Node 20's http.Server, measured):
// - Node enforces `headersTimeout` / `requestTimeout` only when its connection checker runs, every
//   `connectionsCheckingInterval` (30 s by default): a socket that never finishes its headers is held up to
//   timeout + 30 s. `limitConnections` sets the interval to CHECK_EVERY_MS (it must be set before listen()).
// - `server.maxConnections` refuses a new socket in net's onconnection, before any 'connection' listener runs, so
//   once a flood holds the slots a probe from anyone else is refused ("other side closed"). We do not set it and
//   count sockets ourselves in the 'connection' listener, where we can choose whom to drop.
// - Per remote address (IPv4, or the /64 of an IPv6 address — one host often has a whole /64): at most
//   `maxPerAddress` sockets; a new one past that evicts that address's own oldest socket that is not in a request.
//   A flood from one address only churns its own slots; the kubelet (which opens a fresh connection per probe and
//   sends its request at once) is in a request, not evictable, within a millisecond of connecting.
// - In total at most `maxConnections`: a new socket past that evicts the oldest not-in-a-request socket of the
//   address holding the most, so many flooding addresses squeeze each other, never a newcomer; if every socket is
//   in a request the newcomer is refused.
// No library on npm does per-address socket accounting inside a Node http.Server (express-rate-limit and friends
// count requests, which a half-open socket never makes), so this is written here.
//
// The function must not use anything from this module's scope: the probe thread serializes it into its worker.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Sockets held at once. */
  maxConnections: number;
  /** Sockets held at once from one address (IPv4) or one IPv6 /64. */
  maxPerAddress: number;
  /** How often Node's connection checker enforces headersTimeout / requestTimeout (ms). */
  checkEveryMs?: number;
}

export interface ConnectionStats {
  /** Sockets held now. */
  open(): number;
  /** Sockets closed by these limits so far (evicted or refused). */
  dropped(): number;
}

/** Applies `limits` to `server` (before it listens); returns live counts for metrics and tests. */
export function limitConnections(server: Server, limits: ConnectionLimits): ConnectionStats {
  if (server.listening) throw new Error('limitConnections must be called before listen(): the connection checker starts at listen');
  // Read by Node's http.Server when it starts listening (a documented createServer option, also a plain property).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = limits.checkEveryMs ?? 1000;
  const byAddress = new Map<string, Set<Socket>>(); // a Set keeps insertion order: oldest first
  const inRequest = new WeakMap<Socket, number>(); // requests being answered on the socket (pipelining: > 1)
  let open = 0;
  let dropped = 0;

  const keyOf = (address: string | undefined): string => {
    const a = (address ?? '').toLowerCase();
    if (a.startsWith('::ffff:') && a.includes('.')) return a.slice(7); // IPv4-mapped: the IPv4 address
    if (!a.includes(':')) return a;
    // IPv6: the first four groups (the /64).
    const [head, tail = ''] = a.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = a.includes('::') ? [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
    return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':') + '::/64';
  };
  const oldestEvictable = (set: Set<Socket> | undefined): Socket | undefined => {
    for (const s of set ?? []) if (!inRequest.get(s)) return s;
    return undefined;
  };
  const drop = (s: Socket, set?: Set<Socket>) => {
    dropped++;
    if (set?.delete(s)) open--; // counted out now: its 'close' comes later
    s.destroy();
  };

  server.on('connection', (socket: Socket) => {
    const key = keyOf(socket.remoteAddress);
    let mine = byAddress.get(key);
    if (mine && mine.size >= limits.maxPerAddress) {
      const victim = oldestEvictable(mine);
      if (!victim) return drop(socket);
      drop(victim, mine);
    } else if (open >= limits.maxConnections) {
      let largest: Set<Socket> | undefined;
      for (const set of byAddress.values()) if (!largest || set.size > largest.size) largest = set;
      let victim = oldestEvictable(largest);
      let from = largest;
      for (const set of victim ? [] : byAddress.values()) if ((victim = oldestEvictable((from = set)))) break;
      if (!victim) return drop(socket);
      drop(victim, from);
    }
    if (!mine) byAddress.set(key, (mine = new Set()));
    mine.add(socket);
    open++;
    const held = mine;
    socket.once('close', () => {
      if (held.delete(socket)) open--;
      if (held.size === 0 && byAddress.get(key) === held) byAddress.delete(key);
    });
  });
  server.on('request', (req, res) => {
    const s = req.socket;
    inRequest.set(s, (inRequest.get(s) ?? 0) + 1);
    res.once('close', () => inRequest.set(s, Math.max(0, (inRequest.get(s) ?? 1) - 1)));
  });
  return { open: () => open, dropped: () => dropped };
}
