// A unary gRPC method definition from generated protobufjs static codecs, so services need no
// proto-loader at run time. Shared by every service definition (Kv, Controller).
export interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

export function unaryMethod<Req, Res>(service: string, name: string, req: Codec<Req>, res: Codec<Res>) {
  return {
    path: `/${service}/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: Req) => Buffer.from(req.encode(m).finish()),
    requestDeserialize: (b: Buffer) => req.decode(b),
    responseSerialize: (m: Res) => Buffer.from(res.encode(m).finish()),
    responseDeserialize: (b: Buffer) => res.decode(b),
  };
}
