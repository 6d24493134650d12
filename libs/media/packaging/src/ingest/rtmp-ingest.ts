// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the ambient types must reach every program that compiles this file
/// <reference path="./node-media-server.d.ts" />
// RTMP ingest on node-media-server 4.x, used as a library: we own the TCP listener (so port 0 works and a busy
// port is an error we report, not a process.exit inside the library), authorise publishers ourselves, and
// report a publisher's end the moment its socket closes — not node-media-server's ~30 s late donePublish.
//
// PINNED: node-media-server 4.4.3 exactly (checked at start; nms-pin.ts also trims its unused 1 MiB Flv buffer). Its RTMP parser is not used on raw input: each
// connection's bytes go through RtmpGuard (rtmp-guard.ts: handshake, chunk framing, limits, AMF checks) and
// node-media-server only ever sees a canonical stream made by the guard. For that we reach into its internals:
// we build its RtmpSession ourselves (as NodeRtmpServer.handleRequest does), take its socket 'data' listener
// away, mark its handshake done (Rtmp.handshakeState = 3, RTMP_HANDSHAKE_2) and feed it with session.onData.
// A new node-media-server version must be re-read before the pin moves (apps/packager/README.md).
//
// Two listeners: the public one (publishers; connection limits, total and per address) and a loopback-only one
// on an ephemeral port for the remux ffmpeg's reads, which need a per-process token — so no flood of the public
// port can lock the packager out of its own streams, and RTMP playback is not offered to anyone else.
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from '@livelab/service-kit';
import { listen, sameSecret } from '@livelab/service-kit';
import { parsePublishName } from '@livelab/media-contract';
import { NMS_PINNED_VERSION, NMS_VERSION } from './nms-pin'; // before node-media-server loads
import { fromNmsName } from './nms-names';
import NodeMediaServer from 'node-media-server';
import type { NmsSession } from 'node-media-server';
import { DEFAULT_RTMP_LIMITS, RtmpGuard, type GuardRole, type RtmpLimits } from './rtmp-guard';
// node-media-server's console logger: routed into our JSON log at debug level.
const nmsLogger = require('node-media-server/src/core/logger.js') as { level: string; log: (m: string, l?: string) => void };
const nmsContext = require('node-media-server/src/core/context.js') as {
  eventEmitter: EventEmitter;
  sessions: Map<string, NmsSession>;
};
interface NmsRtmpSession extends NmsSession {
  run(): void;
  onData(data: Buffer): void;
  rtmp: { handshakeState: number };
}
const NmsRtmpSessionClass = require('node-media-server/src/session/rtmp_session.js') as new (socket: Socket) => NmsRtmpSession;
const NMS_HANDSHAKE_DONE = 3; // rtmp.js RTMP_HANDSHAKE_2

export const RTMP_APP = 'live';

export interface PublishInfo {
  sessionId: string;
  name: string;
  ip: string;
  since: Date;
}

export interface IngestStreamInfo {
  videoCodec?: string;
  width?: number;
  height?: number;
  fps?: number;
  videoKbps?: number;
  audioCodec?: string;
  sampleRate?: number;
  channels?: number;
  bytesIn: number;
}

const VIDEO_CODECS: Record<number, string> = { 7: 'h264', 12: 'hevc', 13: 'av1' };
const AUDIO_CODECS: Record<number, string> = { 10: 'aac', 2: 'mp3', 13: 'opus' };

const normalizeIp = (ip: string) => ip.replace(/^::ffff:/, '');
const isLoopback = (ip: string) => /^(::ffff:)?127\.|^::1$/.test(ip.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''));

export type RefusedKind = 'publish' | 'play' | 'protocol' | 'timeout' | 'limit';

/**
 * Under a flood, at most one log line per second per kind and address; the rest are counted into the next line
 * (and always in the metrics).
 */
class ThrottledWarn {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(private readonly log: Logger) {}
  warn(kind: string, fields: Record<string, unknown> & { ip: string }, msg: string) {
    const now = Date.now();
    const key = `${kind}|${fields.ip}`;
    if (this.last.size > 10_000) this.last.clear();
    const l = this.last.get(key);
    if (l && now - l.at < 1000) {
      l.suppressed++;
      return;
    }
    this.last.set(key, { at: now, suppressed: 0 });
    this.log.warn({ ...fields, ...(l?.suppressed ? { suppressedSinceLast: l.suppressed } : {}) }, msg);
  }
}

