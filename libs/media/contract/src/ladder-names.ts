// ABR ladders on the wire. A ladder is published as one RTMP stream per rung, named `<stream>~<rung>`; the packager
// groups a stream's rungs into one presentation served under /live/<stream>/ (one multivariant playlist, one MPD).
//   video rungs: `<stream>~0`, `<stream>~1`, … — the rung index, 0 = the top (highest bitrate) rung, the same index
//                the generator burns into the picture's rung strip (@livelab/media-testsignal, rung-strip.ts)
//   audio:       `<stream>~audio` — the ladder's one audio rendition (the video rungs carry no audio)
// In the presentation, video rung k's files are track k (media_k.m3u8, init-k.m4s, chunk-k-….m4s) and the audio's
// are track LADDER_AUDIO_TRACK, so a rung keeps its URLs when another rung drops out and comes back.
import { isStreamName } from './stream-name';

export const RUNG_SEPARATOR = '~';
/** Rung indices 0-15 (the rung strip's 4 bits). */
export const MAX_RUNGS = 16;
export const AUDIO_RUNG = 'audio';
/** The track number of a ladder's audio rendition in its presentation's file names. */
export const LADDER_AUDIO_TRACK = 16;

export type Rung = { kind: 'video'; index: number } | { kind: 'audio' };

/** The RTMP publish name of one rung: ladder-1080p30~0, ladder-1080p30~audio. */
export const rungPublishName = (stream: string, rung: Rung): string =>
  `${stream}${RUNG_SEPARATOR}${rung.kind === 'audio' ? AUDIO_RUNG : rung.index}`;

/** The track a rung's files use in its ladder's presentation. */
export const rungTrack = (rung: Rung): number => (rung.kind === 'audio' ? LADDER_AUDIO_TRACK : rung.index);

/**
 * A publish name read back: a plain stream (`rung` absent) or one rung of a ladder; undefined when it is neither
 * (bad stream name, unknown rung, a leading zero, more than one separator).
 */
export function parsePublishName(name: string): { stream: string; rung?: Rung } | undefined {
  const at = name.indexOf(RUNG_SEPARATOR);
  if (at < 0) return isStreamName(name) ? { stream: name } : undefined;
  const stream = name.slice(0, at);
  const rung = name.slice(at + 1);
  if (!isStreamName(stream)) return undefined;
  if (rung === AUDIO_RUNG) return { stream, rung: { kind: 'audio' } };
  if (!/^(?:0|[1-9]\d?)$/.test(rung) || Number(rung) >= MAX_RUNGS) return undefined;
  return { stream, rung: { kind: 'video', index: Number(rung) } };
}
