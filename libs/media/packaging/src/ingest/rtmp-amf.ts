// AMF0 (and the AMF3 values an AMF0 stream may switch to) decoded from untrusted bytes: every read is bounds
// checked, nesting depth and value count are capped, and anything malformed or unsupported throws AmfError —
// never a RangeError/TypeError from deep inside, never a loop driven by a declared count. node-media-server's own
// decoder (src/protocol/amf.js) throws or misreads on such input, so the RTMP guard decodes commands with this one
// and hands node-media-server only values re-encoded by encodeAmf0 (a subset its decoder reads correctly).
// Hand-written, not a library: the subset RTMP commands use is small, and a dependency would bring its own parser
// to audit.

export type AmfValue = number | boolean | string | null | undefined | Date | AmfValue[] | AmfObject;
export interface AmfObject {
  [key: string]: AmfValue;
}

export class AmfError extends Error {}

export interface AmfLimits {
  maxDepth: number;
  maxValues: number;
}

const DEFAULT_LIMITS: AmfLimits = { maxDepth: 16, maxValues: 4096 };

/** An object without a prototype: keys such as `__proto__` are plain keys. */
export const amfObject = (): AmfObject => Object.create(null) as AmfObject;

export const isAmfObject = (v: AmfValue): v is AmfObject => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

