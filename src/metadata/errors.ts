// Kafka's protocol errors: name, numeric code and whether a client may retry, as in apache/kafka
// clients/.../common/protocol/Errors.java (codes) and the RetriableException hierarchy (the flag),
// which the protocol guide's error table lists. One table for the controller and the data plane:
// codes are part of the wire protocol and never change, so they are written here once.
//
// An ApiError is an operating error reported in a response (bad input, stale epoch), never thrown
// for an invariant (STYLE.md point 11).

interface KafkaErrorDef {
  readonly code: number;
  readonly retriable: boolean;
}

const e = (code: number, retriable: boolean): KafkaErrorDef => Object.freeze({ code, retriable });

export const KAFKA_ERRORS = Object.freeze({
  UNKNOWN_SERVER_ERROR: e(-1, false),
  NONE: e(0, false),
  OFFSET_OUT_OF_RANGE: e(1, false),
  CORRUPT_MESSAGE: e(2, true),
  UNKNOWN_TOPIC_OR_PARTITION: e(3, true),
  INVALID_FETCH_SIZE: e(4, false),
  LEADER_NOT_AVAILABLE: e(5, true),
  NOT_LEADER_OR_FOLLOWER: e(6, true),
  REQUEST_TIMED_OUT: e(7, true),
  BROKER_NOT_AVAILABLE: e(8, false),
  REPLICA_NOT_AVAILABLE: e(9, true),
  MESSAGE_TOO_LARGE: e(10, false),
  STALE_CONTROLLER_EPOCH: e(11, false),
  OFFSET_METADATA_TOO_LARGE: e(12, false),
  NETWORK_EXCEPTION: e(13, true),
  COORDINATOR_LOAD_IN_PROGRESS: e(14, true),
  COORDINATOR_NOT_AVAILABLE: e(15, true),
  NOT_COORDINATOR: e(16, true),
  INVALID_TOPIC_EXCEPTION: e(17, false),
  RECORD_LIST_TOO_LARGE: e(18, false),
  NOT_ENOUGH_REPLICAS: e(19, true),
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: e(20, true),
  INVALID_REQUIRED_ACKS: e(21, false),
  ILLEGAL_GENERATION: e(22, false),
  INCONSISTENT_GROUP_PROTOCOL: e(23, false),
  INVALID_GROUP_ID: e(24, false),
  UNKNOWN_MEMBER_ID: e(25, false),
  INVALID_SESSION_TIMEOUT: e(26, false),
  REBALANCE_IN_PROGRESS: e(27, false),
  INVALID_COMMIT_OFFSET_SIZE: e(28, false),
  TOPIC_AUTHORIZATION_FAILED: e(29, false),
  GROUP_AUTHORIZATION_FAILED: e(30, false),
  CLUSTER_AUTHORIZATION_FAILED: e(31, false),
  INVALID_TIMESTAMP: e(32, false),
  UNSUPPORTED_SASL_MECHANISM: e(33, false),
  ILLEGAL_SASL_STATE: e(34, false),
  UNSUPPORTED_VERSION: e(35, false),
  TOPIC_ALREADY_EXISTS: e(36, false),
  INVALID_PARTITIONS: e(37, false),
  INVALID_REPLICATION_FACTOR: e(38, false),
  INVALID_REPLICA_ASSIGNMENT: e(39, false),
  INVALID_CONFIG: e(40, false),
  NOT_CONTROLLER: e(41, true),
  INVALID_REQUEST: e(42, false),
  UNSUPPORTED_FOR_MESSAGE_FORMAT: e(43, false),
  POLICY_VIOLATION: e(44, false),
  OUT_OF_ORDER_SEQUENCE_NUMBER: e(45, false),
  DUPLICATE_SEQUENCE_NUMBER: e(46, false),
  INVALID_PRODUCER_EPOCH: e(47, false),
  INVALID_TXN_STATE: e(48, false),
  INVALID_PRODUCER_ID_MAPPING: e(49, false),
  INVALID_TRANSACTION_TIMEOUT: e(50, false),
  CONCURRENT_TRANSACTIONS: e(51, true),
  TRANSACTION_COORDINATOR_FENCED: e(52, false),
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: e(53, false),
  SECURITY_DISABLED: e(54, false),
  OPERATION_NOT_ATTEMPTED: e(55, false),
  KAFKA_STORAGE_ERROR: e(56, true),
  LOG_DIR_NOT_FOUND: e(57, false),
  SASL_AUTHENTICATION_FAILED: e(58, false),
  UNKNOWN_PRODUCER_ID: e(59, false),
  REASSIGNMENT_IN_PROGRESS: e(60, false),
  DELEGATION_TOKEN_AUTH_DISABLED: e(61, false),
  DELEGATION_TOKEN_NOT_FOUND: e(62, false),
  DELEGATION_TOKEN_OWNER_MISMATCH: e(63, false),
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: e(64, false),
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: e(65, false),
  DELEGATION_TOKEN_EXPIRED: e(66, false),
  INVALID_PRINCIPAL_TYPE: e(67, false),
  NON_EMPTY_GROUP: e(68, false),
  GROUP_ID_NOT_FOUND: e(69, false),
  FETCH_SESSION_ID_NOT_FOUND: e(70, true),
  INVALID_FETCH_SESSION_EPOCH: e(71, true),
  LISTENER_NOT_FOUND: e(72, true),
  TOPIC_DELETION_DISABLED: e(73, false),
  FENCED_LEADER_EPOCH: e(74, true),
  UNKNOWN_LEADER_EPOCH: e(75, true),
  UNSUPPORTED_COMPRESSION_TYPE: e(76, false),
  STALE_BROKER_EPOCH: e(77, false),
  OFFSET_NOT_AVAILABLE: e(78, true),
  MEMBER_ID_REQUIRED: e(79, false),
  PREFERRED_LEADER_NOT_AVAILABLE: e(80, true),
  GROUP_MAX_SIZE_REACHED: e(81, false),
  FENCED_INSTANCE_ID: e(82, false),
  ELIGIBLE_LEADERS_NOT_AVAILABLE: e(83, true),
  ELECTION_NOT_NEEDED: e(84, true),
  NO_REASSIGNMENT_IN_PROGRESS: e(85, false),
  GROUP_SUBSCRIBED_TO_TOPIC: e(86, false),
  INVALID_RECORD: e(87, false),
  UNSTABLE_OFFSET_COMMIT: e(88, true),
  THROTTLING_QUOTA_EXCEEDED: e(89, true),
  PRODUCER_FENCED: e(90, false),
  RESOURCE_NOT_FOUND: e(91, false),
  DUPLICATE_RESOURCE: e(92, false),
  UNACCEPTABLE_CREDENTIAL: e(93, false),
  INCONSISTENT_VOTER_SET: e(94, false),
  INVALID_UPDATE_VERSION: e(95, false),
  FEATURE_UPDATE_FAILED: e(96, false),
  PRINCIPAL_DESERIALIZATION_FAILURE: e(97, false),
  SNAPSHOT_NOT_FOUND: e(98, false),
  POSITION_OUT_OF_RANGE: e(99, false),
  UNKNOWN_TOPIC_ID: e(100, true),
  DUPLICATE_BROKER_REGISTRATION: e(101, false),
  BROKER_ID_NOT_REGISTERED: e(102, false),
  INCONSISTENT_TOPIC_ID: e(103, true),
  INCONSISTENT_CLUSTER_ID: e(104, false),
  TRANSACTIONAL_ID_NOT_FOUND: e(105, false),
  FETCH_SESSION_TOPIC_ID_ERROR: e(106, true),
  INELIGIBLE_REPLICA: e(107, false),
  NEW_LEADER_ELECTED: e(108, false),
  OFFSET_MOVED_TO_TIERED_STORAGE: e(109, false),
  FENCED_MEMBER_EPOCH: e(110, false),
  UNRELEASED_INSTANCE_ID: e(111, false),
  UNSUPPORTED_ASSIGNOR: e(112, false),
  STALE_MEMBER_EPOCH: e(113, false),
});

export type KafkaErrorName = keyof typeof KAFKA_ERRORS;

export interface ApiError {
  readonly code: KafkaErrorName;
  readonly message: string;
}

export function apiError(code: KafkaErrorName, message: string): ApiError {
  return Object.freeze({ code, message });
}

/** The wire code of an error (0 for none). */
export const errorCode = (error: ApiError | undefined): number => (error === undefined ? 0 : KAFKA_ERRORS[error.code].code);

const NAMES_BY_CODE: ReadonlyMap<number, KafkaErrorName> = new Map(
  (Object.keys(KAFKA_ERRORS) as KafkaErrorName[]).map((name) => [KAFKA_ERRORS[name].code, name]),
);

/** The error named by a wire code; codes this table does not know read as UNKNOWN_SERVER_ERROR, as Kafka's Errors.forCode. */
export const errorNameForCode = (code: number): KafkaErrorName => NAMES_BY_CODE.get(code) ?? 'UNKNOWN_SERVER_ERROR';
