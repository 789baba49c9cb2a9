// The one error the codec throws: the bytes a peer sent are not a valid Kafka message. It is an
// operating error (bad input from the network, STYLE.md point 11), so the listener catches it,
// logs `reason` and closes that connection; it never crashes the node.

export class MalformedRequestError extends Error {
  readonly code = 'MALFORMED_REQUEST';
  readonly retriable = false;

  constructor(readonly reason: string) {
    super(`malformed request: ${reason}`);
    this.name = 'MalformedRequestError';
  }
}
