// The primitive types against byte fixtures worked out from the protocol guide, round trips, and
// bounds: a short or lying frame throws MalformedRequestError and never reads past its end.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { readRequestHeader, writeRequestHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { RAW_REF_COPY_BELOW_BYTES, Writer } from '../../src/protocol/writer.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const written = (f: (w: Writer) => void) => {
  const w = new Writer();
  f(w);
  return w.written.toString('hex');
};
const malformed = (f: () => unknown) => assert.throws(f, MalformedRequestError);

describe('fixed-width integers', () => {
  it('are big-endian and signed', () => {
    assert.equal(written((w) => w.int8(-1).int16(258).int32(-2).uint32(0xffff_fffe).int64(-3n)), 'ff0102fffffffefffffffefffffffffffffffd');
    const r = new Reader(hex('ff0102fffffffefffffffefffffffffffffffd'));
    assert.deepEqual([r.int8(), r.int16(), r.int32(), r.uint32(), r.int64()], [-1, 258, -2, 0xffff_fffe, -3n]);
    r.expectEnd('fixture');
  });

  it('throw instead of reading past the frame', () => {
    malformed(() => new Reader(hex('0001')).int32());
    malformed(() => new Reader(hex('')).int8());
    malformed(() => new Reader(hex('00000000000000')).int64());
  });
});

describe('writer growth', () => {
  it('keeps every value written across buffer growth (a write that grows the buffer lands in the new one)', () => {
    const w = new Writer();
    for (let i = 0; i < 1000; i++) w.int8(i % 100).int16(i).int32(-i).int64(BigInt(i)).unsignedVarint(i * 1000).varlong(BigInt(-i));
    const r = new Reader(w.written);
    for (let i = 0; i < 1000; i++) assert.deepEqual([r.int8(), r.int16(), r.int32(), r.int64(), r.unsignedVarint(), r.varlong()], [i % 100, i, i === 0 ? 0 : -i, BigInt(i), i * 1000, BigInt(-i)]);
    r.expectEnd('growth');
  });
});

describe('writer references (rawRef, chunks, patchInt32)', () => {
  const big = (fill: number) => Buffer.alloc(RAW_REF_COPY_BELOW_BYTES, fill);

  it('appends a large buffer by reference: the same object is a chunk, between our own bytes', () => {
    const records = big(0xab);
    const w = new Writer().int32(0).int16(7).rawRef(records).int8(-1);
    const chunks = w.chunks();
    assert.equal(chunks.length, 3);
    assert.equal(chunks[1], records);
    assert.equal(chunks[0]!.toString('hex'), '000000000007');
    assert.equal(chunks[2]!.toString('hex'), 'ff');
    assert.equal(w.lengthBytes, 6 + records.length + 1);
    assert.equal(w.written.toString('hex'), '000000000007' + records.toString('hex') + 'ff');
    records[0] = 0x01;
    assert.equal(w.written[6], 0x01, 'a reference sees later changes to the buffer');
  });

  it('copies a buffer under the threshold into the current chunk', () => {
    const small = Buffer.alloc(RAW_REF_COPY_BELOW_BYTES - 1, 0xcd);
    const w = new Writer().int8(1).rawRef(small).int8(2);
    assert.equal(w.chunks().length, 1);
    small[0] = 0;
    assert.equal(w.written.toString('hex'), '01' + 'cd'.repeat(small.length) + '02');
  });

  it('back-to-back references make no empty chunks; nothing written is no chunks', () => {
    assert.deepEqual(new Writer().chunks(), []);
    const a = big(1);
    const b = big(2);
    const w = new Writer().rawRef(a).rawRef(b);
    assert.deepEqual(w.chunks().map((c) => c === a || c === b), [true, true]);
    assert.equal(w.lengthBytes, a.length + b.length);
  });

  it('patches an int32 in the first chunk, before or after a reference', () => {
    const plain = new Writer().int32(0).int32(9);
    plain.patchInt32(0, plain.lengthBytes - 4);
    assert.equal(plain.written.toString('hex'), '00000004' + '00000009');
    const records = big(0);
    const w = new Writer().int32(0).int8(3).rawRef(records).int32(5);
    w.patchInt32(0, w.lengthBytes - 4);
    assert.equal(w.chunks()[0]!.readInt32BE(0), 1 + records.length + 4);
    assert.equal(w.written.readInt32BE(0), w.lengthBytes - 4);
    assert.equal(records[0], 0, 'the referenced buffer is untouched');
  });

  it('refuses to patch outside the first chunk or into a referenced buffer', () => {
    const w = new Writer().int32(0).int8(1).rawRef(big(0)).int32(5);
    assert.throws(() => w.patchInt32(2, 1), RangeError);
    assert.throws(() => w.patchInt32(-1, 1), RangeError);
    assert.throws(() => new Writer().rawRef(big(0)).patchInt32(0, 1), RangeError);
    assert.throws(() => new Writer().int16(0).patchInt32(0, 1), RangeError);
  });

  it('keeps the sealed prefix intact when later writes grow the buffer', () => {
    const records = big(0xee);
    const w = new Writer().int32(0x01020304).rawRef(records);
    for (let i = 0; i < 2000; i++) w.int32(i);
    w.patchInt32(0, 42);
    const r = new Reader(w.written);
    assert.equal(r.int32(), 42);
    assert.ok(r.uuid().every((b) => b === 0xee));
    for (let i = 16; i < records.length; i++) r.int8();
    for (let i = 0; i < 2000; i++) assert.equal(r.int32(), i);
    r.expectEnd('grown writer');
    assert.equal(w.chunks().reduce((n, c) => n + c.length, 0), w.lengthBytes);
  });
});

