// The page's bandwidth throttle: a cap on how fast the player is *given* what it downloads, so that hls.js's and
// dash.js's ABR see a slow link and switch, with no network tool. Not a network throttle: the server still sends at
// full speed and the browser receives at full speed; the page holds each finished response back until a link of the
// cap's rate would have delivered it, and the player's timing stats then show that later time.
//
// The link model: one bottleneck shared by every request of the page (video, audio, playlists, MPDs). A response of
// B bytes whose request started at s is handed over at max(arrived, max(s, linkFreeAt) + 8·B / cap), and the link is
// busy until then. Concurrent requests queue behind each other, as on a real bottleneck.
//
// Hooks (hand-written: neither player has a throttle of its own; both document these extension points):
// - hls.js 1.7: `config.loader`, a subclass of its default XhrLoader that delays onSuccess and sets stats.loading.end
//   to the hand-over time (its ABR samples loading.start → parsing.end, so the delay is what it measures), and whose
//   `stats.loaded` grows at the cap's rate while a fragment loads (what its abandon rule watches).
// - dash.js 5.2: a response interceptor (`addResponseInterceptor`, run before dash.js records the request's metrics)
//   that waits until the hand-over time and rewrites the request's end time and progress trace to it (dash.js
//   computes throughput from that trace, and from the Resource Timing API unless `useResourceTimingApi` is off:
//   dashThroughputSettings(true) turns it off, with the Network Information API, while a cap is set).
import Hls, { type HlsConfig, type LoaderCallbacks, type LoaderConfiguration, type LoaderContext } from 'hls.js';
import type { BandwidthCap } from './bandwidth-cap';

export { BandwidthCap } from './bandwidth-cap';

export const THROTTLE_MECHANISM =
  'Paces what the player is handed, inside the page (hls.js: a custom loader; dash.js: a response interceptor). ' +
  'Not a network throttle: the server still sends at full speed.';

/** Choices for the menu, kbit/s; 0 = off. */
export const THROTTLE_PRESETS_KBPS = [0, 20000, 5000, 2000, 1000, 500, 250] as const;

function byteLength(data: unknown): number {
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof data === 'string') return data.length;
  return 0;
}

type HlsLoaderClass = NonNullable<HlsConfig['loader']>;

/** hls.js `config.loader`: the default loader, with every response handed over under the cap. */
export function cappedHlsLoader(cap: BandwidthCap, Base: HlsLoaderClass = Hls.DefaultConfig.loader): HlsLoaderClass {
  return class CappedLoader extends Base {
    private holdTimer?: ReturnType<typeof setTimeout>;
    private releaseBooking?: () => void;

    private dropHold(): void {
      if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
      this.holdTimer = undefined;
      this.releaseBooking?.();
      this.releaseBooking = undefined;
    }

    override load(context: LoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
      const startMs = performance.now();
      // hls.js watches `stats.loaded` while a fragment loads (its abandon rule switches down at once when the rest
      // would arrive too late): under a cap it reads what the capped link would have delivered so far, not what the
      // browser already has. The loader's own writes go to `real`.
      const stats = this.stats;
      let real = stats.loaded;
      Object.defineProperty(stats, 'loaded', {
        configurable: true,
        enumerable: true,
        get: () => {
          const kbps = cap.kbps;
          if (!kbps || !stats.loading.start) return real;
          return Math.min(real, Math.floor(((performance.now() - stats.loading.start) * kbps) / 8));
        },
        set: (v: number) => {
          real = v;
        },
      });
      const unpace = () => Object.defineProperty(stats, 'loaded', { configurable: true, enumerable: true, writable: true, value: real });
      const onSuccess: LoaderCallbacks<LoaderContext>['onSuccess'] = (response, stats, ctx, details) => {
        const bytes = real || byteLength(response.data);
        const now = performance.now();
        const booking = cap.book(bytes, stats.loading.start || startMs, now);
        const at = booking.at;
        this.releaseBooking = booking.release;
        const deliver = () => {
          this.holdTimer = undefined;
          this.releaseBooking = undefined;
          unpace();
          const t = performance.now();
          stats.loading.end = Math.max(stats.loading.end, t);
          if (stats.loading.first > stats.loading.end) stats.loading.first = stats.loading.end;
          callbacks.onSuccess(response, stats, ctx, details);
        };
        if (at - now < 1) deliver();
        else this.holdTimer = setTimeout(deliver, at - now);
      };
      const onError: LoaderCallbacks<LoaderContext>['onError'] = (...args) => {
        unpace();
        callbacks.onError(...args);
      };
      super.load(context, config, { ...callbacks, onSuccess, onError });
    }

    override abort(): void {
      this.dropHold();
      super.abort();
    }

    override destroy(): void {
      this.dropHold();
      super.destroy();
    }
  };
}

