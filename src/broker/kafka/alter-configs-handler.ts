// IncrementalAlterConfigs: SET and DELETE go to the active controller's AlterConfigs as they are;
// the controller validates keys and values (INVALID_CONFIG), topics (UNKNOWN_TOPIC_OR_PARTITION) and
// broker resources, and applies each resource's ops all or nothing. The broker refuses itself what
// the controller service cannot express: resource types other than topic and broker, an unknown
// operation, a null value to set, a resource named twice in one request.
//
// APPEND and SUBTRACT apply only to list configs (cleanup.policy and its broker default). The
// broker turns them into a SET of the new list, computed from the resource's value in this node's
// image (its own value, else the default it inherits), as Kafka's ConfigAdminManager does. Unlike
// Kafka's KRaft controller, which computes it under its own lock, this may lose a concurrent change
// of the same key made through another broker in the moment between.
import { BROKER_CONFIGS, CLUSTER_DEFAULT_RESOURCE, TOPIC_CONFIGS, topicConfigValue } from '../../metadata/configs.js';
import type { controllerpb } from '../../metadata/controller-service.js';
import { configValue, type MetadataImage } from '../../metadata/image.js';
import type { ConfigResourceType } from '../../metadata/records.js';
import { RESOURCE_TYPE } from '../../protocol/apis/describe-configs.js';
import {
  CONFIG_OPERATION,
  type AlterableConfig,
  type AlterConfigsResource,
  type AlterConfigsResourceResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../../protocol/apis/incremental-alter-configs.js';
import { ALTER_CONFIGS_TIMEOUT_MS, awaitLocalImage, Deadline, forwardItems, fromControllerError, NO_ERROR, wireError, type WireError } from './admin-handlers.js';
import type { RequestContext } from './context.js';

/** One resource's ops as the controller service takes them, or the broker's answer for it. */
type Prepared = { readonly ops: readonly controllerpb.IAlterConfigOp[] } | { readonly answer: WireError };

export async function handleIncrementalAlterConfigs(request: IncrementalAlterConfigsRequest, context: RequestContext): Promise<IncrementalAlterConfigsResponse> {
  const deadline = new Deadline(ALTER_CONFIGS_TIMEOUT_MS);
  const prepared = request.resources.map((res, i) => (isDuplicate(request.resources, i) ? refuse('INVALID_REQUEST', `${describe(res)} is named more than once`) : prepare(res, context.image)));
  const local = prepared.map((p) => ('answer' in p ? p.answer : undefined));
  const ops = () => ({ ops: prepared.flatMap((p) => ('ops' in p ? p.ops : [])), validateOnly: request.validateOnly });
  const outcomes = await forwardItems(context.admin, 'alterConfigs', local, ops, (r) => r.resources, deadline);
  const errors = outcomes.map((o) => ('error' in o ? o.error : fromControllerError(o.answer.error)));
  const applied = request.validateOnly ? [] : prepared.flatMap((p, i) => ('ops' in p && errors[i]!.code === 0 ? p.ops : []));
  if (applied.length > 0) await awaitLocalImage(context.admin, (image) => applied.every((op) => showsOp(image, op)), deadline);
  return { throttleTimeMs: 0, responses: request.resources.map((res, i): AlterConfigsResourceResponse => ({ errorCode: errors[i]!.code, errorMessage: errors[i]!.message, resourceType: res.resourceType, resourceName: res.resourceName })) };
}

const refuse = (name: Parameters<typeof wireError>[0], message: string): Prepared => ({ answer: wireError(name, message) });

const describe = (res: AlterConfigsResource) => `${res.resourceType === RESOURCE_TYPE.TOPIC ? 'topic' : res.resourceType === RESOURCE_TYPE.BROKER ? 'broker' : `resource type ${res.resourceType}`} ${JSON.stringify(res.resourceName)}`;

function isDuplicate(resources: readonly AlterConfigsResource[], i: number): boolean {
  const res = resources[i]!;
  return resources.some((other, j) => j !== i && other.resourceType === res.resourceType && other.resourceName === res.resourceName);
}

function resourceTypeOf(res: AlterConfigsResource): ConfigResourceType | undefined {
  return res.resourceType === RESOURCE_TYPE.TOPIC ? 'topic' : res.resourceType === RESOURCE_TYPE.BROKER ? 'broker' : undefined;
}

function prepare(res: AlterConfigsResource, image: MetadataImage): Prepared {
  const type = resourceTypeOf(res);
  if (type === undefined) return refuse('INVALID_REQUEST', `${describe(res)}: only topics (2) and brokers (4) have configs here`);
  // Nothing to change: the controller would see no op for it, so the broker answers.
  if (res.configs.length === 0) {
    return type === 'topic' && !image.topicsByName.has(res.resourceName) ? refuse('UNKNOWN_TOPIC_OR_PARTITION', `topic ${res.resourceName} does not exist`) : { answer: NO_ERROR };
  }
  const ops: controllerpb.IAlterConfigOp[] = [];
  for (const config of res.configs) {
    const op = toControllerOp(type, res.resourceName, config, image);
    if ('answer' in op) return op;
    ops.push(op.op);
  }
  return { ops };
}

function toControllerOp(type: ConfigResourceType, name: string, config: AlterableConfig, image: MetadataImage): { readonly op: controllerpb.IAlterConfigOp } | { readonly answer: WireError } {
  const base = { resourceType: type, resourceName: name, key: config.name };
  switch (config.configOperation) {
    case CONFIG_OPERATION.DELETE:
      return { op: { ...base, op: 'delete', value: '' } };
    case CONFIG_OPERATION.SET:
    case CONFIG_OPERATION.APPEND:
    case CONFIG_OPERATION.SUBTRACT: {
      // Kafka's own message for a null value.
      if (config.value === null) return { answer: wireError('INVALID_REQUEST', `Null value not supported for : ${config.name}`) };
      if (config.configOperation === CONFIG_OPERATION.SET) return { op: { ...base, op: 'set', value: config.value } };
      const list = listOperation(type, name, config.name, config.configOperation, config.value, image);
      return typeof list === 'string' ? { op: { ...base, op: 'set', value: list } } : { answer: list };
    }
    default:
      return { answer: wireError('INVALID_REQUEST', `unknown config operation ${config.configOperation} on ${config.name}`) };
  }
}

/** The new value of list config `key` after APPEND or SUBTRACT of the comma-separated `value`, or why it cannot be. */
function listOperation(type: ConfigResourceType, resource: string, key: string, operation: number, value: string, image: MetadataImage): string | WireError {
  const topicKey = type === 'topic' ? key : BROKER_CONFIGS.get(key);
  const def = topicKey === undefined ? undefined : TOPIC_CONFIGS.get(topicKey);
  if (def === undefined) return wireError('INVALID_CONFIG', `unknown ${type} config ${JSON.stringify(key)}`);
  // Kafka's own message, for SUBTRACT too.
  if (def.type !== 'list') return wireError('INVALID_CONFIG', `Config value append is not allowed for config key: ${key}`);
  const current = splitList(currentValue(type, resource, key, image) ?? def.defaultValue);
  const items = splitList(value);
  const next = operation === CONFIG_OPERATION.APPEND ? [...current, ...items.filter((x) => !current.includes(x))] : current.filter((x) => !items.includes(x));
  return next.join(',');
}

/** The value a resource has or inherits (undefined: the built-in default). */
function currentValue(type: ConfigResourceType, resource: string, key: string, image: MetadataImage): string | undefined {
  if (type === 'topic') return image.topicsByName.has(resource) ? topicConfigValue(image, resource, key) : undefined;
  const own = configValue(image, 'broker', resource, key);
  return own ?? (resource === CLUSTER_DEFAULT_RESOURCE ? undefined : configValue(image, 'broker', CLUSTER_DEFAULT_RESOURCE, key));
}

const splitList = (text: string): string[] => text.split(',').map((s) => s.trim()).filter((s) => s !== '');

function showsOp(image: MetadataImage, op: controllerpb.IAlterConfigOp): boolean {
  const now = configValue(image, op.resourceType === 'broker' ? 'broker' : 'topic', op.resourceName ?? '', op.key ?? '');
  return op.op === 'delete' ? now === undefined : now === op.value;
}
