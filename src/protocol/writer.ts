// Writes Kafka's primitive types into a growing buffer. Writing is for our own responses, so a
// value out of range is a bug of ours: it throws RangeError (from Buffer) rather than a protocol error.
//
// rawRef appends a buffer by reference: Fetch responses carry record bytes read from segment files,
// and copying megabytes into the frame only to hand them to the socket would double the work. The
// output is then a list of chunks (chunks()), meant for a gathering write.

const INITIAL_BYTES = 256;
/** rawRef copies buffers shorter than this: a separate chunk costs more than copying them. */
export const RAW_REF_COPY_BELOW_BYTES = 1024;

export class Writer {
  private buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  private length = 0;
  /** Where the chunk still being written starts in this.buffer; what precedes it is in sealed. */
  private chunkStart = 0;
  /** Finished chunks in order: views of our own earlier bytes and buffers appended by rawRef. */
  private readonly sealed: Buffer[] = [];
  private sealedBytes = 0;
  /** How many leading bytes live in our own first chunk (patchable), fixed at the first rawRef. */
  private ownedHeadBytes: number | undefined;

  /**
   * The bytes written so far. Without referenced buffers, a view valid until the next write; with
   * them, a fresh concatenation (a copy), so prefer chunks() on the hot path.
   */
  get written(): Buffer {
    const current = this.buffer.subarray(this.chunkStart, this.length);
    if (this.sealed.length === 0) return current;
    return Buffer.concat([...this.sealed, current], this.lengthBytes);
  }

  /** Total bytes written, referenced buffers included. */
  get lengthBytes(): number {
    return this.sealedBytes + this.length - this.chunkStart;
  }

  /**
   * The bytes written so far as buffers in order: our own bytes, and each referenced buffer itself
   * (the same object). The last chunk is a view valid until the next write.
   */
  chunks(): Buffer[] {
    const out = [...this.sealed];
    if (this.length > this.chunkStart) out.push(this.buffer.subarray(this.chunkStart, this.length));
    return out;
  }

  /**
   * Appends `bytes` by reference: the caller must not change them until the output is sent. Buffers
   * under RAW_REF_COPY_BELOW_BYTES are copied instead.
   */
  rawRef(bytes: Buffer): this {
    if (bytes.length < RAW_REF_COPY_BELOW_BYTES) return this.raw(bytes);
    this.sealCurrentChunk();
    this.sealed.push(bytes);
    this.sealedBytes += bytes.length;
    return this;
  }

  /**
   * Overwrites an int32 at byte `at` of the output, which must lie in the bytes written before the
   * first referenced buffer (a frame's length prefix is patched once the body is written).
   */
  patchInt32(at: number, value: number): this {
    const headBytes = this.ownedHeadBytes ?? this.length;
    if (!Number.isInteger(at) || at < 0 || at + 4 > headBytes) throw new RangeError(`patchInt32 at ${at} outside the first ${headBytes} bytes`);
    const head = this.sealed.length === 0 ? this.buffer : this.sealed[0];
    if (head === undefined) throw new RangeError('patchInt32 with no first chunk');
    head.writeInt32BE(value, at);
    return this;
  }

  // Later writes continue in this.buffer after the sealed view; reserve never moves sealed bytes.
  private sealCurrentChunk(): void {
    this.ownedHeadBytes ??= this.length;
    if (this.length === this.chunkStart) return;
    this.sealed.push(this.buffer.subarray(this.chunkStart, this.length));
    this.sealedBytes += this.length - this.chunkStart;
    this.chunkStart = this.length;
  }

  /**
   * Makes room for n bytes and returns where they go. Call it before touching this.buffer: it may
   * replace the buffer, so `this.buffer.write(v, this.reserve(n))` would write into the old one.
   * Growing copies only the chunk still being written: sealed views keep the old buffer alive.
   */
  private reserve(n: number): number {
    if (this.length + n > this.buffer.length) {
      const current = this.length - this.chunkStart;
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, current + n));
      this.buffer.copy(grown, 0, this.chunkStart, this.length);
      this.buffer = grown;
      this.chunkStart = 0;
      this.length = current;
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
