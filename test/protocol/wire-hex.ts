// Field encoders for codec tests, written from the protocol guide as hex and independent of the
// Writer under test, so a fixture and the codec can disagree.
import assert from 'node:assert/strict';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export const i8 = (n: number): string => Buffer.from([n & 0xff]).toString('hex');
export const i16 = (n: number): string => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b.toString('hex');
};
export const i32 = (n: number): string => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b.toString('hex');
};
export const bool = (b: boolean): string => (b ? '01' : '00');
/** Unsigned varint of a small number (below 128: one byte). */
const uvarint = (n: number): string => {
  assert.ok(n >= 0 && n < 128, 'fixtures use one-byte varints');
  return i8(n);
};
export const str = (s: string | null): string => (s === null ? 'ffff' : i16(Buffer.byteLength(s)) + Buffer.from(s).toString('hex'));
export const cstr = (s: string | null): string => (s === null ? '00' : uvarint(Buffer.byteLength(s) + 1) + Buffer.from(s).toString('hex'));
/** A string in a version's encoding: compact when flexible. */
export const vstr = (f: boolean, s: string | null): string => (f ? cstr(s) : str(s));
/** An array of already-encoded items; null when nullable. */
export const arr = (f: boolean, items: readonly string[] | null): string =>
  items === null ? (f ? '00' : 'ffffffff') : (f ? uvarint(items.length + 1) : i32(items.length)) + items.join('');
/** An empty tagged-field section when flexible. */
export const tags = (f: boolean): string => (f ? '00' : '');
export const uuidHex = (uuid: string): string => uuid.replaceAll('-', '');

/** Encodes with `encode` into a fresh Writer and returns the hex. */
export function encoded(encode: (w: Writer) => void): string {
  const w = new Writer();
  encode(w);
  return w.written.toString('hex');
}

/** Decodes the whole of `bytes` (trailing bytes are an error). */
export function decodedAll<T>(bytes: string, decode: (r: Reader) => T): T {
  const r = new Reader(hex(bytes));
  const value = decode(r);
  r.expectEnd('test message');
  return value;
}

/** Every strict prefix of a message must fail to decode as a whole message. */
export function assertMalformedAtEveryCut(bytes: string, decode: (r: Reader) => unknown): void {
  const full = hex(bytes);
  for (let cut = 0; cut < full.length; cut++) {
    assert.throws(
      () => {
        const r = new Reader(full.subarray(0, cut));
        decode(r);
        r.expectEnd('test message');
      },
      MalformedRequestError,
      `cut at ${cut} of ${full.length}`,
    );
  }
}