/**
 * Events: 'publish' (PublishInfo) once a publisher is authorised; 'unpublish' (name, reason) when it goes away;
 * 'refused' ({ name, ip, reason, kind: RefusedKind }) for every refused publisher, player or connection.
 * node-media-server keeps its state in a process-wide singleton: one RtmpIngest per process.
 */
export class RtmpIngest extends EventEmitter {
  private nms?: NodeMediaServer;
  private server?: Server;
  private internal?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly guards = new Map<Socket, RtmpGuard>();
  private readonly perAddress = new Map<string, number>();
  private publicConnections = 0;
  private readonly playToken = randomBytes(16).toString('hex');
  private readonly limits: RtmpLimits;
  private readonly throttled: ThrottledWarn;
  /** Connections accepted and refused at the door (limits), since start. */
  readonly counts = { accepted: 0, refusedAtLimit: 0 };
  private readonly refused = new Set<string>();
  private readonly publishers = new Map<string, NmsSession>(); // name → session
  private readonly players = new Map<string, Set<NmsSession>>(); // name → the remux's read sessions
  private readonly nmsListeners: Array<[string, (s: NmsSession) => void]> = [];
  private stalledTimer?: NodeJS.Timeout;
  private readonly lastBytes = new Map<string, { bytes: number; at: number }>();

  constructor(
    private readonly opts: {
      publishKey: string;
      logger: Logger;
      stallTimeoutMs?: number;
      limits?: Partial<RtmpLimits>;
      /** Why a (well-formed, authorised) publish name cannot be taken now, or undefined (the packager: ladder vs stream names). */
      nameInUse?: (name: string) => string | undefined;
    },
  ) {
    super();
    this.limits = { ...DEFAULT_RTMP_LIMITS, ...opts.limits };
    this.throttled = new ThrottledWarn(opts.logger);
  }

  /** Where the remux reads a stream: the loopback listener, with this process's play token. */
  playUrl(name: string): string {
    const a = this.internal?.address();
    const port = a && typeof a === 'object' ? a.port : 0;
    return `rtmp://127.0.0.1:${port}/${RTMP_APP}/${name}?token=${this.playToken}`;
  }

  /** Bytes held by guards for unfinished messages and handshakes, over all connections. */
  heldBytes(): number {
    let sum = 0;
    for (const g of this.guards.values()) sum += g.heldBytes();
    return sum;
  }

  get connections(): number {
    return this.guards.size;
  }

  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  async start(port: number, host?: string): Promise<number> {
    const log = this.opts.logger;
    if (NMS_VERSION !== NMS_PINNED_VERSION) {
      throw new Error(`node-media-server ${NMS_VERSION} is installed; the RTMP guard was written against ${NMS_PINNED_VERSION} (see apps/packager/README.md)`);
    }
    // rtmp.port must be non-zero for node-media-server to build its RTMP handler; we never call nms.run(),
    // so it listens on nothing itself (no HTTP, no store, no webadmin): our server hands it the sockets.
    nmsLogger.log = (message: string, level = 'info') => log.debug({ nms: level }, message);
    this.nms = new NodeMediaServer({ rtmp: { port: 1, chunk_size: 60000, gop_cache: true, ping: 30, ping_timeout: 60 }, record: { auto: false } });
    this.onNms('prePublish', (s) => this.onPrePublish(s));
    this.onNms('postPublish', (s) => this.onPostPublish(s));
    this.onNms('prePlay', (s) => this.onPrePlay(s));
    this.onNms('postPlay', (s) => this.onPostPlay(s));
    this.server = createServer((socket) => this.onPublicConnection(socket));
    this.internal = createServer((socket) => this.attach(socket, 'play'));
    const bound = await listen(this.server as unknown as import('node:http').Server, port, host);
    await listen(this.internal as unknown as import('node:http').Server, 0, '127.0.0.1');
    // Input stall: a publisher whose byte count has not grown for stallTimeoutMs is cut off.
    const stallMs = this.opts.stallTimeoutMs ?? 3000;
    this.stalledTimer = setInterval(() => this.checkStalls(stallMs), 250);
    this.stalledTimer.unref();
    return bound;
  }

  async stop(): Promise<void> {
    if (this.stalledTimer) clearInterval(this.stalledTimer);
    for (const [event, fn] of this.nmsListeners) nmsContext.eventEmitter.off(event, fn);
    this.nmsListeners.length = 0;
    for (const name of [...this.publishers.keys()]) this.endPublish(name, 'server stopping');
    const servers = [this.server, this.internal].filter((s): s is Server => !!s);
    this.server = this.internal = undefined;
    const closed = Promise.all(servers.map((server) => new Promise<void>((r) => server.close(() => r()))));
    for (const s of this.sockets) s.destroy();
    await closed;
    this.nms?.rtmpServer.stop();
    await this.nms?.stop();
    nmsContext.sessions.clear();
  }

