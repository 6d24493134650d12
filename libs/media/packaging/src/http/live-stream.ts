// What the media routes serve a stream from: a single-rendition stream (remux/stream-packager.ts, its own CmafStore)
// or an ABR ladder's presentation (ladder/ladder.ts, its rungs' stores composed). Both give tracks by the id in the
// file names, a version that goes up on every change (manifests are cached per version), and the store's events
// ('part', 'segment', 'change') the fan-out releases waiters on.
import type { EventEmitter } from 'node:events';
import type { LiveTimeline, Track } from '../cmaf/cmaf-store';
import type { StreamState } from '../remux/stream-packager';

/** Events: 'part' (track, segment, part), 'segment' (track, segment), 'change'. */
export interface MediaStore extends Pick<EventEmitter, 'on'> {
  readonly version: number;
  readonly isClosed: boolean;
  track(id: number): Track | undefined;
  /** Tracks with an init segment, by id. */
  readyTracks(): Track[];
  bytes(): number;
  waitFor(ready: () => boolean, timeoutMs: number): Promise<boolean>;
}

export interface LiveStream {
  readonly name: string;
  readonly state: StreamState;
  readonly store: MediaStore;
  /** Settled once playable; manifests are written from it. */
  readonly timeline?: LiveTimeline;
  readonly chunkSeconds: number;
  /** An ABR ladder: one STREAM-INF / Representation per video track, EXT-X-RENDITION-REPORT (docs/abr.md). */
  readonly ladder?: boolean;
}
