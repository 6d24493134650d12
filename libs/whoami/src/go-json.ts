// json.NewDecoder(body).Decode(&statusCode) of Go 1.19, for POST /health: the first JSON value of the body
// (whatever follows it is never read), with Go's exact error texts.

/** The scanner's quoteChar. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return '\'"\'';
  const short: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x5c: '\\\\' };
  if (short[c]) return `'${short[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u00${c.toString(16)}'`;
  return `'${String.fromCharCode(c)}'`;
}

class SyntaxError extends Error {}
const EOF_UNEXPECTED = 'unexpected EOF';

class Scanner {
  i = 0;
  constructor(readonly s: Buffer) {}
  peek(): number {
    return this.i < this.s.length ? this.s[this.i] : -1;
  }
  fail(context: string): never {
    const c = this.peek();
    throw new SyntaxError(c < 0 ? EOF_UNEXPECTED : `invalid character ${quoteChar(c)} ${context}`);
  }
  ws() {
    while ([0x20, 0x09, 0x0a, 0x0d].includes(this.peek())) this.i++;
  }
  digits() {
    while (this.peek() >= 0x30 && this.peek() <= 0x39) this.i++;
  }
  isDigit = () => this.peek() >= 0x30 && this.peek() <= 0x39;
  /** One value; returns its kind. */
  value(): 'number' | 'string' | 'bool' | 'null' | 'array' | 'object' {
    const c = this.peek();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      if (c === 0x2d) {
        this.i++;
        if (!this.isDigit()) this.fail('in numeric literal');
      }
      if (this.peek() === 0x30) this.i++;
      else this.digits();
      if (this.peek() === 0x2e) {
        this.i++;
        if (!this.isDigit()) this.fail('after decimal point in numeric literal');
        this.digits();
      }
      if (this.peek() === 0x65 || this.peek() === 0x45) {
        this.i++;
        if (this.peek() === 0x2b || this.peek() === 0x2d) this.i++;
        if (!this.isDigit()) this.fail('in exponent of numeric literal');
        this.digits();
      }
      return 'number';
    }
    if (c === 0x22) {
      this.i++;
      for (;;) {
        const d = this.peek();
        if (d < 0) this.fail('');
        this.i++;
        if (d === 0x22) return 'string';
        if (d < 0x20) {
          this.i--;
          this.fail('in string literal');
        }
        if (d === 0x5c) {
          const e = this.peek();
          if ('"\\/bfnrt'.includes(String.fromCharCode(e)) && e >= 0) this.i++;
          else if (e === 0x75) {
            this.i++;
            for (let k = 0; k < 4; k++) {
              const h = this.peek();
              if (!((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) this.fail('in \\u hexadecimal character escape');
              this.i++;
            }
          } else this.fail('in string escape code');
        }
      }
    }
    for (const word of ['true', 'false', 'null']) {
      if (c !== word.charCodeAt(0)) continue;
      this.i++;
      for (let k = 1; k < word.length; k++) {
        if (this.peek() !== word.charCodeAt(k)) this.fail(`in literal ${word} (expecting ${quoteChar(word.charCodeAt(k))})`);
        this.i++;
      }
      return word === 'null' ? 'null' : 'bool';
    }
    if (c === 0x5b) {
      this.list(0x5d, 'after array element', () => {
        this.begin();
        this.value();
      });
      return 'array';
    }
    if (c === 0x7b) {
      this.list(0x7d, 'after object key:value pair', () => {
        if (this.peek() !== 0x22) this.fail('looking for beginning of object key string');
        this.value();
        this.ws();
        if (this.peek() !== 0x3a) this.fail('after object key');
        this.i++;
        this.ws();
        this.begin();
        this.value();
      });
      return 'object';
    }
    this.fail('looking for beginning of value');
  }
  /** An array or object body after its opening byte: elements separated by commas up to `close`. */
  list(close: number, after: string, element: () => void) {
    this.i++;
    this.ws();
    if (this.peek() === close) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      element();
      this.ws();
      if (this.peek() === 0x2c) this.i++;
      else if (this.peek() === close) {
        this.i++;
        return;
      } else this.fail(after);
    }
  }
  begin() {
    const c = this.peek();
    if (!(c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x22 || c === 0x5b || c === 0x7b || c === 0x74 || c === 0x66 || c === 0x6e)) this.fail('looking for beginning of value');
  }
}

const INT64_MAX = 2n ** 63n - 1n;

/** Decode the first JSON value of `body` into a Go int: the value, or Go's error text. */
export function decodeGoInt(body: Buffer): { value: number } | { error: string } {
  const s = new Scanner(body);
  s.ws();
  if (s.peek() < 0) return { error: 'EOF' };
  const start = s.i;
  try {
    s.begin();
    const kind = s.value();
    if (kind === 'null') return { value: 0 };
    if (kind !== 'number') return { error: `json: cannot unmarshal ${kind} into Go value of type int` };
    const literal = body.subarray(start, s.i).toString('latin1');
    if (!/^-?\d+$/.test(literal) || BigInt(literal) > INT64_MAX || BigInt(literal) < -INT64_MAX - 1n)
      return { error: `json: cannot unmarshal number ${literal} into Go value of type int` };
    return { value: Number(literal) };
  } catch (e) {
    if (e instanceof SyntaxError) return { error: e.message };
    throw e;
  }
}
