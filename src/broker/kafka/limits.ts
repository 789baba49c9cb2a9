// The Kafka listener's limits, named once (STYLE.md point 12).

/** Largest request frame accepted, as Kafka's socket.request.max.bytes (100 MiB). A larger size closes the connection. */
export const REQUEST_FRAME_BYTES_MAX = 100 * 1024 * 1024;

/**
 * Open connections per listener. Kafka's max.connections is unbounded by default; we bound it so
 * a connection leak in a client cannot exhaust the node's file descriptors. Excess connections
 * are closed as they arrive.
 */
export const CONNECTIONS_MAX = 1_000;

/**
 * Requests read from one connection and not yet answered. Kafka reads one request at a time per
 * connection; clients pipeline more (librdkafka's max.in.flight defaults to 1000000), so at this
 * many we stop reading the socket and let TCP hold the client back, bounding memory per connection.
 */
export const IN_FLIGHT_REQUESTS_MAX = 16;
