// node-media-server 4.x ships no types (and @types/node-media-server describes v2): the parts we use.
declare module 'node-media-server' {
  import type { Socket } from 'node:net';
  namespace NodeMediaServer {
    interface NmsSession {
      id: string;
      ip: string;
      streamPath: string;
      streamApp: string;
      streamName: string;
      streamQuery: Record<string, string | undefined>;
      socket?: Socket;
      createTime: number;
      inBytes: number;
      videoCodec: number;
      videoWidth: number;
      videoHeight: number;
      videoFramerate: number;
      videoDatarate: number;
      audioCodec: number;
      audioChannels: number;
      audioSamplerate: number;
      audioDatarate: number;
      close(): void;
    }
  }
  class NodeMediaServer {
    constructor(config: Record<string, unknown>, configPath?: string);
    on(event: string, listener: (session: NodeMediaServer.NmsSession) => void): void;
    rtmpServer: { handleRequest(socket: Socket): void; stop(): void };
    stop(): Promise<void>;
  }
  export = NodeMediaServer;
}
