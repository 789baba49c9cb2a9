// Reads Kafka's primitive types from one frame (https://kafka.apache.org/protocol#protocol_types).
// Every read checks its bounds first and throws MalformedRequestError instead of reading past the
// frame: the bytes come from the network and may be anything.
import { MalformedRequestError } from './errors.js';

/** The largest element count a decoder accepts before checking it against the bytes left. */
const INT32_MAX = 0x7fff_ffff;

export class Reader {
  private position = 0;

  constructor(private readonly buffer: Buffer) {}

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.buffer.length - this.position;
  }

  /** Throws unless every byte was consumed: trailing bytes mean we misread the version. */
  expectEnd(what: string): void {
    if (this.remaining !== 0) throw new MalformedRequestError(`${this.remaining} trailing bytes after ${what}`);
  }

  /** Skips `n` bytes (a field we do not decode), refusing a size past the end. */
  skip(n: number, what: string): void {
    this.take(n, what);
  }

  private take(n: number, what: string): number {
    if (n < 0 || n > this.remaining) throw new MalformedRequestError(`${what} needs ${n} bytes, ${this.remaining} left`);
    const at = this.position;
    this.position += n;
    return at;
  }

  int8(): number {
    return this.buffer.readInt8(this.take(1, 'int8'));
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    return this.buffer.readInt16BE(this.take(2, 'int16'));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.take(4, 'int32'));
  }

  uint32(): number {
    return this.buffer.readUInt32BE(this.take(4, 'uint32'));
  }

  int64(): bigint {
    return this.buffer.readBigInt64BE(this.take(8, 'int64'));
  }

  /** Unsigned LEB128 of at most 5 bytes (32 bits). */
  unsignedVarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buffer.readUInt8(this.take(1, 'varint'));
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (value > 0xffff_ffff) throw new MalformedRequestError('varint exceeds 32 bits');
        return value;
      }
    }
    throw new MalformedRequestError('varint longer than 5 bytes');
  }

  /** Zigzag-encoded signed 32-bit varint. */
  varint(): number {
    const raw = this.unsignedVarint();
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  /** Zigzag-encoded signed 64-bit varint (at most 10 bytes). */
  varlong(): bigint {
    let raw = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.buffer.readUInt8(this.take(1, 'varlong'));
      raw |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asIntN(64, (raw >> 1n) ^ -(raw & 1n));
    }
    throw new MalformedRequestError('varlong longer than 10 bytes');
  }

  uuid(): Buffer {
    const at = this.take(16, 'uuid');
    return this.buffer.subarray(at, at + 16);
  }

  private utf8(length: number, what: string): string {
    const at = this.take(length, what);
    return this.buffer.toString('utf8', at, at + length);
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    if (length < -1) throw new MalformedRequestError(`string length ${length}`);
    return this.utf8(length, 'string');
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new MalformedRequestError('null where a string is required');
    return s;
  }

  /** Compact strings carry length + 1 as an unsigned varint; 0 is null. */
  compactNullableString(): string | null {
    const n = this.unsignedVarint();
    return n === 0 ? null : this.utf8(n - 1, 'compact string');
  }

  compactString(): string {
    const s = this.compactNullableString();
    if (s === null) throw new MalformedRequestError('null where a compact string is required');
    return s;
  }

  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    return this.slice(length, 'bytes');
  }

  bytes(): Buffer {
    const b = this.nullableBytes();
    if (b === null) throw new MalformedRequestError('null where bytes are required');
    return b;
  }

  compactNullableBytes(): Buffer | null {
    const n = this.unsignedVarint();
    return n === 0 ? null : this.slice(n - 1, 'compact bytes');
  }

  compactBytes(): Buffer {
    const b = this.compactNullableBytes();
    if (b === null) throw new MalformedRequestError('null where compact bytes are required');
    return b;
  }

  private slice(length: number, what: string): Buffer {
    if (length < 0) throw new MalformedRequestError(`${what} length ${length}`);
    const at = this.take(length, what);
    return this.buffer.subarray(at, at + length);
  }

  /** An int32-counted array; null (-1) when nullable. */
  nullableArray<T>(element: (r: Reader) => T): T[] | null {
    const count = this.int32();
    if (count === -1) return null;
    return this.elements(count, element);
  }

  array<T>(element: (r: Reader) => T): T[] {
    const a = this.nullableArray(element);
    if (a === null) throw new MalformedRequestError('null where an array is required');
    return a;
  }

  /** Compact arrays carry count + 1 as an unsigned varint; 0 is null. */
  compactNullableArray<T>(element: (r: Reader) => T): T[] | null {
    const n = this.unsignedVarint();
    return n === 0 ? null : this.elements(n - 1, element);
  }

  compactArray<T>(element: (r: Reader) => T): T[] {
    const a = this.compactNullableArray(element);
    if (a === null) throw new MalformedRequestError('null where a compact array is required');
    return a;
  }

  private elements<T>(count: number, element: (r: Reader) => T): T[] {
    // Every element takes at least one byte, so a count above the bytes left is a lie; checking
    // first keeps a hostile count from making us allocate or loop for nothing.
    if (count < 0 || count > INT32_MAX || count > this.remaining) throw new MalformedRequestError(`array of ${count} elements with ${this.remaining} bytes left`);
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(element(this));
    return out;
  }

  /** An array in the encoding a version uses: compact when flexible. */
  versionedNullableArray<T>(flexible: boolean, element: (r: Reader) => T): T[] | null {
    return flexible ? this.compactNullableArray(element) : this.nullableArray(element);
  }

  versionedArray<T>(flexible: boolean, element: (r: Reader) => T): T[] {
    return flexible ? this.compactArray(element) : this.array(element);
  }

  versionedNullableString(flexible: boolean): string | null {
    return flexible ? this.compactNullableString() : this.nullableString();
  }

  versionedString(flexible: boolean): string {
    return flexible ? this.compactString() : this.string();
  }

  /**
   * A tagged-field section: reads and skips every field (none of the versions we decode define a
   * tag we use), but still checks tags ascend and sizes fit, as Kafka does.
   */
  skipTaggedFields(): void {
    const count = this.unsignedVarint();
    let previous = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.unsignedVarint();
      if (tag <= previous) throw new MalformedRequestError(`tagged field ${tag} after ${previous}`);
      previous = tag;
      this.take(this.unsignedVarint(), `tagged field ${tag}`);
    }
  }
}
