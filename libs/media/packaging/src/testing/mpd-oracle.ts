// The independent reader of our DASH output: fast-xml-parser (maintained, third-party) checks that the MPD is
// well-formed XML and parses it; checkMpd then applies the ISO/IEC 23009-1 (MPD schema) and DASH-IF rules that can
// be checked offline for what we write — a dynamic MPD with number-based SegmentTemplates: required attributes,
// xs:duration / xs:dateTime / unsigned-int types, the element order the schema demands, template identifiers,
// startNumber/timescale/duration consistency, availabilityTimeOffset only in a low-latency MPD, UTCTiming schemes,
// profiles. Not checked: the full XSD (no validating XML parser on npm that runs offline without native code), and
// DASH-IF IOP v5's ProducerReferenceTime for low latency (we do not write one).
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** An element: its name, attributes (entity-decoded) and child elements in document order. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function toElement(node: Ordered): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (!name || name === '#text' || name === '?xml' || name === '#comment') return undefined;
  const kids = (node[name] as Ordered[]) ?? [];
  if (kids.some((k) => '#text' in k && String(k['#text']).trim() !== '')) throw new Error(`text content in <${name}>`);
  return {
    name,
    attrs: { ...(node[':@'] ?? {}) },
    children: kids.map(toElement).filter((e): e is XmlElement => e !== undefined),
  };
}

/** Parses XML with fast-xml-parser (well-formedness first); throws with the parser's reason. */
export function parseXml(text: string): XmlElement {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  // fast-xml-parser's validator lets a bare & through (XML 1.0 §2.4 forbids it outside a reference).
  const bare = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(text);
  if (bare) throw new Error(`not well-formed XML: a bare & at offset ${bare.index}`);
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    processEntities: true,
    ignoreDeclaration: false,
  });
  const doc = parser.parse(text) as Ordered[];
  const roots = doc.map(toElement).filter((e): e is XmlElement => e !== undefined);
  if (roots.length !== 1) throw new Error('not exactly one root element');
  return roots[0];
}

/** Every element named `name` at or below `el`, in document order. */
export const allElements = (el: XmlElement, name: string): XmlElement[] => [
  ...(el.name === name ? [el] : []),
  ...el.children.flatMap((c) => allElements(c, name)),
];

/** The one element named `name` at or below `el` (throws if there are none or several). */
export function oneElement(el: XmlElement, name: string): XmlElement {
  const found = allElements(el, name);
  if (found.length !== 1) throw new Error(`${found.length} <${name}> under <${el.name}>, expected 1`);
  return found[0];
}

// xs:duration (XML Schema 1.0 part 2, 3.2.6) and xs:dateTime (3.2.7).
const XS_DURATION = /^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const XS_DATETIME = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|1[0-4]):[0-5]\d)?$/;
const UNSIGNED_INT = /^\d+$/;

/** Seconds of an xs:duration without years or months (the only kind an MPD needs). */
export function durationSeconds(d: string): number {
  if (!XS_DURATION.test(d)) throw new Error(`not an xs:duration: ${d}`);
  const m = /^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(d);
  if (!m) throw new Error(`xs:duration with years or months: ${d}`);
  const s = Number(m[2] ?? 0) * 86400 + Number(m[3] ?? 0) * 3600 + Number(m[4] ?? 0) * 60 + Number(m[5] ?? 0);
  return m[1] ? -s : s;
}

