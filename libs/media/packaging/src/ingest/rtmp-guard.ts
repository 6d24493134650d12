// One RTMP connection's guard, in front of node-media-server (pinned 4.4.3, see rtmp-ingest.ts): it does the
// handshake itself, de-chunks the stream with RtmpChunkReader, decodes every command with our own AMF decoder,
// checks it against the connection's state (connect with a parseable tcUrl and a plain app name first; publish or
// play once, after connect; media only from an accepted publisher) and hands node-media-server only canonical,
// re-encoded messages: one type 0 chunk each, after a Set Chunk Size that makes every message one chunk. Anything
// else is a protocol error: this connection is closed and reported, nothing else notices.
//
// Bounded per unauthenticated connection (before its publish is accepted): 5 s to finish the handshake, 10 s to
// publish, the handshake buffer (1536 B), unfinished messages ≤ maxCommandBytes (64 KiB) in total, no media or
// data messages at all, ≤ maxChunkStreams chunk stream states, one connect with a tcUrl ≤ 2048 characters,
// ≤ 8 createStream — so all we ever write to it is ~4 KiB (handshake and answers). node-media-server's session is only created at the first
// valid connect, and then holds the canonical connect (≤ 2.2 KiB) in its command buffer (+1 KiB). Worst case:
// 64 KiB held here + ~3 KiB there + the session and socket objects: ≤ 128 KiB, measured 87-108 KiB retained per
// connection after a full GC (test/rtmp-limits.test.ts).
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { AmfError, amfObject, decodeAmf0, encodeAmf0, isAmfObject, type AmfObject, type AmfValue } from './rtmp-amf';
import { RtmpChunkReader, RtmpProtocolError, type RtmpMessage } from './rtmp-chunk-reader';
import { toNmsName } from './nms-names';

