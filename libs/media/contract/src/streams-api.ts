// The packager's JSON and clock endpoints, as the page, the tests and the bench read them.
import { manifestPath } from './media-paths';

/** GET: { streams: StreamSummary[] }, the playable streams sorted by name. */
export const STREAMS_API_PATH = '/api/streams';
/** GET: the server's clock as an ISO 8601 string (the page's clock offset, the MPDs' UTCTiming). */
export const CLOCK_PATH = '/time';

export interface StreamUrls {
  hls: string;
  dash: string;
  hlsLowLatency: string;
  dashLowLatency: string;
}

/** One video rung of an ABR ladder as /api/streams lists it (contract: ladder-names.ts). */
export interface RungSummary {
  /** 0 = the top rung; the index in the picture's rung strip and the track number in the presentation's files. */
  index: number;
  codec?: string;
  width?: number;
  height?: number;
  fps?: number;
  bitrateKbps?: number;
}

export interface StreamSummary {
  name: string;
  live: true;
  since: string;
  video: { codec?: string; width?: number; height?: number; fps?: number; bitrateKbps?: number };
  audio: { codec?: string; sampleRate?: number; channels?: number };
  /** An ABR ladder's video rungs now in its manifests, top first; absent for a single-rendition stream. */
  rungs?: RungSummary[];
  urls: StreamUrls;
  viewers: number;
  /** Bytes the stream's media holds in memory. */
  storeBytes: number;
}

export interface StreamList {
  streams: StreamSummary[];
}

/** The manifest paths of a stream, as /api/streams lists them. */
export const streamUrls = (stream: string): StreamUrls => ({
  hls: manifestPath(stream, 'hls', 'standard'),
  dash: manifestPath(stream, 'dash', 'standard'),
  hlsLowLatency: manifestPath(stream, 'hls', 'll'),
  dashLowLatency: manifestPath(stream, 'dash', 'll'),
});