/** The UTCTiming schemes of ISO/IEC 23009-1 Table 32 (5.8.5.7) and the DASH-IF additions. */
export const UTC_TIMING_SCHEMES = [
  'urn:mpeg:dash:utc:ntp:2014',
  'urn:mpeg:dash:utc:sntp:2014',
  'urn:mpeg:dash:utc:http-head:2014',
  'urn:mpeg:dash:utc:http-xsdate:2014',
  'urn:mpeg:dash:utc:http-iso:2014',
  'urn:mpeg:dash:utc:http-ntp:2014',
  'urn:mpeg:dash:utc:direct:2014',
  'urn:mpeg:dash:utc:http-ms:2014',
];
export const PROFILE_LIVE = 'urn:mpeg:dash:profile:isoff-live:2011';
export const PROFILE_DASHIF_LOW_LATENCY = 'http://www.dashif.org/guidelines/low-latency-live-v5';
const KNOWN_PROFILES = [
  'urn:mpeg:dash:profile:full:2011',
  'urn:mpeg:dash:profile:isoff-on-demand:2011',
  PROFILE_LIVE,
  'urn:mpeg:dash:profile:isoff-main:2011',
  'urn:mpeg:dash:profile:cmaf:2019',
  'urn:mpeg:dash:profile:isoff-ext-live:2014',
  'http://dashif.org/guidelines/dash-if-simple',
  PROFILE_DASHIF_LOW_LATENCY,
];

/** Child element order from the MPD schema (DASH-MPD.xsd), for the elements we may write. */
const ORDER: Record<string, string[]> = {
  MPD: ['ProgramInformation', 'BaseURL', 'Location', 'PatchLocation', 'ServiceDescription', 'InitializationSet', 'InitializationGroup', 'InitializationPresentation', 'ContentProtection', 'Period', 'Metrics', 'EssentialProperty', 'SupplementalProperty', 'UTCTiming', 'LeapSecondInformation'],
  ServiceDescription: ['Scope', 'Latency', 'PlaybackRate', 'OperatingQuality', 'OperatingBandwidth'],
  Period: ['BaseURL', 'SegmentBase', 'SegmentList', 'SegmentTemplate', 'AssetIdentifier', 'EventStream', 'ServiceDescription', 'ContentProtection', 'AdaptationSet', 'Subset', 'SupplementalProperty', 'EmptyAdaptationSet', 'GroupLabel', 'Preselection'],
  // RepresentationBase's elements, then the AdaptationSet's / Representation's own.
  AdaptationSet: ['FramePacking', 'AudioChannelConfiguration', 'ContentProtection', 'OutputProtection', 'EssentialProperty', 'SupplementalProperty', 'InbandEventStream', 'Switching', 'RandomAccess', 'GroupLabel', 'Label', 'ProducerReferenceTime', 'ContentPopularityRate', 'Resync', 'Accessibility', 'Role', 'Rating', 'Viewpoint', 'ContentComponent', 'BaseURL', 'SegmentBase', 'SegmentList', 'SegmentTemplate', 'Representation'],
  Representation: ['FramePacking', 'AudioChannelConfiguration', 'ContentProtection', 'OutputProtection', 'EssentialProperty', 'SupplementalProperty', 'InbandEventStream', 'Switching', 'RandomAccess', 'GroupLabel', 'Label', 'ProducerReferenceTime', 'ContentPopularityRate', 'Resync', 'BaseURL', 'ExtendedBandwidth', 'SubRepresentation', 'SegmentBase', 'SegmentList', 'SegmentTemplate'],
  SegmentTemplate: ['SegmentTimeline'],
};

/** A rule broken, with where. */
export class MpdRuleError extends Error {}

function fail(where: string, msg: string): never {
  throw new MpdRuleError(`${where}: ${msg}`);
}

function requireAttrs(el: XmlElement, where: string, names: string[]): void {
  for (const n of names) if (el.attrs[n] === undefined) fail(where, `@${n} is required`);
}

function typed(el: XmlElement, where: string, names: string[], re: RegExp, type: string): void {
  for (const n of names) {
    const v = el.attrs[n];
    if (v !== undefined && !re.test(v)) fail(where, `@${n}="${v}" is not ${type}`);
  }
}

function checkOrder(el: XmlElement, where: string): void {
  const order = ORDER[el.name];
  if (!order) return;
  let at = -1;
  for (const c of el.children) {
    const i = order.indexOf(c.name);
    if (i < 0) fail(where, `<${c.name}> is not a child of <${el.name}> we know`);
    if (i < at) fail(where, `<${c.name}> after <${order[at]}>: the schema's order is ${order.join(', ')}`);
    at = i;
  }
}

