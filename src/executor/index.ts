// Public face of the executor: run resource agents (ocf, lsb, process), recurring monitors,
// agent meta-data, and the attribute service behind the agents' crm_attribute & co.

export * from './types.ts';
export { Executor, SystemdUnavailable, type ExecutorOptions, type ProcessExitListener } from './executor.ts';
export type { QueuedTask } from './operation-queue.ts';
export type { RecurringMonitorResult, RecurringListener } from './recurring-monitors.ts';
export type { ProcessExitEvent } from './process-supervisor.ts';
export { parseAgentMetadata, parseDurationMs, MetadataError, type AgentMetadata, type AgentParameter, type AgentAction } from './agent-metadata.ts';
export type { AgentRef } from './agent-catalog.ts';
export {
  InMemoryAttributeBackend,
  NoSuchNodeError,
  type AttributeBackend,
  type ClusterNode,
  type ClusterStatus,
  type NodeStatus,
  type ResourceInstanceStatus,
  type NodeAttributeKind,
  type Partition,
  type PropertySection,
  type SetAttributeOptions,
} from './attribute-backend.ts';
export { AttributeServer, type AttributeRequest, type AttributeReply } from './attribute-server.ts';
export { AGENT_HELPERS_DIR, CRM_FEATURE_SET, DEFAULT_OCF_ROOT } from './ocf-environment.ts';
export { lsbStatusToOcf, lsbActionToOcf } from './lsb-runner.ts';
