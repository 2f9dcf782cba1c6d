// GET /metrics: Prometheus text from prom-client. Gauges are refreshed from the store at each scrape
// (node and resource states, fail counts, fencing history, last operation times from history);
// counters and the latency histogram count what the event hub delivered since this server started.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { decodeRecord, keys, parseKey, type FencingRecord, type HistoryEntry, type TransitionRecord } from '../cib/store-layout.ts';
import type { ClusterEvent } from './contract.ts';
import { buildApiStatus, type StatusContext } from './status.ts';

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly g: Record<string, Gauge> = {};
  private readonly transitions: Counter;
  private readonly operations: Counter;
  private readonly fencings: Counter;
  private readonly opLatency: Histogram;
  readonly requests: Counter;

  constructor(cluster: string) {
    this.registry.setDefaultLabels({ cluster });
    const gauge = (name: string, help: string, labelNames: string[] = []) => (this.g[name] = new Gauge({ name, help, labelNames, registers: [this.registry] }));
    gauge('tandem_quorate', 'Whether the serving node sees a quorate cluster (1) or not (0)');
    gauge('tandem_nodes_configured', 'Nodes in the configuration');
    gauge('tandem_resources_configured', 'Primitive resource instances in the configuration');
    gauge('tandem_node_online', 'Node is online (1) or not (0)', ['node']);
    gauge('tandem_node_unclean', 'Node is lost and not yet known stopped (1)', ['node']);
    gauge('tandem_node_standby', 'Node is in standby (1)', ['node']);
    gauge('tandem_node_maintenance', 'Node is in maintenance mode (1)', ['node']);
    gauge('tandem_node_is_dc', 'Node is the designated controller (1)', ['node']);
    gauge('tandem_node_resources', 'Resource instances active on the node', ['node']);
    gauge('tandem_resource_active', 'Resource instance active on a node in a role (1)', ['resource', 'node', 'role']);
    gauge('tandem_resource_running_instances', 'Nodes a resource is active on', ['resource']);
    gauge('tandem_resource_failed', 'Resource has failed (1)', ['resource']);
    gauge('tandem_resource_managed', 'Resource is managed (1) or not (0)', ['resource']);
    gauge('tandem_fail_count', 'Fail count of a resource operation on a node', ['resource', 'node', 'operation', 'interval_ms']);
    gauge('tandem_failed_actions', 'Failed resource actions recorded in history');
    gauge('tandem_fencing_operations', 'Fencing operations in the fencing history, by target and result', ['target', 'result']);
    gauge('tandem_fencing_requests_pending', 'Fencing requests not yet carried out');
    gauge('tandem_transition_id', 'Number of the current (latest) transition of the DC');
    gauge('tandem_transition_actions', 'Actions in the current transition');
    gauge('tandem_operation_last_exec_seconds', "Execution time of each history slot's latest operation", ['resource', 'node', 'operation', 'interval_ms']);
    gauge('tandem_pending_actions', 'Actions the scheduler would take now (Transition Summary lines)');
    this.transitions = new Counter({ name: 'tandem_transitions_total', help: 'Transitions seen by this API server, by state', labelNames: ['state'], registers: [this.registry] });
    this.operations = new Counter({ name: 'tandem_operations_total', help: 'Operation results seen by this API server', labelNames: ['operation', 'result'], registers: [this.registry] });
    this.fencings = new Counter({ name: 'tandem_fencing_total', help: 'Fencing results seen by this API server', labelNames: ['result'], registers: [this.registry] });
    this.opLatency = new Histogram({
      name: 'tandem_operation_duration_seconds',
      help: 'Execution time of resource operations seen by this API server',
      labelNames: ['operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
    this.requests = new Counter({ name: 'tandem_api_requests_total', help: 'API requests served', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  }

  /** Count an event from the hub. */
  observe(e: ClusterEvent): void {
    const d = e.data ?? {};
    if (e.type === 'transition') this.transitions.inc({ state: String(d.state ?? 'unknown') });
    else if (e.type === 'operation' || e.type === 'failure') {
      if (e.type === 'operation') {
        this.operations.inc({ operation: String(d.operation ?? 'unknown'), result: d.opStatus === 0 && d.rc === d.targetRc ? 'ok' : 'failed' });
        if (typeof d.execTimeMs === 'number') this.opLatency.observe({ operation: String(d.operation ?? 'unknown') }, d.execTimeMs / 1000);
      }
    } else if (e.type === 'fencing') this.fencings.inc({ result: String(d.result ?? 'unknown') });
  }

  /** Refresh the gauges from the store and render the Prometheus text. */
  async render(ctx: StatusContext): Promise<string> {
    const { json } = await buildApiStatus(ctx);
    for (const g of Object.values(this.g)) g.reset();
    const g = this.g;
    g.tandem_quorate!.set(json.quorate ? 1 : 0);
    g.tandem_nodes_configured!.set(json.nodes.length);
    g.tandem_resources_configured!.set(json.resources.length);
    for (const n of json.nodes) {
      g.tandem_node_online!.set({ node: n.name }, n.online ? 1 : 0);
      g.tandem_node_unclean!.set({ node: n.name }, n.state === 'unclean' ? 1 : 0);
      g.tandem_node_standby!.set({ node: n.name }, n.standby ? 1 : 0);
      g.tandem_node_maintenance!.set({ node: n.name }, n.maintenance ? 1 : 0);
      g.tandem_node_is_dc!.set({ node: n.name }, n.dc ? 1 : 0);
      g.tandem_node_resources!.set({ node: n.name }, n.resources);
    }
    for (const r of json.resources) {
      for (const n of r.nodes) g.tandem_resource_active!.set({ resource: r.id, node: n, role: r.role }, 1);
      g.tandem_resource_running_instances!.set({ resource: r.id }, r.nodes.length);
      g.tandem_resource_failed!.set({ resource: r.id }, r.failed ? 1 : 0);
      g.tandem_resource_managed!.set({ resource: r.id }, r.managed ? 1 : 0);
    }
    for (const f of json.failCounts) {
      const n = Number(f.count);
      g.tandem_fail_count!.set({ resource: f.resource, node: f.node, operation: f.operation, interval_ms: String(f.intervalMs) }, Number.isFinite(n) ? n : 1_000_000);
    }
    g.tandem_failed_actions!.set(json.failedActions.length);
    g.tandem_pending_actions!.set(json.pending.length);
    g.tandem_fencing_requests_pending!.set(json.fencing.pendingRequests.length);
    const store = ctx.cib.store;
    const c = ctx.cluster;
    const fencing = await store.list(keys.fencingPrefix(c));
    const byTarget = new Map<string, number>();
    for (const kv of fencing.kvs) {
      const f = decodeRecord<FencingRecord>(kv.key, kv.value);
      const k = `${f.target}\u0000${f.result}`;
      byTarget.set(k, (byTarget.get(k) ?? 0) + 1);
    }
    for (const [k, v] of byTarget) {
      const [target, result] = k.split('\u0000') as [string, string];
      g.tandem_fencing_operations!.set({ target, result }, v);
    }
    const tr = (await store.get(keys.transition(c))).kv;
    if (tr) {
      const t = decodeRecord<TransitionRecord>(tr.key, tr.value);
      g.tandem_transition_id!.set(t.id);
      g.tandem_transition_actions!.set(t.actions.length);
    }
    const hist = await store.list(keys.historyPrefix(c));
    for (const kv of hist.kvs) {
      const [node, rsc, opId] = parseKey(keys.historyPrefix(c), kv.key);
      if (!node || !rsc || !opId || opId.endsWith('_last_failure_0')) continue;
      const h = decodeRecord<HistoryEntry>(kv.key, kv.value);
      if (h.execTime === undefined) continue;
      g.tandem_operation_last_exec_seconds!.set({ resource: rsc, node, operation: h.operation, interval_ms: String(h.intervalMs) }, h.execTime / 1000);
    }
    return this.registry.metrics();
  }
}