export interface RtmpLimits {
  handshakeTimeoutMs: number;
  /** From accept until a publish (or the remux's play) is accepted. */
  publishTimeoutMs: number;
  /** No bytes either way for this long closes the connection. */
  idleTimeoutMs: number;
  maxChunkSize: number;
  maxChunkStreams: number;
  /** Commands, data and control messages; also the total held before a publish is accepted. */
  maxCommandBytes: number;
  /** Audio/video messages of an accepted publisher. */
  maxMediaBytes: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

export const DEFAULT_RTMP_LIMITS: RtmpLimits = {
  handshakeTimeoutMs: 5000,
  publishTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  maxChunkSize: 65_536,
  maxChunkStreams: 16,
  maxCommandBytes: 64 * 1024,
  maxMediaBytes: 4 * 1024 * 1024,
  maxConnections: 200,
  maxConnectionsPerAddress: 10,
};

export type GuardEndKind = 'protocol' | 'timeout' | 'play';

export interface RtmpGuardHooks {
  /** The first valid connect: create the node-media-server session (it receives `forward`ed bytes). */
  open(): void;
  /** Bytes for node-media-server's parser. May throw: that is a protocol error of this connection. */
  forward(bytes: Buffer): void;
  /** The guard is closing the connection (the socket is destroyed right after). */
  end(kind: GuardEndKind, reason: string): void;
}

/** What this listener accepts: publishers (the public port) or the remux's loopback plays. */
export type GuardRole = 'publish' | 'play';

const HANDSHAKE_SIZE = 1536;
const SAFE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
// Message types (RTMP 1.0 §5.4, §7.1).
const T = { ack: 3, userControl: 4, windowAck: 5, peerBandwidth: 6, audio: 8, video: 9, amf3Data: 15, amf3SharedObject: 16, amf3Command: 17, data: 18, sharedObject: 19, command: 20, aggregate: 22 } as const;
const CONTROL_MAX = 64;
const MAX_TCURL = 2048;
/** createStream answers per connection (ffmpeg and OBS send one). */
const MAX_CREATE_STREAM = 8;
/** A publisher that stops reading our (few) answers: beyond this much unsent we stop answering it. */
const MAX_UNSENT_BYTES = 64 * 1024;
// Chunk stream ids of the canonical stream handed to node-media-server.
const CANONICAL_CID: Record<number, number> = { [T.command]: 3, [T.audio]: 4, [T.video]: 5, [T.data]: 6 };

/** A type 0 chunk carrying a whole message (node-media-server's chunk size is set beyond any message first). */
export function canonicalChunk(type: number, streamId: number, timestamp: number, payloadLength: number): Buffer {
  const ext = timestamp >= 0xffffff;
  const h = Buffer.alloc(ext ? 16 : 12);
  h[0] = CANONICAL_CID[type] ?? 3;
  h.writeUIntBE(ext ? 0xffffff : timestamp, 1, 3);
  h.writeUIntBE(payloadLength, 4, 3);
  h[7] = type;
  h.writeUInt32LE(streamId >>> 0, 8);
  if (ext) h.writeUInt32BE(timestamp >>> 0, 12);
  return h;
}

/** Set Chunk Size 0x7fffffff on chunk stream 2: every canonical message then fits in one chunk. */
export const CANONICAL_PREAMBLE = Buffer.from('020000000000040100000000' + '7fffffff', 'hex');

export class RtmpGuard {
  private state: 'c0' | 'c1' | 'c2' | 'chunks' | 'ended' = 'c0';
  private hs?: Buffer;
  private hsLen = 0;
  private reader?: RtmpChunkReader;
  private connected = false;
  private started = false; // publish or play forwarded
  private authorised = false;
  private createStreams = 0;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly limits: RtmpLimits,
    private readonly role: GuardRole,
    private readonly hooks: RtmpGuardHooks,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.once('close', () => this.clearTimers());
    this.timers.push(setTimeout(() => this.state !== 'chunks' && this.fail('timeout', `no handshake within ${limits.handshakeTimeoutMs} ms`), limits.handshakeTimeoutMs));
    this.timers.push(setTimeout(() => !this.authorised && this.fail('timeout', `no ${role} within ${limits.publishTimeoutMs} ms`), limits.publishTimeoutMs));
    socket.setTimeout(limits.idleTimeoutMs, () => this.fail('timeout', `idle for ${limits.idleTimeoutMs} ms`));
  }

  /** Bytes this connection holds in unfinished messages and its handshake. */
  heldBytes(): number {
    return (this.hs?.length ?? 0) + (this.reader?.heldBytes() ?? 0);
  }

  get isAuthorised(): boolean {
    return this.authorised;
  }

  /** The publish (or play) was accepted: media limits apply from now on, the publish deadline is met. */
  authorise(): void {
    this.authorised = true;
  }

