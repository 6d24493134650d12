// The alignment rule of an ABR ladder (docs/abr.md): the same segment number means the same media time in every rung,
// so a player switches rungs at a segment boundary by number (DASH $Number$) or media sequence (HLS). Every rung's
// remux keeps the publisher's timestamps (-copyts), so all rungs' decode times are on the publisher's one clock; the
// ladder's grid is anchored at the first segment of the top video rung published (zero) and numbered from the ladder's first
// number (segment-numbers.ts, from the publish time): video segment at media time t is
//   number = first + round((t − zero) / segment)
// and must start within ALIGNMENT_TOLERANCE_S of that grid line — a rung whose keyframes fall elsewhere (encoded
// differently) is refused, not served misaligned. Audio segments (cut by the audio remux's own clock, not at video
// keyframes) are placed on the grid at a run's first segment and then count on with the remux's numbers. A number is
// never given twice on a track (not by a restarted remux that replays a GOP, not by a rung that comes back), and
// never below the ladder's first: segment and part URLs are immutable.
export const ALIGNMENT_TOLERANCE_S = 0.02;

export type Placement = { number: number } | { drop: string } | { refuse: string };

interface TrackRun {
  run: number;
  offset: number;
}

export class LadderAlignment {
  /** Media time (s, publisher clock) of the grid's first line: the first video segment of the ladder. */
  zeroSeconds?: number;
  private readonly highest = new Map<number, number>();
  private readonly runs = new Map<string, TrackRun>();

  constructor(
    readonly firstNumber: number,
    readonly segmentSeconds: number,
    private readonly tolerance = ALIGNMENT_TOLERANCE_S,
  ) {}

  /** The highest number used on any track (a later ladder of the name starts above it). */
  get highestUsedNumber(): number {
    return Math.max(this.firstNumber - 1, ...this.highest.values());
  }

  /**
   * Where segment `remuxNumber` of `run` (of the rung whose publish is `publish`) on track `track` goes, from its
   * first decode time `seconds`.
   */
  place(publish: string, track: number, kind: 'video' | 'audio', remuxNumber: number, seconds: number, run: number, anchor = kind === 'video'): Placement {
    // The grid is anchored by the top rung published (`anchor`): one off-grid rung must not move it for the others.
    if (anchor && kind === 'video' && this.zeroSeconds === undefined) this.zeroSeconds = seconds;
    const zero = this.zeroSeconds;
    if (zero === undefined) return { drop: 'before the first segment of the top rung (the ladder has no grid yet)' };
    const x = (seconds - zero) / this.segmentSeconds;
    let number: number;
    if (kind === 'video') {
      const k = Math.round(x);
      const off = Math.abs(x - k) * this.segmentSeconds;
      if (off > this.tolerance) {
        return { refuse: `segment at media time ${seconds.toFixed(3)} s is ${(off * 1000).toFixed(0)} ms off the ladder's segment boundaries (keyframes must fall on them)` };
      }
      number = this.firstNumber + k;
    } else {
      const key = `${publish}:${track}`;
      let r = this.runs.get(key);
      if (!r || r.run !== run) this.runs.set(key, (r = { run, offset: this.firstNumber + Math.round(x) - remuxNumber }));
      number = remuxNumber + r.offset;
    }
    if (number < this.firstNumber) return { drop: `segment ${number} is before the ladder's first (${this.firstNumber})` };
    const used = this.highest.get(track);
    if (used !== undefined && number <= used) return { drop: `segment ${number} is not after track ${track}'s last (${used})` };
    this.highest.set(track, number);
    return { number };
  }

  /** A rung publish ended: its audio run state goes (the numbers it used stay used). */
  forget(publish: string): void {
    for (const k of [...this.runs.keys()]) if (k.startsWith(`${publish}:`)) this.runs.delete(k);
  }
}
