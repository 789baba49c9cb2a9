// Writes Kafka's primitive types into a growing buffer. Writing is for our own responses, so a
// value out of range is a bug of ours: it throws RangeError (from Buffer) rather than a protocol error.

const INITIAL_BYTES = 256;

export class Writer {
  private buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  private length = 0;

  /** The bytes written so far (a view, valid until the next write). */
  get written(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /**
   * Makes room for n bytes and returns where they go. Call it before touching this.buffer: it may
   * replace the buffer, so `this.buffer.write(v, this.reserve(n))` would write into the old one.
   */
  private reserve(n: number): number {
    if (this.length + n > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  int8(v: number): this {
    const at = this.reserve(1);
    this.buffer.writeInt8(v, at);
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    const at = this.reserve(2);
    this.buffer.writeInt16BE(v, at);
    return this;
  }

  int32(v: number): this {
    const at = this.reserve(4);
    this.buffer.writeInt32BE(v, at);
    return this;
  }

  uint32(v: number): this {
    const at = this.reserve(4);
    this.buffer.writeUInt32BE(v, at);
    return this;
  }

  int64(v: bigint): this {
    const at = this.reserve(8);
    this.buffer.writeBigInt64BE(v, at);
    return this;
  }

  unsignedVarint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`unsigned varint out of range: ${v}`);
    let rest = v;
    while (rest >= 0x80) {
      const at = this.reserve(1);
      this.buffer.writeUInt8((rest % 0x80) | 0x80, at);
      rest = Math.floor(rest / 0x80);
    }
    const at = this.reserve(1);
    this.buffer.writeUInt8(rest, at);
    return this;
  }

  varint(v: number): this {
    if (!Number.isInteger(v) || v < -0x8000_0000 || v > 0x7fff_ffff) throw new RangeError(`varint out of range: ${v}`);
    return this.unsignedVarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: bigint): this {
    let raw = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (raw >= 0x80n) {
      const at = this.reserve(1);
      this.buffer.writeUInt8(Number(raw & 0x7fn) | 0x80, at);
      raw >>= 7n;
    }
    const at = this.reserve(1);
    this.buffer.writeUInt8(Number(raw), at);
    return this;
  }

  uuid(bytes: Uint8Array): this {
    if (bytes.length !== 16) throw new RangeError(`uuid of ${bytes.length} bytes`);
    return this.raw(bytes);
  }

  raw(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length);
    this.buffer.set(bytes, at);
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const bytes = Buffer.from(s, 'utf8');
    return this.int16(bytes.length).raw(bytes);
  }

  string(s: string): this {
    return this.nullableString(s);
  }

  compactNullableString(s: string | null): this {
    if (s === null) return this.unsignedVarint(0);
    const bytes = Buffer.from(s, 'utf8');
    return this.unsignedVarint(bytes.length + 1).raw(bytes);
  }

  compactString(s: string): this {
    return this.compactNullableString(s);
  }

  nullableBytes(b: Uint8Array | null): this {
    return b === null ? this.int32(-1) : this.int32(b.length).raw(b);
  }

  bytes(b: Uint8Array): this {
    return this.nullableBytes(b);
  }

  compactNullableBytes(b: Uint8Array | null): this {
    return b === null ? this.unsignedVarint(0) : this.unsignedVarint(b.length + 1).raw(b);
  }

  compactBytes(b: Uint8Array): this {
    return this.compactNullableBytes(b);
  }

  nullableArray<T>(items: readonly T[] | null, element: (w: Writer, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) element(this, item);
    return this;
  }

  array<T>(items: readonly T[], element: (w: Writer, item: T) => void): this {
    return this.nullableArray(items, element);
  }

  compactNullableArray<T>(items: readonly T[] | null, element: (w: Writer, item: T) => void): this {
    if (items === null) return this.unsignedVarint(0);
    this.unsignedVarint(items.length + 1);
    for (const item of items) element(this, item);
    return this;
  }

  compactArray<T>(items: readonly T[], element: (w: Writer, item: T) => void): this {
    return this.compactNullableArray(items, element);
  }

  /** An array in the encoding a version uses: compact when flexible. */
  versionedArray<T>(flexible: boolean, items: readonly T[] | null, element: (w: Writer, item: T) => void): this {
    return flexible ? this.compactNullableArray(items, element) : this.nullableArray(items, element);
  }

  versionedString(flexible: boolean, s: string | null): this {
    return flexible ? this.compactNullableString(s) : this.nullableString(s);
  }

  /** We never send tagged fields: an empty section is one zero byte. */
  emptyTaggedFields(): this {
    return this.unsignedVarint(0);
  }
}
