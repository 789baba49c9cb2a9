// gRPC method definitions from generated protobufjs static codecs, so services need no
// proto-loader at run time. Shared by every service definition (Kv, Controller, Replica).
export interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

/** The encoded bytes as a Buffer without copying them (protobufjs already returns one under Node). */
function encoded<T>(codec: Codec<T>, message: T): Buffer {
  const bytes = codec.encode(message).finish();
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function method<Req, Res>(service: string, name: string, req: Codec<Req>, res: Codec<Res>, streams: boolean) {
  return {
    path: `/${service}/${name}`,
    requestStream: streams,
    responseStream: streams,
    requestSerialize: (m: Req) => encoded(req, m),
    requestDeserialize: (b: Buffer) => req.decode(b),
    responseSerialize: (m: Res) => encoded(res, m),
    responseDeserialize: (b: Buffer) => res.decode(b),
  };
}

export function unaryMethod<Req, Res>(service: string, name: string, req: Codec<Req>, res: Codec<Res>) {
  return method(service, name, req, res, false);
}

/** A method with a stream each way (requests and responses paired by the service's own rules). */
export function duplexMethod<Req, Res>(service: string, name: string, req: Codec<Req>, res: Codec<Res>) {
  return method(service, name, req, res, true);
}
