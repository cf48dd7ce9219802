export { parseRoles, isAll, nodeName, natsOptions, connectSite, ROLES, type NodeRole } from './config.js';
export { inProcessBus, natsBus, CLUSTER_EVENTS, type BusAdapter, type ClusterEvent } from './bus.js';
export { dispatchLegs, takeLegs, SEQ_SPAN, type LegDispatch, type SpeechLeases } from './legs.js';
export { joinSite, type Membership, type NodeView } from './members.js';
export { clusterRoutes, clusterMetrics } from './routes.js';
export { watchIngestLoss, type IngestLoss } from './ingest-loss.js';