describe('varints', () => {
  const unsigned: Array<[number, string]> = [[0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [300, 'ac02'], [0xffff_ffff, 'ffffffff0f']];
  for (const [value, bytes] of unsigned) {
    it(`unsigned ${value} is ${bytes}`, () => {
      assert.equal(written((w) => w.unsignedVarint(value)), bytes);
      assert.equal(new Reader(hex(bytes)).unsignedVarint(), value);
    });
  }

  const zigzag: Array<[number, string]> = [[0, '00'], [-1, '01'], [1, '02'], [-64, '7f'], [64, '8001'], [0x7fff_ffff, 'feffffff0f'], [-0x8000_0000, 'ffffffff0f']];
  for (const [value, bytes] of zigzag) {
    it(`zigzag ${value} is ${bytes}`, () => {
      assert.equal(written((w) => w.varint(value)), bytes);
      assert.equal(new Reader(hex(bytes)).varint(), value);
    });
  }

  it('varlong zigzag over the whole int64 range', () => {
    for (const v of [0n, -1n, 1n, 1n << 40n, -(1n << 63n), (1n << 63n) - 1n]) {
      const w = new Writer().varlong(v);
      assert.equal(new Reader(w.written).varlong(), v);
    }
    assert.equal(written((w) => w.varlong(-1n)), '01');
    assert.equal(written((w) => w.varlong((1n << 63n) - 1n)), 'feffffffffffffffff01');
  });

  it('reject truncated and over-long encodings', () => {
    malformed(() => new Reader(hex('80')).unsignedVarint());
    malformed(() => new Reader(hex('ffffffffff01')).unsignedVarint());
    malformed(() => new Reader(hex('ffffffff1f')).unsignedVarint());
    malformed(() => new Reader(hex('ffffffffffffffffffff01')).varlong());
  });
});

describe('strings and bytes', () => {
  it('classic: int16 length, -1 for null', () => {
    assert.equal(written((w) => w.string('ab').nullableString(null)), '00026162ffff');
    const r = new Reader(hex('00026162ffff'));
    assert.equal(r.string(), 'ab');
    assert.equal(r.nullableString(), null);
  });

  it('compact: length + 1 as an unsigned varint, 0 for null', () => {
    assert.equal(written((w) => w.compactString('ab').compactNullableString(null).compactString('')), '03616200' + '01');
    const r = new Reader(hex('0361620001'));
    assert.deepEqual([r.compactString(), r.compactNullableString(), r.compactString()], ['ab', null, '']);
  });

  it('UTF-8 lengths count bytes, not characters', () => {
    assert.equal(written((w) => w.string('é')), '0002c3a9');
    assert.equal(new Reader(hex('0002c3a9')).string(), 'é');
  });

  it('bytes and compact bytes', () => {
    assert.equal(written((w) => w.bytes(hex('0a0b')).nullableBytes(null).compactBytes(hex('0c')).compactNullableBytes(null)), '000000020a0bffffffff020c00');
    const r = new Reader(hex('000000020a0bffffffff020c00'));
    assert.deepEqual([r.bytes().toString('hex'), r.nullableBytes(), r.compactBytes().toString('hex'), r.compactNullableBytes()], ['0a0b', null, '0c', null]);
  });

  it('a length past the frame or a null where one is not allowed is malformed', () => {
    malformed(() => new Reader(hex('00056162')).string());
    malformed(() => new Reader(hex('ffff')).string());
    malformed(() => new Reader(hex('fffe')).nullableString());
    malformed(() => new Reader(hex('0a61')).compactString());
    malformed(() => new Reader(hex('00')).compactString());
    malformed(() => new Reader(hex('7fffffff00')).bytes());
    malformed(() => new Reader(hex('fffffffe')).nullableBytes());
  });
});

describe('arrays', () => {
  const int32 = (r: Reader) => r.int32();
  const put = (w: Writer, n: number) => void w.int32(n);

  it('classic: int32 count, -1 for null; compact: count + 1, 0 for null', () => {
    assert.equal(written((w) => w.array([1, 2], put).nullableArray(null, put)), '000000020000000100000002ffffffff');
    assert.equal(written((w) => w.compactArray([7], put).compactNullableArray(null, put)), '020000000700');
    const r = new Reader(hex('000000020000000100000002ffffffff020000000700'));
    assert.deepEqual([r.array(int32), r.nullableArray(int32), r.compactArray(int32), r.compactNullableArray(int32)], [[1, 2], null, [7], null]);
  });

  it('a count larger than the bytes left is rejected before any allocation', () => {
    malformed(() => new Reader(hex('7fffffff')).array(int32));
    malformed(() => new Reader(hex('ffffffff0f')).compactArray(int32));
    malformed(() => new Reader(hex('fffffffe')).nullableArray(int32));
    malformed(() => new Reader(hex('ffffffff')).array(int32));
  });
});

describe('uuid and tagged fields', () => {
  it('uuid is 16 raw bytes', () => {
    const id = hex('00112233445566778899aabbccddeeff');
    assert.equal(written((w) => w.uuid(id)), id.toString('hex'));
    assert.equal(new Reader(id).uuid().toString('hex'), id.toString('hex'));
    malformed(() => new Reader(id.subarray(0, 15)).uuid());
  });

  it('unknown tagged fields are read and skipped; we write an empty section', () => {
    assert.equal(written((w) => w.emptyTaggedFields()), '00');
    // two fields: tag 0 with 2 bytes, tag 5 with 1 byte, then an int8 after the section
    const r = new Reader(hex('02 00 02 aabb 05 01 cc 2a'));
    r.skipTaggedFields();
    assert.equal(r.int8(), 42);
  });

  it('tagged fields out of order or longer than the frame are malformed', () => {
    malformed(() => new Reader(hex('02 05 00 01 00')).skipTaggedFields());
    malformed(() => new Reader(hex('01 00 09 aa')).skipTaggedFields());
  });
});

describe('request header', () => {
  it('v1: client id is a nullable string', () => {
    const header = { apiKey: 3, apiVersion: 4, correlationId: 7, clientId: 'c' };
    const bytes = '0003' + '0004' + '00000007' + '000163';
    const w = new Writer();
    writeRequestHeader(w, header, 1);
    assert.equal(w.written.toString('hex'), bytes);
    assert.deepEqual(readRequestHeader(new Reader(hex(bytes)), 1), header);
  });

  it('v2: client id stays a NON-compact nullable string, then tagged fields', () => {
    const bytes = '0012' + '0003' + '00000001' + 'ffff' + '00';
    assert.deepEqual(readRequestHeader(new Reader(hex(bytes)), 2), { apiKey: 18, apiVersion: 3, correlationId: 1, clientId: null });
    const r = new Reader(hex('0012000300000001' + '00026b63' + '01 00 01 ff'));
    assert.equal(readRequestHeader(r, 2).clientId, 'kc');
    r.expectEnd('header');
  });

  it('v0 has no client id', () => {
    assert.deepEqual(readRequestHeader(new Reader(hex('0007000000000009')), 0), { apiKey: 7, apiVersion: 0, correlationId: 9, clientId: null });
  });
});
