// Field encoders for byte fixtures, written from the protocol guide as hex strings and independent
// of Writer, so a codec test compares against bytes the codec did not produce.
import assert from 'node:assert/strict';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { Reader } from '../../src/protocol/reader.js';

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export const i8 = (n: number): string => Buffer.from([n & 0xff]).toString('hex');
export const i16 = (n: number): string => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b.toString('hex'); };
export const i32 = (n: number): string => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b.toString('hex'); };
export const i64 = (n: number | bigint): string => { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(n)); return b.toString('hex'); };

/** Unsigned LEB128, seven bits a byte, low group first. */
export function uvarint(n: number): string {
  const out: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Buffer.from(out).toString('hex');
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** A string in classic (int16 length, -1 null) or compact (varint length + 1, 0 null) form. */
export const str = (f: boolean, s: string | null): string => {
  if (s === null) return f ? '00' : 'ffff';
  return (f ? uvarint(utf8(s).length + 1) : i16(utf8(s).length)) + utf8(s).toString('hex');
};

/** Bytes or records in classic (int32 length, -1 null) or compact form. */
export const bytes = (f: boolean, b: Buffer | null): string => {
  if (b === null) return f ? '00' : 'ffffffff';
  return (f ? uvarint(b.length + 1) : i32(b.length)) + b.toString('hex');
};

/** An array of already-encoded elements; null in either form. */
export const arr = (f: boolean, items: readonly string[] | null): string => {
  if (items === null) return f ? '00' : 'ffffffff';
  return (f ? uvarint(items.length + 1) : i32(items.length)) + items.join('');
};

/** An empty tagged-field section in flexible versions, nothing otherwise. */
export const tags = (f: boolean): string => (f ? '00' : '');

/** Asserts that decoding every strict prefix of `full` throws MalformedRequestError. */
export function assertMalformedAtEveryCut(full: Buffer, decode: (r: Reader) => unknown): void {
  for (let cut = 0; cut < full.length; cut++) {
    assert.throws(() => {
      const r = new Reader(full.subarray(0, cut));
      decode(r);
      r.expectEnd('message');
    }, MalformedRequestError, `cut at ${cut} of ${full.length}`);
  }
}