/**
 * dash.js's throughput sources for the throttle: while a cap is set, throughput from dash.js's own request timing (the
 * paced one), not the browser's Resource Timing (the real speed); without one, dash.js's default (Resource Timing on).
 * The Network Information API stays off either way, as dash.js's default has it.
 */
export function dashThroughputSettings(capped: boolean) {
  return {
    streaming: {
      abr: {
        throughput: {
          useResourceTimingApi: !capped,
          useNetworkInformationApi: { xhr: false, fetch: false },
        },
      },
    },
  };
}

/** The parts of dash.js 5.2's CommonMediaResponse the interceptor reads and rewrites. */
interface DashResponse {
  status?: number;
  data?: unknown;
  length?: number;
  request?: {
    customData?: {
      request?: {
        startDate?: Date;
        endDate?: Date;
        firstByteDate?: Date;
        bytesLoaded?: number;
        traces?: Array<{ s: Date; d: number; b: number[]; t?: number }>;
      };
    };
  };
}

/** Trace slices the rewritten progress trace is cut into (dash.js's XHR throughput skips the first entry). */
const TRACE_SLICE_MS = 100;

/** A dash.js response interceptor (`player.addResponseInterceptor`) handing responses over under the cap. */
export function cappedDashInterceptor(cap: BandwidthCap): (response: unknown) => Promise<unknown> {
  return async (raw) => {
    const response = raw as DashResponse;
    const req = response.request?.customData?.request;
    // Aborted and failed requests are not held (dash.js ignores them; holding them would book the link for nothing).
    if (!cap.kbps || !req?.startDate || !(response.status !== undefined && response.status >= 200 && response.status < 300)) return raw;
    const bytes = req.bytesLoaded || response.length || byteLength(response.data);
    if (!bytes) return raw;
    const nowEpoch = Date.now();
    const toPerf = (epoch: number) => epoch - performance.timeOrigin;
    const at = cap.handOverAt(bytes, toPerf(req.startDate.getTime()), toPerf(nowEpoch));
    const wait = at - toPerf(nowEpoch);
    if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
    const end = Date.now();
    const firstByte = Math.min(req.firstByteDate?.getTime() ?? req.startDate.getTime(), end);
    // The trace as the capped link would have delivered it: the time to first byte, then the bytes evenly to the end.
    const traces = req.traces;
    if (traces) {
      const slices: Array<{ s: Date; d: number; b: number[] }> = [{ s: new Date(req.startDate.getTime()), d: Math.max(1, firstByte - req.startDate.getTime()), b: [0] }];
      const span = Math.max(1, end - firstByte);
      const n = Math.max(2, Math.ceil(span / TRACE_SLICE_MS));
      let sent = 0;
      for (let i = 0; i < n; i++) {
        const b = i === n - 1 ? bytes - sent : Math.floor(bytes / n);
        sent += b;
        slices.push({ s: new Date(firstByte + (span * i) / n), d: span / n, b: [b] });
      }
      traces.splice(0, traces.length, ...slices);
    }
    req.firstByteDate = new Date(firstByte);
    req.endDate = new Date(end);
    return raw;
  };
}
