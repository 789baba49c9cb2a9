// Splits a TCP byte stream into Kafka frames: int32 size, then that many bytes. Chunks are kept
// as they arrive and joined once per frame, so a large frame costs one copy, not one per chunk.

export type FrameResult = { readonly frame: Buffer } | { readonly oversized: number } | undefined;

export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly frameBytesMax: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next whole frame, `oversized` if the peer announced one above the limit (or negative), or undefined until more bytes arrive. */
  next(): FrameResult {
    if (this.buffered < 4) return undefined;
    const size = this.peekSize();
    if (size < 0 || size > this.frameBytesMax) return { oversized: size };
    if (this.buffered < 4 + size) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const frame = all.subarray(4, 4 + size);
    const rest = all.subarray(4 + size);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return { frame };
  }

  private peekSize(): number {
    if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!.readInt32BE(0);
  }
}