/** $RepresentationID$, $Number$, $Bandwidth$, $Time$ with an optional %0Nd width, and $$ (5.3.9.4.4). */
function templateIdentifiers(t: string, where: string): string[] {
  const ids: string[] = [];
  const rest = t.replace(/\$(RepresentationID|Number|Bandwidth|Time|SubNumber)?(%0\d+d)?\$/g, (all, id?: string, width?: string) => {
    if (!id && width) fail(where, `"${all}" is not a template identifier`);
    if (id === 'RepresentationID' && width) fail(where, '$RepresentationID$ takes no format tag');
    if (id) ids.push(id);
    return '';
  });
  if (rest.includes('$')) fail(where, `unpaired $ in template "${t}"`);
  return ids;
}

export interface MpdFacts {
  root: XmlElement;
  lowLatency: boolean;
  /** Segment duration in seconds of every SegmentTemplate (they are all the same: checked). */
  segmentSeconds: number;
}

/**
 * Applies the offline-checkable rules to a parsed MPD, throwing MpdRuleError at the first one broken. Expects what
 * this project writes: a dynamic MPD, number-based SegmentTemplates, or SegmentTimelines (a stream shape).
 */
export function checkMpd(root: XmlElement): MpdFacts {
  if (root.name !== 'MPD') fail('root', `<${root.name}>, not <MPD>`);
  if (root.attrs['xmlns'] !== 'urn:mpeg:dash:schema:mpd:2011') fail('MPD', '@xmlns is not urn:mpeg:dash:schema:mpd:2011');
  requireAttrs(root, 'MPD', ['profiles', 'minBufferTime', 'type']);
  if (root.attrs['type'] !== 'dynamic') fail('MPD', `@type="${root.attrs['type']}", expected dynamic`);
  // 5.3.1.2: a dynamic MPD has availabilityStartTime and publishTime.
  requireAttrs(root, 'MPD', ['availabilityStartTime', 'publishTime']);
  typed(root, 'MPD', ['availabilityStartTime', 'publishTime', 'availabilityEndTime'], XS_DATETIME, 'an xs:dateTime');
  typed(root, 'MPD', ['mediaPresentationDuration', 'minimumUpdatePeriod', 'minBufferTime', 'timeShiftBufferDepth', 'suggestedPresentationDelay', 'maxSegmentDuration', 'maxSubsegmentDuration'], XS_DURATION, 'an xs:duration');
  const profiles = root.attrs['profiles'].split(',');
  for (const p of profiles) if (!KNOWN_PROFILES.includes(p)) fail('MPD', `unknown profile "${p}"`);
  if (!profiles.includes(PROFILE_LIVE)) fail('MPD', 'a SegmentTemplate MPD claims the isoff-live profile');
  const lowLatency = profiles.includes(PROFILE_DASHIF_LOW_LATENCY);
  checkOrder(root, 'MPD');

  const utc = allElements(root, 'UTCTiming');
  for (const u of utc) {
    requireAttrs(u, 'UTCTiming', ['schemeIdUri', 'value']);
    if (!UTC_TIMING_SCHEMES.includes(u.attrs['schemeIdUri'])) fail('UTCTiming', `unknown scheme ${u.attrs['schemeIdUri']}`);
    if (/http-(iso|xsdate|ntp|head|ms)/.test(u.attrs['schemeIdUri']) && !/^https?:\/\//.test(u.attrs['value'])) {
      fail('UTCTiming', `@value "${u.attrs['value']}" is not an absolute http(s) URL`);
    }
  }

  if (lowLatency) {
    // DASH-IF low-latency (IOP v5 part 9 / the low-latency-live-v5 profile): a latency target and a clock.
    const sd = allElements(root, 'ServiceDescription');
    if (sd.length === 0) fail('MPD', 'a low-latency MPD has a ServiceDescription');
    for (const s of sd) {
      checkOrder(s, 'ServiceDescription');
      const latency = allElements(s, 'Latency');
      if (latency.length === 0) fail('ServiceDescription', 'no Latency');
      for (const l of latency) {
        requireAttrs(l, 'Latency', ['target']);
        typed(l, 'Latency', ['target', 'min', 'max', 'referenceId'], UNSIGNED_INT, 'an unsigned int');
        const [min, target, max] = ['min', 'target', 'max'].map((a) => Number(l.attrs[a] ?? l.attrs['target']));
        if (!(min <= target && target <= max)) fail('Latency', `min ${min} ≤ target ${target} ≤ max ${max} does not hold`);
      }
      for (const r of allElements(s, 'PlaybackRate')) {
        const [min, max] = [Number(r.attrs['min'] ?? 1), Number(r.attrs['max'] ?? 1)];
        if (!(min > 0 && min <= 1 && max >= 1)) fail('PlaybackRate', `min ${min}, max ${max}`);
      }
    }
    if (utc.length === 0) fail('MPD', 'a low-latency MPD has a UTCTiming');
  }

  const periods = allElements(root, 'Period');
  if (periods.length === 0) fail('MPD', 'no Period');
  const periodIds = new Set<string>();
  const seconds = new Set<number>();
  let longestTimelineSegment = 0;
  for (const period of periods) {
    typed(period, 'Period', ['start', 'duration'], XS_DURATION, 'an xs:duration');
    const pid = period.attrs['id'];
    if (root.attrs['type'] === 'dynamic' && pid === undefined) fail('Period', 'a dynamic MPD gives every Period an @id');
    if (pid !== undefined) {
      if (periodIds.has(pid)) fail('Period', `@id ${pid} twice`);
      periodIds.add(pid);
    }
    checkOrder(period, 'Period');
    const repIds = new Set<string>();
    const sets = period.children.filter((c) => c.name === 'AdaptationSet');
    if (sets.length === 0) fail('Period', 'no AdaptationSet');
    for (const set of sets) {
      const where = `AdaptationSet ${set.attrs['id'] ?? '?'}`;
      checkOrder(set, where);
      typed(set, where, ['id', 'group', 'startWithSAP', 'width', 'height'], UNSIGNED_INT, 'an unsigned int');
      typed(set, where, ['segmentAlignment', 'subsegmentAlignment', 'bitstreamSwitching'], /^(true|false|\d+)$/, 'a ConditionalUintType');
      if (set.attrs['contentType'] && !['video', 'audio', 'text', 'image', 'font', 'application'].includes(set.attrs['contentType'])) {
        fail(where, `@contentType ${set.attrs['contentType']}`);
      }
      const reps = set.children.filter((c) => c.name === 'Representation');
      if (reps.length === 0) fail(where, 'no Representation');
      for (const rep of reps) {
        const rwhere = `Representation ${rep.attrs['id'] ?? '?'}`;
        checkOrder(rep, rwhere);
        requireAttrs(rep, rwhere, ['id', 'bandwidth']);
        if (/\s/.test(rep.attrs['id'])) fail(rwhere, '@id has whitespace');
        if (repIds.has(rep.attrs['id'])) fail(rwhere, '@id twice in the Period');
        repIds.add(rep.attrs['id']);
        typed(rep, rwhere, ['bandwidth', 'width', 'height', 'qualityRanking'], UNSIGNED_INT, 'an unsigned int');
        typed(rep, rwhere, ['frameRate'], /^\d+(\/\d+)?$/, 'a FrameRateType');
        typed(rep, rwhere, ['sar'], /^\d+:\d+$/, 'a RatioType');
        typed(rep, rwhere, ['audioSamplingRate'], /^\d+( \d+)?$/, 'a UIntVectorType');
        if (!(rep.attrs['mimeType'] ?? set.attrs['mimeType'])) fail(rwhere, '@mimeType on the Representation or its AdaptationSet');
        const codecs = rep.attrs['codecs'] ?? set.attrs['codecs'];
        if (!codecs) fail(rwhere, '@codecs on the Representation or its AdaptationSet');
        if (!/^[A-Za-z0-9]{4}(\.[A-Za-z0-9]+)*(,[A-Za-z0-9]{4}(\.[A-Za-z0-9]+)*)*$/.test(codecs)) fail(rwhere, `@codecs "${codecs}" is not RFC 6381`);
        for (const acc of allElements(rep, 'AudioChannelConfiguration')) requireAttrs(acc, 'AudioChannelConfiguration', ['schemeIdUri', 'value']);
        const tmpls = [...allElements(rep, 'SegmentTemplate'), ...set.children.filter((c) => c.name === 'SegmentTemplate')];
        if (tmpls.length === 0) fail(rwhere, 'no SegmentTemplate (on it or its AdaptationSet)');
        for (const t of tmpls) {
          const d = checkTemplate(t, `${rwhere} SegmentTemplate`, lowLatency, root);
          // A timeline's segments may differ per track (audio frames do not divide a second): the longest counts.
          if (allElements(t, 'SegmentTimeline').length) longestTimelineSegment = Math.max(longestTimelineSegment, d);
          else seconds.add(d);
        }
      }
      checkAlignedRepresentations(set, reps, where);
    }
  }
  if (seconds.size > 1 || (seconds.size === 0 && longestTimelineSegment === 0)) {
    fail('MPD', `SegmentTemplates with different segment durations: ${[...seconds].join(', ')} s`);
  }
  const segmentSeconds = seconds.size ? [...seconds][0] : longestTimelineSegment;
  const maxSeg = root.attrs['maxSegmentDuration'];
  if (maxSeg !== undefined && segmentSeconds > durationSeconds(maxSeg) + 1e-9) {
    fail('MPD', `segments of ${segmentSeconds} s are longer than @maxSegmentDuration ${maxSeg}`);
  }
  return { root, lowLatency, segmentSeconds };
}

