// Which rung a player's rendition is, and which way a switch goes: pure rules the ABR monitor applies to both players.
import type { RungSwitch } from '@livelab/media-contract';

/**
 * Rung indices for a list of renditions: the index each one's name gives (our ladders: HLS media_<k>.m3u8, DASH
 * Representation id k) when every rendition has a distinct one, else the rank by bitrate (0 = highest).
 */
export function rungIndices(items: Array<{ named?: number; bitrate: number }>): number[] {
  const named = items.map((i) => i.named);
  if (named.every((n): n is number => n !== undefined) && new Set(named).size === named.length) return named;
  const order = items.map((it, i) => ({ i, b: it.bitrate })).sort((a, b) => b.b - a.b);
  const rungs = new Array<number>(items.length);
  order.forEach((o, rank) => (rungs[o.i] = rank));
  return rungs;
}

/** A switch is up when the new rung's bitrate is higher (by index when a bitrate is unknown: 0 = top). */
export function switchDirection(from: number | undefined, to: number, fromKbps?: number, toKbps?: number): RungSwitch['direction'] {
  if (from === undefined) return 'first';
  if (fromKbps !== undefined && toKbps !== undefined && fromKbps !== toKbps) return toKbps > fromKbps ? 'up' : 'down';
  return to < from ? 'up' : 'down';
}
