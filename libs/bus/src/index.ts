export type {
  Bus,
  BusSubscription,
  CommandContext,
  CommandHandler,
  EventDelivery,
  EventHandler,
  HandleOptions,
  PublishOptions,
  RequestOptions,
} from './bus.js';
export {
  allEvents,
  defineCommand,
  defineEdgeCommand,
  defineEvent,
  endpointGone,
  pingCommands,
  SERVICE_NAMES,
  type CommandDef,
  type EndpointGone,
  type EndpointGoneReason,
  type EventDef,
  type PingReply,
  type ServiceName,
} from './contract.js';
export {
  BUS_ERR,
  BusClosedError,
  BusDecodeError,
  BusTimeoutError,
  InvalidSubjectTokenError,
  NoRespondersError,
  RemoteHandlerError,
  UndeclaredConsumerError,
} from './errors.js';
export { MemoryBus, MemoryNetwork, type EventDeliveryOptions, type MemoryBusOptions } from './memory-bus.js';
export { NatsBus, type NatsBusOptions } from './nats-bus.js';
export { commandSubject, durableName, edgeSubject, eventStreamName, eventSubject, token } from './subjects.js';