  /** Live publisher's codec details as node-media-server parsed them (empty until the metadata arrived). */
  streamInfo(name: string): IngestStreamInfo | undefined {
    const s = this.publishers.get(name);
    if (!s) return undefined;
    return {
      videoCodec: VIDEO_CODECS[s.videoCodec] ?? (s.videoCodec ? String(s.videoCodec) : undefined),
      width: s.videoWidth || undefined,
      height: s.videoHeight || undefined,
      fps: s.videoFramerate || undefined,
      videoKbps: s.videoDatarate ? Math.round(s.videoDatarate) : undefined,
      audioCodec: AUDIO_CODECS[s.audioCodec] ?? (s.audioCodec ? String(s.audioCodec) : undefined),
      sampleRate: s.audioSamplerate || undefined,
      channels: s.audioChannels || undefined,
      bytesIn: s.inBytes ?? 0,
    };
  }

  /** Total bytes received from publishers still connected. */
  bytesIn(): number {
    let sum = 0;
    for (const s of this.publishers.values()) sum += s.inBytes ?? 0;
    return sum;
  }

  private onPublicConnection(socket: Socket) {
    const ip = normalizeIp(socket.remoteAddress ?? '');
    const n = this.perAddress.get(ip) ?? 0;
    const reason =
      this.publicConnections >= this.limits.maxConnections
        ? `${this.limits.maxConnections} connections open (RTMP_MAX_CONNECTIONS)`
        : n >= this.limits.maxConnectionsPerAddress
          ? `${this.limits.maxConnectionsPerAddress} connections open from this address (RTMP_MAX_CONNECTIONS_PER_ADDRESS)`
          : undefined;
    if (reason) {
      this.counts.refusedAtLimit++;
      socket.on('error', () => undefined);
      socket.destroy();
      this.throttled.warn('limit', { ip, reason }, 'rtmp connection refused');
      this.emit('refused', { name: '', ip, reason, kind: 'limit' });
      return;
    }
    this.publicConnections++;
    this.perAddress.set(ip, n + 1);
    socket.once('close', () => {
      this.publicConnections--;
      const left = (this.perAddress.get(ip) ?? 1) - 1;
      if (left > 0) this.perAddress.set(ip, left);
      else this.perAddress.delete(ip);
    });
    this.attach(socket, 'publish');
  }

