// The fault grammar: property tests (fast-check, seeded, bounded) — every rule the builder writes parses back to
// itself, every string either parses or is refused with an error naming the rule and the part, and the matcher.
import fc from 'fast-check';
import {
  FAULT_LIMITS,
  FAULT_PRESETS,
  SHAPE_PRESETS,
  FAULT_TARGETS,
  faultDraw,
  faultedPath,
  faultMatches,
  faultRulesText,
  matchFault,
  parseFaultRules,
  SHAPE_LIMITS,
  shapeGrouping,
  shapeText,
  splitFaultPath,
  UTC_TIMING_CHOICES,
  type FaultEffect,
  type FaultRule,
  type StreamShape,
} from './faults';

const SEED = 1818;
const RUNS = { seed: SEED, numRuns: 500 };

const effect: fc.Arbitrary<FaultEffect> = fc.oneof(
  fc.constantFrom(404, 410, 500, 503).map((status) => ({ kind: 'status' as const, status: status as 404 })),
  fc.integer({ min: 1, max: FAULT_LIMITS.delayMs }).map((ms) => ({ kind: 'delay' as const, ms })),
  fc.integer({ min: 1, max: FAULT_LIMITS.hangMs }).map((ms) => ({ kind: 'hang' as const, ms })),
  fc.integer({ min: FAULT_LIMITS.minKbps, max: FAULT_LIMITS.maxKbps }).map((kbps) => ({ kind: 'throttle' as const, kbps })),
  fc.integer({ min: 0, max: FAULT_LIMITS.bytes }).map((bytes) => ({ kind: 'truncate' as const, bytes })),
  fc
    .tuple(fc.integer({ min: 1, max: FAULT_LIMITS.stallMs }), fc.option(fc.integer({ min: 0, max: FAULT_LIMITS.bytes }), { nil: undefined }))
    .map(([ms, after]) => (after === undefined ? { kind: 'stall' as const, ms } : { kind: 'stall' as const, ms, after })),
  fc.constant({ kind: 'drop' as const }),
);

const rule: fc.Arbitrary<FaultRule> = fc
  .record(
    {
      on: fc.subarray([...FAULT_TARGETS], { minLength: 1 }),
      track: fc.integer({ min: 0, max: 99 }),
      every: fc.integer({ min: 1, max: 1000 }),
      range: fc.tuple(fc.nat(99_999_999_999), fc.nat(100)),
      cycle: fc.record({ up: fc.integer({ min: 0, max: 60 }), down: fc.integer({ min: 1, max: 60 }) }),
      fraction: fc.record({ p: fc.integer({ min: 1, max: 1000 }).map((x) => x / 1000), seed: fc.nat(FAULT_LIMITS.seed) }),
      effect,
    },
    { requiredKeys: ['on', 'effect'] },
  )
  .map(({ range, ...r }) => ({ ...r, ...(range ? { from: range[0], to: range[0] + range[1] } : {}) }) as FaultRule);

const expectNamedError = (text: string, ruleIndex: number) => {
  const r = parseFaultRules(text);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error).toMatch(new RegExp(`^fault rule ${ruleIndex} \\(`));
};

