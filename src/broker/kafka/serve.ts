// A broker's Kafka listeners: one KafkaListener per listener that is neither CONTROLLER nor
// INTERNAL, bound before the broker registers so that what it registers is a port that answers.
import { CONTROLLER_LISTENER, INTERNAL_LISTENER, type Listener, type ServerConfig } from '../../server/config.js';
import type { Logger } from '../../util/log.js';
import type { BrokerView } from './context.js';
import { KafkaListener } from './listener.js';

export const isKafkaListener = (l: Listener): boolean => l.name !== CONTROLLER_LISTENER && l.name !== INTERNAL_LISTENER;

/** Binds every Kafka listener of `config`; if one fails to bind, closes those already bound and throws. */
export async function startKafkaListeners(config: ServerConfig, broker: BrokerView, log: Logger): Promise<KafkaListener[]> {
  const started: KafkaListener[] = [];
  try {
    for (const listener of config.listeners.filter(isKafkaListener)) started.push(await KafkaListener.start({ listener, broker, log }));
  } catch (error) {
    await Promise.all(started.map((l) => l.close()));
    throw error;
  }
  return started;
}

/**
 * The advertised listeners with port 0 replaced by the bound port of the listener of the same
 * name: `PLAINTEXT://127.0.0.1:0` picks a free port, and clients must learn that one.
 */
export function withBoundPorts(advertised: readonly Listener[], bound: readonly KafkaListener[]): Listener[] {
  return advertised.map((l) => {
    const served = bound.find((b) => b.name === l.name);
    return l.port === 0 && served !== undefined ? { ...l, port: served.port } : l;
  });
}