  private clearTimers() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
  }

  fail(kind: GuardEndKind, reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.clearTimers();
    this.hs = undefined;
    this.reader = undefined;
    this.hooks.end(kind, reason);
    this.socket.destroy();
  }

  private onData(data: Buffer): void {
    try {
      this.consume(data);
      // A publisher gets a few small answers; one that sends and never reads would make us buffer them.
      if (this.role === 'publish' && this.socket.writableLength > MAX_UNSENT_BYTES) throw new RtmpProtocolError(`peer does not read: ${this.socket.writableLength} bytes unsent`);
    } catch (err) {
      const e = err as Error;
      const known = e instanceof RtmpProtocolError || e instanceof AmfError;
      this.fail('protocol', known ? e.message : `node-media-server failed on this input: ${e.name}: ${e.message}`);
    }
  }

  private consume(data: Buffer): void {
    let pos = 0;
    while (pos < data.length && this.state !== 'ended') {
      switch (this.state) {
        case 'c0':
          if (data[pos] !== 3) throw new RtmpProtocolError(`unsupported RTMP version ${data[pos]} (expected 3)`);
          pos++;
          this.state = 'c1';
          this.hs = Buffer.alloc(HANDSHAKE_SIZE);
          this.hsLen = 0;
          break;
        case 'c1':
        case 'c2': {
          const n = Math.min(HANDSHAKE_SIZE - this.hsLen, data.length - pos);
          if (this.state === 'c1') data.copy(this.hs as Buffer, this.hsLen, pos, pos + n);
          this.hsLen += n;
          pos += n;
          if (this.hsLen < HANDSHAKE_SIZE) break;
          this.hsLen = 0;
          if (this.state === 'c1') {
            this.sendS0S1S2(this.hs as Buffer);
            this.state = 'c2';
          } else {
            this.hs = undefined;
            this.state = 'chunks';
            this.reader = new RtmpChunkReader(
              {
                maxChunkSize: this.limits.maxChunkSize,
                maxChunkStreams: this.limits.maxChunkStreams,
                maxMessageBytes: (type) => this.maxMessageBytes(type),
                // An accepted publisher may have an audio and a video message under way at once.
                maxHeldBytes: () => (this.authorised ? 2 * this.limits.maxMediaBytes : this.limits.maxCommandBytes),
              },
              (m) => this.onMessage(m),
            );
          }
          break;
        }
        case 'chunks':
          (this.reader as RtmpChunkReader).push(pos === 0 ? data : data.subarray(pos));
          return;
      }
    }
  }

  /** The plain handshake (S1: time, zero version, random; S2 echoes C1), as ffmpeg, OBS and librtmp accept. */
  private sendS0S1S2(c1: Buffer) {
    const s1 = randomBytes(HANDSHAKE_SIZE);
    s1.writeUInt32BE((Date.now() >>> 0) & 0x7fffffff, 0);
    s1.writeUInt32BE(0, 4);
    this.socket.write(Buffer.concat([Buffer.from([3]), s1, c1]));
  }

  private maxMessageBytes(type: number): number {
    switch (type) {
      case T.audio:
      case T.video:
        return this.authorised && this.role === 'publish' ? this.limits.maxMediaBytes : 0;
      case T.data:
      case T.amf3Data:
        return this.authorised && this.role === 'publish' ? this.limits.maxCommandBytes : 0;
      case T.command:
      case T.amf3Command:
      case T.sharedObject:
      case T.amf3SharedObject:
        return this.limits.maxCommandBytes;
      case 1:
      case 2:
      case T.ack:
      case T.userControl:
      case T.windowAck:
      case T.peerBandwidth:
        return CONTROL_MAX;
      default:
        return 0; // aggregate and unknown types: refused by their declared length
    }
  }

  private onMessage(m: RtmpMessage): void {
    switch (m.type) {
      case T.audio:
      case T.video:
        if (!this.authorised) throw new RtmpProtocolError('media before an accepted publish');
        if (m.payload.length) this.forward(m.type, m.streamId, m.timestamp, m.payload);
        return;
      case T.data:
        return this.onData18(m, decodeAmf0(m.payload));
      case T.amf3Data:
        return this.onData18(m, decodeAmf0(m.payload.subarray(1)));
      case T.command:
        return this.onCommand(m, decodeAmf0(m.payload));
      case T.amf3Command:
        if (!m.payload.length || m.payload[0] !== 0) throw new RtmpProtocolError('AMF3 command without its leading 0 byte');
        return this.onCommand(m, decodeAmf0(m.payload.subarray(1)));
      case T.sharedObject:
      case T.amf3SharedObject:
        throw new RtmpProtocolError('shared objects are not supported');
      case T.ack:
      case T.userControl:
      case T.windowAck:
      case T.peerBandwidth:
        return; // node-media-server ignores these too (it never waits for acks)
      default:
        throw new RtmpProtocolError(`unknown message type ${m.type}`);
    }
  }

  private forward(type: number, streamId: number, timestamp: number, payload: Buffer) {
    if (this.state === 'ended' || this.socket.destroyed || this.socket.writableEnded) return;
    this.hooks.forward(canonicalChunk(type, streamId, timestamp, payload.length));
    this.hooks.forward(payload);
  }

  /** @setDataFrame/onMetaData from the accepted publisher: forwarded flat (numbers, strings, booleans). */
  private onData18(m: RtmpMessage, values: AmfValue[]) {
    if (!this.authorised) throw new RtmpProtocolError('data message before an accepted publish');
    const [first, second, third] = values;
    const meta = first === '@setDataFrame' && second === 'onMetaData' ? third : first === 'onMetaData' ? second : undefined;
    if (meta === undefined) return; // other data messages: node-media-server has no use for them
    if (!isAmfObject(meta)) throw new RtmpProtocolError('onMetaData without an object');
    const flat = amfObject();
    for (const [k, v] of Object.entries(meta)) if (['number', 'string', 'boolean'].includes(typeof v)) flat[k] = v;
    this.forward(T.data, m.streamId, m.timestamp, encodeAmf0(['@setDataFrame', 'onMetaData', flat]));
  }

  private onCommand(m: RtmpMessage, values: AmfValue[]) {
    const [name, transId] = values;
    if (typeof name !== 'string') throw new RtmpProtocolError('command without a name');
    const tid = typeof transId === 'number' && Number.isFinite(transId) ? transId : 0;
    if (name === 'connect') return this.onConnect(tid, values[2]);
    if (!this.connected) throw new RtmpProtocolError(`${name} before connect`);
    switch (name) {
      case 'createStream':
        if (++this.createStreams > MAX_CREATE_STREAM) throw new RtmpProtocolError(`more than ${MAX_CREATE_STREAM} createStream commands`);
        return this.forward(T.command, 0, 0, encodeAmf0(['createStream', tid, null]));
      case 'publish':
      case 'play': {
        if (this.started) throw new RtmpProtocolError(`${name} after a publish or play on this connection`);
        const stream = values[3];
        if (typeof stream !== 'string' || !stream || Buffer.byteLength(stream) > 1024) throw new RtmpProtocolError(`${name} without a stream name`);
        if (name !== this.role) {
          this.fail('play', name === 'play' ? 'RTMP playback is not offered; watch over HLS or DASH' : 'publishing is not offered on this port');
          return;
        }
        this.started = true;
        const type = typeof values[4] === 'string' ? values[4] : 'live';
        return this.forward(T.command, m.streamId, 0, encodeAmf0(name === 'publish' ? ['publish', tid, null, toNmsName(stream), type] : ['play', tid, null, toNmsName(stream)]));
      }
      default:
        // releaseStream, FCPublish, FCUnpublish, deleteStream, _checkbw, …: well-formed (decoded above) and
        // of no use to node-media-server, which only logs them.
        return;
    }
  }

  private onConnect(tid: number, cmdObj: AmfValue) {
    if (this.connected) throw new RtmpProtocolError('a second connect');
    if (!isAmfObject(cmdObj)) throw new RtmpProtocolError('connect without its command object');
    const app = cmdObj['app'];
    const tcUrl = cmdObj['tcUrl'];
    if (typeof app !== 'string' || !SAFE_NAME.test(app.replace(/\/$/, ''))) throw new RtmpProtocolError('connect without a valid app name');
    if (typeof tcUrl !== 'string') throw new RtmpProtocolError('connect without tcUrl');
    // node-media-server keeps the connect object for the connection's life: only short values reach it.
    if (tcUrl.length > MAX_TCURL) throw new RtmpProtocolError(`connect with a tcUrl longer than ${MAX_TCURL} characters`);
    try {
      new URL(tcUrl);
    } catch {
      throw new RtmpProtocolError('connect with a tcUrl that does not parse');
    }
    const objectEncoding = cmdObj['objectEncoding'] === 3 ? 3 : 0;
    this.connected = true;
    this.hooks.open();
    this.hooks.forward(CANONICAL_PREAMBLE);
    const canonical: AmfObject = amfObject();
    Object.assign(canonical, { app: app.replace(/\/$/, ''), tcUrl, objectEncoding });
    this.forward(T.command, 0, 0, encodeAmf0(['connect', tid, canonical]));
  }
}
