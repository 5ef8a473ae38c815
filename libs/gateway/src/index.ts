/**
 * What every protocol gateway (the web service, the XMPP edge) does the same way: its sessions are
 * endpoints, registered and ended like SIP clients', speaking to the services through synthesized
 * SIP requests, and receiving their notifications as edge commands ([DESIGN] one presence core,
 * many protocol edges). Each gateway keeps only its protocol and the mapping.
 */
export { endpointOwners, GatewayRegistrar, type EndpointOwner, type GatewayBinding } from './registrar.js';
export { serveGatewayEdge, type GatewayConnections, type GatewayEdgeOptions } from './gateway-edge.js';
export { GatewayRequests, ROAMING_CONTACTS, type GatewayRequestsOptions, type Sender, type SubscriptionDialog } from './requests.js';
export { CategoryWatch } from './category-watch.js';
export { readNotification, type GatewayNotification } from './notifications.js';