/**
 * Several Representations of one AdaptationSet (an ABR ladder) that claim segmentAlignment (5.3.3.2): a player
 * switches between them at a segment boundary by number, so their effective templates (the Representation's own
 * attributes over the AdaptationSet's) must give segment n the same start: the same startNumber, the same duration
 * and presentationTimeOffset in seconds. Also @maxWidth/@maxHeight of the set bound its Representations (5.3.3.2).
 */
function checkAlignedRepresentations(set: XmlElement, reps: XmlElement[], where: string): void {
  for (const [max, attr] of [['maxWidth', 'width'], ['maxHeight', 'height']] as const) {
    const limit = set.attrs[max];
    if (limit === undefined) continue;
    for (const rep of reps) if (Number(rep.attrs[attr] ?? 0) > Number(limit)) fail(where, `Representation ${rep.attrs['id']} @${attr} ${rep.attrs[attr]} above @${max} ${limit}`);
  }
  if (reps.length < 2 || !['true', '1'].includes(set.attrs['segmentAlignment'] ?? 'false')) return;
  const setTemplate = set.children.find((c) => c.name === 'SegmentTemplate')?.attrs ?? {};
  const facts = reps.map((rep) => {
    const t = { ...setTemplate, ...(rep.children.find((c) => c.name === 'SegmentTemplate')?.attrs ?? {}) };
    const timescale = Number(t['timescale'] ?? 1);
    return {
      id: rep.attrs['id'],
      startNumber: Number(t['startNumber'] ?? 1),
      duration: Number(t['duration']) / timescale,
      offset: Number(t['presentationTimeOffset'] ?? 0) / timescale,
    };
  });
  const first = facts[0];
  for (const f of facts.slice(1)) {
    if (f.startNumber !== first.startNumber) fail(where, `segmentAlignment with @startNumber ${f.startNumber} (Representation ${f.id}) ≠ ${first.startNumber} (Representation ${first.id})`);
    if (Math.abs(f.duration - first.duration) > 1e-6) fail(where, `segmentAlignment with segment durations ${f.duration} s (Representation ${f.id}) ≠ ${first.duration} s`);
    if (Math.abs(f.offset - first.offset) > 1e-3) fail(where, `segmentAlignment with @presentationTimeOffset ${f.offset} s (Representation ${f.id}) ≠ ${first.offset} s`);
  }
}