describe('fault rules', () => {
  it('read back what the builder writes (any rules, any order)', () => {
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: FAULT_LIMITS.rules }), (rules) => {
        const text = faultRulesText(rules);
        const back = parseFaultRules(text);
        expect(back).toEqual({ ok: true, rules: rules.map((r) => ({ ...r, on: FAULT_TARGETS.filter((t) => r.on.includes(t)) })) });
        expect(text.length).toBeLessThanOrEqual(FAULT_LIMITS.textLength);
        expect(encodeURIComponent(text).replace(/%3B|%2C|%3D|%2B/g, '')).toBe(text.replace(/[;,=+]/g, ''));
      }),
      RUNS,
    );
  });

  it('never throw: any string parses or is refused naming a rule', () => {
    const alphabet = fc.constantFrom(...'on=segmentpartplaylistreload,;+status404delay=hangkbpsp0.5seed1every-n' .split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.stringOf(alphabet, { maxLength: 80 })), (s) => {
        const r = parseFaultRules(s);
        if (!r.ok) expect(r.error).toMatch(/^(fault rule \d+ \(|no fault rules|\d+ fault rules|fault rules are)/);
        else expect(parseFaultRules(faultRulesText(r.rules))).toEqual(r);
      }),
      RUNS,
    );
  });

  it('refuse a valid rule list with one field broken, naming that rule', () => {
    const breakers = ['status=418', 'delay=0', `delay=${FAULT_LIMITS.delayMs + 1}`, 'kbps=8', 'wat=1', 'every=0', 'p=1.5', 'n=9-3', 'rung=16', 'track=x', 'drop=1'];
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: FAULT_LIMITS.rules }), fc.nat(), fc.constantFrom(...breakers), (rules, at, bad) => {
        const texts = rules.map((r) => faultRulesText([r]));
        const i = at % texts.length;
        // Replace the rule's effect by a broken field (or add it): the parser names rule i+1.
        texts[i] = `on=segment,${bad}`;
        expectNamedError(texts.join(';'), i + 1);
      }),
      RUNS,
    );
  });

  it('name the bad part', () => {
    const err = (s: string) => (parseFaultRules(s) as { error: string }).error;
    expect(err('on=segmnt,status=404')).toBe('fault rule 1 ("on=segmnt,status=404"): on: unknown kind "segmnt" (expected multivariant, playlist, mpd, init, segment, part, reload, manifest, media, any)');
    expect(err('on=part,status=404;on=segment,status=418')).toMatch(/^fault rule 2 .*status=418: expected one of 404, 410, 500, 503$/);
    expect(err('on=segment')).toMatch(/needs an effect/);
    expect(err('on=segment,status=404,delay=5')).toMatch(/2 effects \(status, delay\)/);
    expect(err('on=segment,stale=3')).toMatch(/stale changes a manifest: it needs on=playlist or on=reload or on=mpd/);
    expect(err('on=segment,kbps=10')).toMatch(/kbps=10 is out of range 64-1000000/);
    expect(err('on=segment,up=5,status=404')).toMatch(/needs both up=<s> and down=<s>/);
    expect(err('on=segment,part=1,status=404')).toMatch(/part= needs on=part/);
    expect(err(Array(9).fill('on=any,drop').join(';'))).toBe('9 fault rules; at most 8');
    expect(err('x'.repeat(1025))).toMatch(/at most 1024/);
  });

  it('read rung as the ladder track and hang without a value as the cap', () => {
    expect(parseFaultRules('on=media,rung=2,hang;on=part,rung=audio,delay=500')).toEqual({
      ok: true,
      rules: [
        { on: ['segment', 'part'], track: 2, effect: { kind: 'hang', ms: FAULT_LIMITS.hangMs } },
        { on: ['part'], track: 16, effect: { kind: 'delay', ms: 500 } },
      ],
    });
  });

  it('parse every preset', () => {
    for (const p of FAULT_PRESETS) expect(parseFaultRules(p.rules)).toMatchObject({ ok: true });
    // A shape preset is a shape alone (no fault rules), read back to the text it came from.
    for (const p of SHAPE_PRESETS) {
      const parsed = parseFaultRules(p.rules) as { ok: true; rules: FaultRule[]; shape?: StreamShape };
      expect(parsed).toMatchObject({ ok: true, rules: [] });
      expect(parsed.shape && shapeText(parsed.shape)).toBe(p.rules);
    }
  });

  it('split a faulted media path', () => {
    const rules = (parseFaultRules('on=segment,every=3,status=404') as { rules: FaultRule[] }).rules;
    const path = faultedPath(rules, '/live/a/master.m3u8');
    expect(path).toBe('/faults/on=segment,every=3,status=404/live/a/master.m3u8');
    expect(splitFaultPath(path)).toEqual({ rulesText: 'on=segment,every=3,status=404', livePath: '/live/a/master.m3u8' });
    expect(splitFaultPath('/faults/on%3Dany%2Cdrop/live/a/x')).toEqual({ rulesText: 'on=any,drop', livePath: '/live/a/x' });
    expect(splitFaultPath('/faults/%E0/live/a/x')).toBeUndefined();
    expect(splitFaultPath('/faults/on=any,drop/x')).toBeUndefined();
    expect(splitFaultPath('/live/a/x')).toBeUndefined();
  });
});

const shape: fc.Arbitrary<StreamShape> = fc.record(
  {
    window: fc.integer({ min: 1, max: SHAPE_LIMITS.window }),
    pdt: fc.boolean(),
    template: fc.constantFrom('number' as const, 'timeline' as const),
    utc: fc.constantFrom(...UTC_TIMING_CHOICES),
    atoMs: fc.integer({ min: 1, max: SHAPE_LIMITS.atoMs }),
    targetMs: fc.integer({ min: SHAPE_LIMITS.minTargetMs, max: SHAPE_LIMITS.maxTargetMs }),
    nowMs: fc.nat(4e12),
    segments: fc.integer({ min: 1, max: SHAPE_LIMITS.segments }),
    chunks: fc.integer({ min: 1, max: SHAPE_LIMITS.chunks }),
  },
  { requiredKeys: [] },
).map((sh) => (sh.window !== undefined && sh.segments !== undefined ? { ...sh, window: Math.max(1, Math.min(sh.window, Math.floor(SHAPE_LIMITS.window / sh.segments))) } : sh));

