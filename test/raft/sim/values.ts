// The replicated state machine of the simulator is an append-only list of unique uint32 values.
// An entry carries one value (4 bytes, big-endian); a snapshot is the whole list.

export function encodeValue(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

export function decodeValue(data: Uint8Array): number {
  if (data.byteLength !== 4) throw new Error(`a value entry has 4 bytes, got ${data.byteLength}`);
  return ((data[0] as number) << 24 | (data[1] as number) << 16 | (data[2] as number) << 8 | (data[3] as number)) >>> 0;
}

export function encodeValues(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v));
  return bytes;
}

export function decodeValues(data: Uint8Array): number[] {
  if (data.byteLength % 4 !== 0) throw new Error(`a snapshot holds whole values, got ${data.byteLength} bytes`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Array.from({ length: data.byteLength / 4 }, (_, i) => view.getUint32(i * 4));
}
