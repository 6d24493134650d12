// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the ambient types must reach every program that compiles this file
/// <reference path="./node-media-server.d.ts" />
// RTMP ingest on node-media-server 4.x, used as a library: we own the TCP listener (so port 0 works and a busy
// port is an error we report, not a process.exit inside the library), authorise publishers ourselves, and
// report a publisher's end the moment its socket closes — not node-media-server's ~30 s late donePublish.
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Logger } from '@livelab/service-kit';
import { listen } from '@livelab/service-kit';
import { STREAM_NAME_PATTERN } from '@livelab/media-testsignal';
import NodeMediaServer from 'node-media-server';
import type { NmsSession } from 'node-media-server';
// node-media-server's console logger: routed into our JSON log at debug level.
const nmsLogger = require('node-media-server/src/core/logger.js') as { level: string; log: (m: string, l?: string) => void };
const nmsContext = require('node-media-server/src/core/context.js') as {
  eventEmitter: EventEmitter;
  sessions: Map<string, NmsSession>;
};

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

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

const isLoopback = (ip: string) => /^(::ffff:)?127\.|^::1$/.test(ip.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''));

/**
 * Events: 'publish' (PublishInfo) once a publisher is authorised; 'unpublish' (name, reason) when it goes away;
 * 'refused' ({ name, ip, reason }) for every refused publisher or player.
 * node-media-server keeps its state in a process-wide singleton: one RtmpIngest per process.
 */
export class RtmpIngest extends EventEmitter {
  private nms?: NodeMediaServer;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly refused = new Set<string>();
  private readonly publishers = new Map<string, NmsSession>(); // name → session
  private readonly nmsListeners: Array<[string, (s: NmsSession) => void]> = [];
  private stalledTimer?: NodeJS.Timeout;
  private readonly lastBytes = new Map<string, { bytes: number; at: number }>();

  constructor(
    private readonly opts: { publishKey: string; logger: Logger; stallTimeoutMs?: number },
  ) {
    super();
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
    // rtmp.port must be non-zero for node-media-server to build its RTMP handler; we never call nms.run(),
    // so it listens on nothing itself (no HTTP, no store, no webadmin): our server hands it the sockets.
    nmsLogger.log = (message: string, level = 'info') => log.debug({ nms: level }, message);
    this.nms = new NodeMediaServer({ rtmp: { port: 1, chunk_size: 60000, gop_cache: true, ping: 30, ping_timeout: 60 }, record: { auto: false } });
    this.onNms('prePublish', (s) => this.onPrePublish(s));
    this.onNms('postPublish', (s) => this.onPostPublish(s));
    this.onNms('prePlay', (s) => this.onPrePlay(s));
    const handle = this.nms.rtmpServer.handleRequest;
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      handle(socket);
    });
    const bound = await listen(this.server as unknown as import('node:http').Server, port, host);
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
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
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

  private onNms(event: string, fn: (s: NmsSession) => void) {
    this.nmsListeners.push([event, fn]);
    nmsContext.eventEmitter.on(event, fn);
  }

  private refuse(session: NmsSession, reason: string, kind: 'publish' | 'play') {
    this.refused.add(session.id);
    const name = session.streamName ?? '';
    this.opts.logger.warn({ stream: name, ip: session.ip, kind, reason }, `${kind} refused`);
    this.emit('refused', { name, ip: session.ip, reason, kind });
    session.close();
    // Cut the TCP connection right away: the publisher must not keep sending into a refused session.
    setImmediate(() => session.socket?.destroy());
  }

  private onPrePublish(session: NmsSession) {
    const name = session.streamName ?? '';
    if (session.streamApp !== RTMP_APP) return this.refuse(session, `unknown app "${session.streamApp}" (use /${RTMP_APP}/<stream>)`, 'publish');
    if (!STREAM_NAME_PATTERN.test(name)) return this.refuse(session, 'invalid stream name', 'publish');
    const key = session.streamQuery?.['key'];
    if (typeof key !== 'string' || !sameSecret(key, this.opts.publishKey)) return this.refuse(session, 'wrong or missing publish key', 'publish');
    if (this.publishers.has(name)) return this.refuse(session, 'stream already has a publisher', 'publish');
  }

  private onPostPublish(session: NmsSession) {
    // postPublish fires even for a session refused in prePublish: ignore those.
    if (this.refused.has(session.id)) {
      this.refused.delete(session.id);
      return;
    }
    const name = session.streamName;
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
    // RTMP here is ingest only: players are our own remux processes on loopback.
    if (!isLoopback(session.ip)) this.refuse(session, 'RTMP playback is not offered; watch over HLS or DASH', 'play');
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

  private endPublish(name: string, reason: string) {
    if (!this.publishers.delete(name)) return;
    this.lastBytes.delete(name);
    this.opts.logger.info({ stream: name, reason }, 'publish ended');
    this.emit('unpublish', name, reason);
  }
}
