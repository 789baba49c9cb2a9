// Identifiers of the data plane. Offsets are Kafka's int64 but held as JS numbers: a partition would
// need 2^53 records to overflow, and every parse asserts the value is a safe integer.
import type { LeaderEpoch } from '../../metadata/types.js';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type Offset = Brand<number, 'Offset'>;
export type { LeaderEpoch };

export const offset = (n: number): Offset => n as Offset;

/** A clock in milliseconds since the epoch; injected so tests control time-based roll and retention. */
export type ClockMs = () => number;
export const systemClockMs: ClockMs = () => Date.now();
