// The pure controller commands: each takes the committed MetadataImage and a request and returns
// the records to propose and the response, touching nothing (see result.ts).
export * from './result.js';
export * from './brokers.js';
export * from './topics.js';
export * from './partitions.js';