class Reader {
  pos = 0;
  values = 0;
  readonly strings: string[] = []; // AMF3 string reference table
  readonly traits: Array<{ names: string[]; dynamic: boolean }> = [];
  constructor(
    readonly buf: Buffer,
    readonly limits: AmfLimits,
  ) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new AmfError(`AMF value truncated at byte ${this.pos} (needs ${n} more)`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
  utf8(n: number): string {
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  count(depth: number): void {
    if (++this.values > this.limits.maxValues) throw new AmfError(`more than ${this.limits.maxValues} AMF values`);
    if (depth > this.limits.maxDepth) throw new AmfError(`AMF nesting deeper than ${this.limits.maxDepth}`);
  }
}

function amf0Properties(r: Reader, depth: number, into: AmfObject): AmfObject {
  for (;;) {
    const keyLength = r.u16();
    if (keyLength === 0) {
      if (r.u8() !== 0x09) throw new AmfError('AMF0 object: empty key without the object-end marker');
      return into;
    }
    const key = r.utf8(keyLength);
    into[key] = amf0Value(r, depth + 1);
  }
}

function amf0Value(r: Reader, depth: number): AmfValue {
  r.count(depth);
  const marker = r.u8();
  switch (marker) {
    case 0x00:
      return r.f64();
    case 0x01:
      return r.u8() !== 0;
    case 0x02:
      return r.utf8(r.u16());
    case 0x03:
      return amf0Properties(r, depth, amfObject());
    case 0x05:
      return null;
    case 0x06:
      return undefined;
    case 0x08: // ECMA array: the count is a hint only; properties run to the end marker
      r.u32();
      return amf0Properties(r, depth, amfObject());
    case 0x0a: {
      const n = r.u32();
      // Every element takes at least one byte: a count beyond what is left is a lie, not a loop to run.
      if (n > r.buf.length - r.pos) throw new AmfError(`AMF0 strict array of ${n} elements in ${r.buf.length - r.pos} bytes`);
      const out: AmfValue[] = [];
      for (let i = 0; i < n; i++) out.push(amf0Value(r, depth + 1));
      return out;
    }
    case 0x0b: {
      const ms = r.f64();
      r.u16(); // time zone, unused
      return new Date(ms);
    }
    case 0x0c:
      return r.utf8(r.u32());
    case 0x0f: // XML document: a long string
      return r.utf8(r.u32());
    case 0x10: {
      const className = r.utf8(r.u16());
      const o = amf0Properties(r, depth, amfObject());
      return Object.assign(o, { __className: className });
    }
    case 0x11:
      return amf3Value(r, depth);
    default:
      throw new AmfError(`unsupported AMF0 type marker 0x${marker.toString(16).padStart(2, '0')}`);
  }
}

/** AMF3 variable-length 29-bit unsigned integer. */
function u29(r: Reader): number {
  let v = 0;
  for (let i = 0; i < 3; i++) {
    const b = r.u8();
    if (b < 0x80) return (v << 7) | b;
    v = (v << 7) | (b & 0x7f);
  }
  return ((v << 8) | r.u8()) >>> 0;
}

function amf3String(r: Reader): string {
  const h = u29(r);
  if ((h & 1) === 0) {
    const s = r.strings[h >> 1];
    if (s === undefined) throw new AmfError(`AMF3 string reference ${h >> 1} out of range`);
    return s;
  }
  const s = r.utf8(h >> 1);
  if (s !== '') r.strings.push(s);
  return s;
}

function amf3Value(r: Reader, depth: number): AmfValue {
  r.count(depth);
  const marker = r.u8();
  switch (marker) {
    case 0x00:
      return undefined;
    case 0x01:
      return null;
    case 0x02:
      return false;
    case 0x03:
      return true;
    case 0x04: {
      const v = u29(r);
      return v & 0x10000000 ? v - 0x20000000 : v;
    }
    case 0x05:
      return r.f64();
    case 0x06:
      return amf3String(r);
    case 0x08: {
      if ((u29(r) & 1) === 0) throw new AmfError('AMF3 object references are not supported');
      return new Date(r.f64());
    }
    case 0x09: {
      const h = u29(r);
      if ((h & 1) === 0) throw new AmfError('AMF3 object references are not supported');
      const dense = h >> 1;
      const assoc = amfObject();
      for (let key = amf3String(r); key !== ''; key = amf3String(r)) assoc[key] = amf3Value(r, depth + 1);
      if (dense > r.buf.length - r.pos) throw new AmfError(`AMF3 array of ${dense} elements in ${r.buf.length - r.pos} bytes`);
      const out: AmfValue[] = [];
      for (let i = 0; i < dense; i++) out.push(amf3Value(r, depth + 1));
      return Object.keys(assoc).length ? Object.assign(assoc, out) : out;
    }
    case 0x0a: {
      const h = u29(r);
      if ((h & 1) === 0) throw new AmfError('AMF3 object references are not supported');
      let traits: { names: string[]; dynamic: boolean };
      if ((h & 2) === 0) {
        traits = r.traits[h >> 2];
        if (!traits) throw new AmfError(`AMF3 traits reference ${h >> 2} out of range`);
      } else {
        if (h & 4) throw new AmfError('AMF3 externalizable objects are not supported');
        const sealed = h >> 4;
        amf3String(r); // class name
        if (sealed > r.buf.length - r.pos) throw new AmfError(`AMF3 traits with ${sealed} names in ${r.buf.length - r.pos} bytes`);
        const names: string[] = [];
        for (let i = 0; i < sealed; i++) names.push(amf3String(r));
        traits = { names, dynamic: (h & 8) !== 0 };
        r.traits.push(traits);
      }
      const o = amfObject();
      for (const name of traits.names) o[name] = amf3Value(r, depth + 1);
      if (traits.dynamic) for (let key = amf3String(r); key !== ''; key = amf3String(r)) o[key] = amf3Value(r, depth + 1);
      return o;
    }
    default:
      throw new AmfError(`unsupported AMF3 type marker 0x${marker.toString(16).padStart(2, '0')}`);
  }
}

/** Every value in `buf` (a command or data message body). Throws AmfError on anything malformed. */
export function decodeAmf0(buf: Buffer, limits: AmfLimits = DEFAULT_LIMITS): AmfValue[] {
  const r = new Reader(buf, limits);
  const out: AmfValue[] = [];
  while (r.pos < buf.length) out.push(amf0Value(r, 0));
  return out;
}

function encodeString(s: string, marker: 'value' | 'key'): Buffer {
  const data = Buffer.from(s, 'utf8');
  if (marker === 'key') {
    if (data.length > 0xffff) throw new AmfError('AMF0 key longer than 65535 bytes');
    const h = Buffer.alloc(2);
    h.writeUInt16BE(data.length);
    return Buffer.concat([h, data]);
  }
  if (data.length <= 0xffff) {
    const h = Buffer.alloc(3);
    h[0] = 0x02;
    h.writeUInt16BE(data.length, 1);
    return Buffer.concat([h, data]);
  }
  const h = Buffer.alloc(5);
  h[0] = 0x0c;
  h.writeUInt32BE(data.length, 1);
  return Buffer.concat([h, data]);
}

/**
 * AMF0 for numbers, booleans, strings, null, undefined and flat-or-nested objects: the markers node-media-server's
 * decoder reads correctly. Byte lengths are UTF-8 lengths (node-media-server's own encoder writes UTF-16 lengths).
 */
export function encodeAmf0(values: AmfValue[]): Buffer {
  const parts: Buffer[] = [];
  const one = (v: AmfValue) => {
    if (typeof v === 'number') {
      const b = Buffer.alloc(9);
      b.writeDoubleBE(v, 1);
      parts.push(b);
    } else if (typeof v === 'boolean') parts.push(Buffer.from([0x01, v ? 1 : 0]));
    else if (typeof v === 'string') parts.push(encodeString(v, 'value'));
    else if (v === null) parts.push(Buffer.from([0x05]));
    else if (v === undefined) parts.push(Buffer.from([0x06]));
    else if (isAmfObject(v)) {
      parts.push(Buffer.from([0x03]));
      for (const [k, x] of Object.entries(v)) {
        // An empty key would end the object early; node-media-server also reads a key whose length's high
        // byte is 0x09 as the end marker.
        const kl = Buffer.byteLength(k);
        if (kl === 0 || kl >> 8 === 0x09) continue;
        parts.push(encodeString(k, 'key'));
        one(x);
      }
      parts.push(Buffer.from([0x00, 0x00, 0x09]));
    } else throw new AmfError('encodeAmf0: unsupported value');
  };
  values.forEach(one);
  return Buffer.concat(parts);
}