  /** Puts a guard in front of a new connection; node-media-server gets a session at its first valid connect. */
  private attach(socket: Socket, role: GuardRole) {
    this.counts.accepted++;
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    // node-media-server answers each handshake step in several small writes: with Nagle's algorithm each one after
    // the first waited for the peer's delayed ACK (~40 ms), three times per connect (measured: a remux's play took
    // 130 ms longer to start). Media messages go out at once too.
    socket.setNoDelay(true);
    let session: NmsRtmpSession | undefined;
    const ip = normalizeIp(socket.remoteAddress ?? '');
    const guard = new RtmpGuard(socket, this.limits, role, {
      open: () => {
        session = new NmsRtmpSessionClass(socket);
        session.run();
        socket.off('data', session.onData); // the guard feeds it instead
        session.rtmp.handshakeState = NMS_HANDSHAKE_DONE;
        nmsContext.sessions.set(session.id, session);
      },
      forward: (bytes) => session?.onData(bytes),
      end: (kind, reason) => {
        const k: RefusedKind = kind === 'play' ? 'play' : kind;
        this.throttled.warn(k, { ip, kind: k, reason, stream: fromNmsName(session?.streamName ?? '') }, kind === 'protocol' ? 'rtmp protocol error' : kind === 'timeout' ? 'rtmp connection timed out' : 'play refused');
        this.emit('refused', { name: fromNmsName(session?.streamName ?? ''), ip, reason, kind: k });
      },
    });
    this.guards.set(socket, guard);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.guards.delete(socket);
    });
  }

  private onNms(event: string, fn: (s: NmsSession) => void) {
    this.nmsListeners.push([event, fn]);
    nmsContext.eventEmitter.on(event, fn);
  }

  private refuse(session: NmsSession, reason: string, kind: 'publish' | 'play') {
    this.refused.add(session.id);
    const name = fromNmsName(session.streamName ?? '');
    this.opts.logger.warn({ stream: name, ip: session.ip, kind, reason }, `${kind} refused`);
    this.emit('refused', { name, ip: session.ip, reason, kind });
    session.close();
    // Cut the TCP connection right away: the publisher must not keep sending into a refused session.
    setImmediate(() => session.socket?.destroy());
  }

  private onPrePublish(session: NmsSession) {
    const name = fromNmsName(session.streamName ?? '');
    if (session.streamApp !== RTMP_APP) return this.refuse(session, `unknown app "${session.streamApp}" (use /${RTMP_APP}/<stream>)`, 'publish');
    // A plain stream or one rung of an ABR ladder (<stream>~<k>, <stream>~audio: @livelab/media-contract ladder-names.ts).
    if (!parsePublishName(name)) return this.refuse(session, 'invalid stream name (a stream name, or <stream>~<rung> for a ladder rung)', 'publish');
    const key = session.streamQuery?.['key'];
    if (typeof key !== 'string' || !sameSecret(key, this.opts.publishKey)) return this.refuse(session, 'wrong or missing publish key', 'publish');
    if (this.publishers.has(name)) return this.refuse(session, 'stream already has a publisher', 'publish');
    const inUse = this.opts.nameInUse?.(name);
    if (inUse) return this.refuse(session, inUse, 'publish');
  }

  private onPostPublish(session: NmsSession) {
    // postPublish fires even for a session refused in prePublish: ignore those.
    if (this.refused.has(session.id)) {
      this.refused.delete(session.id);
      return;
    }
    const name = fromNmsName(session.streamName ?? '');
    if (session.socket) this.guards.get(session.socket)?.authorise();
    this.publishers.set(name, session);
    this.lastBytes.set(name, { bytes: session.inBytes ?? 0, at: Date.now() });
    session.socket?.once('close', () => {
      if (this.publishers.get(name) === session) this.endPublish(name, 'publisher disconnected');
    });
    const info: PublishInfo = { sessionId: session.id, name, ip: session.ip, since: new Date() };
    this.opts.logger.info({ stream: name, ip: session.ip }, 'publish started');
    this.emit('publish', info);
  }

  private onPrePlay(session: NmsSession) {
    // RTMP here is ingest only: players are our own remux processes, on the loopback listener, with the token.
    const token = session.streamQuery?.['token'];
    if (!isLoopback(session.ip) || typeof token !== 'string' || !sameSecret(token, this.playToken)) {
      this.refuse(session, 'RTMP playback is not offered; watch over HLS or DASH', 'play');
    }
  }

  private onPostPlay(session: NmsSession) {
    if (this.refused.delete(session.id)) return;
    if (session.socket) this.guards.get(session.socket)?.authorise();
    const name = fromNmsName(session.streamName ?? '');
    let set = this.players.get(name);
    if (!set) this.players.set(name, (set = new Set()));
    set.add(session);
    session.socket?.once('close', () => {
      set.delete(session);
      if (!set.size && this.players.get(name) === set) this.players.delete(name);
    });
  }

  private checkStalls(stallMs: number) {
    const now = Date.now();
    for (const [name, session] of this.publishers) {
      const last = this.lastBytes.get(name);
      const bytes = session.inBytes ?? 0;
      if (!last || bytes !== last.bytes) this.lastBytes.set(name, { bytes, at: now });
      else if (now - last.at > stallMs) {
        this.endPublish(name, `no data for ${stallMs} ms`);
        session.close();
        session.socket?.destroy();
      }
    }
  }

  /**
   * End an accepted publish from outside, e.g. a ladder rung refused as off-grid: logged with the reason, the
   * connection cut (the publisher sees it; its restart is judged afresh). False if `name` has no publisher.
   */
  dropPublish(name: string, reason: string): boolean {
    const session = this.publishers.get(name);
    if (!session) return false;
    this.opts.logger.warn({ stream: name, ip: session.ip, reason }, 'publish dropped');
    this.endPublish(name, reason);
    session.close();
    session.socket?.destroy();
    return true;
  }

  private endPublish(name: string, reason: string) {
    if (!this.publishers.delete(name)) return;
    this.lastBytes.delete(name);
    this.opts.logger.info({ stream: name, reason }, 'publish ended');
    this.emit('unpublish', name, reason);
    // The remux reading this stream gets an end of input now (node-media-server would keep its play session
    // open through its ~30 s publish grace), so it finishes and exits cleanly instead of waiting on a quiet input.
    for (const s of this.players.get(name) ?? []) s.socket?.end();
  }
}