describe('stream shapes', () => {
  it('read back what the builder writes, with or without fault rules', () => {
    fc.assert(
      fc.property(shape, fc.array(rule, { maxLength: 3 }), (sh, rules) => {
        const back = parseFaultRules(faultRulesText(rules, sh));
        expect(back).toEqual({ ok: true, rules: rules.map((r) => ({ ...r, on: FAULT_TARGETS.filter((t) => r.on.includes(t)) })), shape: sh });
      }),
      RUNS,
    );
  });

  it('name the bad part', () => {
    const err = (s: string) => (parseFaultRules(s) as { error: string }).error;
    expect(err('shape,window=3601')).toBe('fault rule 1 ("shape,window=3601"): window=3601 is out of range 1-3600');
    expect(err('on=any,drop;shape,utc=ntp')).toMatch(/^fault rule 2 .*utc=ntp: expected one of http-iso, http-xsdate, head, direct, none$/);
    expect(err('shape,pdt=yes')).toMatch(/pdt=yes: expected 0 or 1/);
    expect(err('shape,status=404')).toMatch(/a shape takes window, pdt, tmpl, utc, ato, target, now, seg, chunks; not status/);
    expect(err('shape;shape,pdt=0')).toMatch(/^fault rule 2 .*a second shape/);
    expect(err('shape,ato=1000')).toMatch(/ato=1000 is out of range 1-999/);
    expect(err('shape,seg=5')).toBe('fault rule 1 ("shape,seg=5"): seg=5 is out of range 1-4');
    expect(err('shape,chunks=0')).toMatch(/chunks=0 is out of range 1-4$/);
    expect(err('shape,window=2000,seg=2')).toBe('fault rule 1 ("shape,window=2000,seg=2"): window=2000 with seg=2 is 4000 stored segments; the longest DVR window is 3600');
  });

  it('give the grouping of a shape (none for the stored one)', () => {
    expect(shapeGrouping(undefined)).toBeUndefined();
    expect(shapeGrouping({ window: 3 })).toBeUndefined();
    expect(shapeGrouping({ segments: 1, chunks: 1 })).toBeUndefined();
    expect(shapeGrouping({ segments: 2 })).toEqual({ segments: 2, chunks: 1 });
    expect(shapeGrouping({ chunks: 3 })).toEqual({ segments: 1, chunks: 3 });
  });

  it('take skip on an MPD (its segments are answered 404) as on a playlist', () => {
    expect(parseFaultRules('on=playlist+reload+mpd,every=10,skip')).toEqual({ ok: true, rules: [{ on: ['playlist', 'mpd', 'reload'], every: 10, effect: { kind: 'skip' } }] });
    expect((parseFaultRules('on=segment,skip') as { error: string }).error).toMatch(/skip changes a manifest: it needs on=playlist or on=reload or on=mpd/);
  });
});

describe('fault matching', () => {
  const parse = (s: string) => (parseFaultRules(s) as { rules: FaultRule[] }).rules;
  const q = (o: Partial<Parameters<typeof faultMatches>[1]>) => ({ target: 'segment' as const, number: 0, nowMs: 0, ...o });

  it('selects by kind, track, every, range and part', () => {
    const [r] = parse('on=part,track=1,every=5,n=100-200,part=2,status=404');
    expect(faultMatches(r, q({ target: 'part', track: 1, number: 150, part: 2 }))).toBe(true);
    expect(faultMatches(r, q({ target: 'segment', track: 1, number: 150, part: 2 }))).toBe(false);
    expect(faultMatches(r, q({ target: 'part', track: 0, number: 150, part: 2 }))).toBe(false);
    expect(faultMatches(r, q({ target: 'part', track: 1, number: 151, part: 2 }))).toBe(false);
    expect(faultMatches(r, q({ target: 'part', track: 1, number: 205, part: 2 }))).toBe(false);
    expect(faultMatches(r, q({ target: 'part', track: 1, number: 150, part: 1 }))).toBe(false);
  });

  it('selects the down phase of a cycle on the wall clock', () => {
    const [r] = parse('on=any,up=20,down=10,status=503');
    const active = (s: number) => faultMatches(r, q({ nowMs: s * 1000 }));
    expect([0, 19.9, 20, 29.9, 30, 50].map(active)).toEqual([false, false, true, true, false, true]);
  });

  it('selects a seeded fraction: about p of the objects, the same ones every time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }).map((x) => x / 10), fc.nat(FAULT_LIMITS.seed), fc.nat(1e11), (p, seed, start) => {
        const [r] = parse(`on=segment,p=${p},seed=${seed},status=404`);
        let hits = 0;
        for (let n = start; n < start + 2000; n++) hits += faultMatches(r, q({ number: n })) ? 1 : 0;
        expect(hits / 2000).toBeGreaterThan(p - 0.06);
        expect(hits / 2000).toBeLessThan(p + 0.06);
        expect(faultDraw(seed, start)).toBe(faultDraw(seed, start));
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  it('lets the first matching rule win', () => {
    const rules = parse('on=segment,every=2,status=404;on=media,delay=100');
    expect(matchFault(rules, q({ number: 4 }))?.effect).toEqual({ kind: 'status', status: 404 });
    expect(matchFault(rules, q({ number: 5 }))?.effect).toEqual({ kind: 'delay', ms: 100 });
    expect(matchFault(rules, q({ target: 'init', number: 5 }))).toBeUndefined();
  });
});