function checkTemplate(t: XmlElement, where: string, lowLatency: boolean, root: XmlElement): number {
  checkOrder(t, where);
  typed(t, where, ['timescale', 'duration', 'startNumber', 'endNumber', 'presentationTimeOffset'], UNSIGNED_INT, 'an unsigned int');
  const timelines = allElements(t, 'SegmentTimeline');
  requireAttrs(t, where, ['media', 'initialization', 'timescale', ...(timelines.length ? [] : ['duration'])]);
  const timescale = Number(t.attrs['timescale']);
  if (timescale <= 0) fail(where, '@timescale must be positive');
  const media = templateIdentifiers(t.attrs['media'], where);
  let duration: number;
  if (timelines.length) {
    // 5.3.9.6: a SegmentTimeline instead of @duration; S@d > 0, S@t never going back, $Number$ or $Time$ in @media.
    if (t.attrs['duration'] !== undefined) fail(where, 'both @duration and a SegmentTimeline');
    if (timelines.length > 1) fail(where, 'more than one SegmentTimeline');
    if (!media.includes('Number') && !media.includes('Time')) fail(where, 'a timeline template has $Number$ or $Time$ in @media');
    const ss = timelines[0].children.filter((c) => c.name === 'S');
    if (ss.length === 0) fail(`${where} SegmentTimeline`, 'no S');
    let end = -Infinity;
    duration = 0;
    for (const s of ss) {
      typed(s, 'S', ['t', 'd', 'n', 'k'], UNSIGNED_INT, 'an unsigned int');
      typed(s, 'S', ['r'], /^-?\d+$/, 'an int');
      requireAttrs(s, 'S', ['d']);
      const d = Number(s.attrs['d']);
      const st = s.attrs['t'] === undefined ? end : Number(s.attrs['t']);
      if (d <= 0) fail('S', '@d must be positive');
      if (st === -Infinity) fail('S', 'the first S has @t');
      if (st < end) fail('S', `@t ${st} before the previous S ends (${end})`);
      const r = Number(s.attrs['r'] ?? 0);
      if (r < 0) fail('S', 'a negative @r (open-ended repeat) is not used here');
      end = st + d * (r + 1);
      duration = Math.max(duration, d);
    }
  } else {
    duration = Number(t.attrs['duration']);
    if (duration <= 0) fail(where, '@duration must be positive');
    if (!media.includes('Number')) fail(where, 'a number-based template has $Number$ in @media');
    if (media.includes('Time')) fail(where, '$Time$ needs a SegmentTimeline');
  }
  const init = templateIdentifiers(t.attrs['initialization'], where);
  if (init.includes('Number') || init.includes('Time')) fail(where, '@initialization with $Number$ or $Time$');
  const ato = t.attrs['availabilityTimeOffset'];
  if (ato !== undefined) {
    if (!lowLatency) fail(where, '@availabilityTimeOffset outside a low-latency MPD');
    if (!(ato === 'INF' || (/^\d+(\.\d+)?$/.test(ato) && Number(ato) > 0))) fail(where, `@availabilityTimeOffset "${ato}"`);
    if (ato !== 'INF' && Number(ato) >= duration / timescale) fail(where, '@availabilityTimeOffset reaches a whole segment');
  }
  const complete = t.attrs['availabilityTimeComplete'];
  if (complete !== undefined) {
    if (!['true', 'false'].includes(complete)) fail(where, `@availabilityTimeComplete "${complete}"`);
    if (!lowLatency) fail(where, '@availabilityTimeComplete outside a low-latency MPD');
  }
  if (lowLatency && (ato === undefined || complete !== 'false')) {
    fail(where, 'a low-latency (chunked) template has @availabilityTimeOffset and @availabilityTimeComplete="false"');
  }
  // The segment a player asks for first must be one the template can name: with number-based addressing, the
  // newest segment at publishTime is startNumber + floor((publishTime − AST) / duration) − 1 ≥ startNumber − 1.
  const elapsed = (Date.parse(root.attrs['publishTime']) - Date.parse(root.attrs['availabilityStartTime'])) / 1000;
  if (elapsed < 0) fail('MPD', '@publishTime before @availabilityStartTime');
  return duration / timescale;
}

/** Parses an MPD (fast-xml-parser) and applies checkMpd's rules. */
export function parseMpd(text: string): MpdFacts {
  return checkMpd(parseXml(text));
}
