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

/** `shiftSeconds`: added to the segment's decode times (a restarted remux whose clock began again; see place()). */
export type Placement = { number: number; shiftSeconds: number } | { drop: string } | { refuse: string };

interface TrackRun {
  run: number;
  /** Audio: number − remux number. */
  offset: number;
  /** Added to this run's media times (s). */
  shift: number;
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
   * first decode time `seconds`. `newest` is the newest number the other video rungs have made (the reference for a
   * restarted remux: see below).
   *
   * A rung's remux restarted within its publish (it crashed) reads node-media-server's stream afresh. Its decode
   * times are the publisher's once CmafStore has moved the init's empty edit into them (fmp4.ts editShiftTicks;
   * before that they began again near 0 and mapped to the ladder's first numbers). A run whose first segment still
   * maps more than one number below the track's last, or (video) off the grid, is shifted to the grid line of `newest` (what the
   * other rungs are making now: the same GOP), or just past the track's last if no other rung is there; its decode
   * times are rewritten by that shift (CmafStore), so the rung carries on aligned.
   */
  place(
    publish: string,
    track: number,
    kind: 'video' | 'audio',
    remuxNumber: number,
    seconds: number,
    run: number,
    anchor = kind === 'video',
    newest?: number,
  ): Placement {
    // The grid is anchored by the top rung published (`anchor`): one off-grid rung must not move it for the others.
    if (anchor && kind === 'video' && this.zeroSeconds === undefined) this.zeroSeconds = seconds;
    const zero = this.zeroSeconds;
    if (zero === undefined) return { drop: 'before the first segment of the top rung (the ladder has no grid yet)' };
    const seg = this.segmentSeconds;
    const used = this.highest.get(track);
    const key = `${publish}:${track}`;
    let r = this.runs.get(key);
    if (!r || r.run !== run) {
      let shift = 0;
      // A replay of the GOP in progress at the crash maps to the last number or the one before: those are dropped.
      // A video run that comes back on a used track off the grid is placed the same way: node-media-server resumes a
      // publish that returns within its grace window on the old timeline, shifted past the old publish's last frame
      // (broadcast_server.js `_dtsOffset`), so its keyframes no longer fall on the ladder's lines.
      const x = (seconds - zero) / seg;
      const offGrid = kind === 'video' && Math.abs(x - Math.round(x)) * seg > this.tolerance;
      if (used !== undefined && (this.firstNumber + Math.round(x) < used - 1 || offGrid)) {
        const target = Math.max(used + 1, newest ?? -Infinity);
        shift = Math.round((zero + (target - this.firstNumber) * seg - seconds) * 1000) / 1000;
      }
      const x0 = (seconds + shift - zero) / seg;
      this.runs.set(key, (r = { run, offset: this.firstNumber + Math.round(x0) - remuxNumber, shift }));
    }
    const t = seconds + r.shift;
    const x = (t - zero) / seg;
    let number: number;
    if (kind === 'video') {
      const k = Math.round(x);
      const off = Math.abs(x - k) * seg;
      if (off > this.tolerance) {
        return { refuse: `segment at media time ${t.toFixed(3)} s is ${(off * 1000).toFixed(0)} ms off the ladder's segment boundaries (keyframes must fall on them)` };
      }
      number = this.firstNumber + k;
    } else {
      number = remuxNumber + r.offset;
    }
    if (number < this.firstNumber) return { drop: `segment ${number} is before the ladder's first (${this.firstNumber})` };
    if (used !== undefined && number <= used) return { drop: `segment ${number} is not after track ${track}'s last (${used})` };
    this.highest.set(track, number);
    return { number, shiftSeconds: r.shift };
  }

  /** A rung publish ended: its run state goes (the numbers it used stay used). */
  forget(publish: string): void {
    for (const k of [...this.runs.keys()]) if (k.startsWith(`${publish}:`)) this.runs.delete(k);
  }
}
