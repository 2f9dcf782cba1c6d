// Shapes at the executor's boundary: what the runtime asks for and what it gets back.
// The executor knows nothing of scheduling; these types carry only what running one agent needs.

/** Resource classes the executor can run. `service` resolves to LSB (systemd is not supported). */
export type ResourceStandard = 'ocf' | 'lsb' | 'process' | 'service' | 'systemd';

export interface ResourceSpec {
  /** Instance id as the agent sees it (OCF_RESOURCE_INSTANCE), e.g. "db" or "db:1". */
  id: string;
  /** Defaults to 'ocf'. */
  standard?: ResourceStandard;
  /** OCF provider (heartbeat, pacemaker, ...); required for ocf. */
  provider?: string;
  type: string;
  params: Record<string, string>;
  /** Meta attributes, passed as OCF_RESKEY_CRM_meta_<name with - turned into _>. */
  meta: Record<string, string>;
}

export type OperationAction =
  | 'start'
  | 'stop'
  | 'monitor'
  | 'promote'
  | 'demote'
  | 'notify'
  | 'migrate_to'
  | 'migrate_from'
  | 'reload'
  | 'meta-data'
  | 'validate-all';

export interface OperationRequest {
  rsc: ResourceSpec;
  action: OperationAction;
  /** 0 for one-shot operations and probes; >0 for recurring monitors. */
  intervalMs: number;
  timeoutMs: number;
  /** Extra environment, e.g. OCF_RESKEY_CRM_meta_notify_* variables for a notify. */
  extraEnv?: Record<string, string>;
}

export type OperationStatus = 'done' | 'timeout' | 'error' | 'not-installed' | 'cancelled';

export interface OperationResult {
  /** OCF exit code (see OcfRc); LSB codes are already mapped. */
  rc: number;
  status: OperationStatus;
  /** Last few KiB of what the agent printed. */
  stdout: string;
  stderr: string;
  /** Text of the last `ocf-exit-reason:` line on stderr, or the executor's own reason. */
  exitReason?: string;
  /** Epoch milliseconds when the agent was started. */
  startedAt: number;
  durationMs: number;
}

/** OCF exit codes (OCF Resource Agent API 1.1, plus Pacemaker's degraded codes). */
export const OcfRc = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
  DEGRADED: 190,
  DEGRADED_PROMOTED: 191,
} as const;
export type OcfRcName = keyof typeof OcfRc;

const rcNames = new Map<number, string>([
  [0, 'ok'],
  [1, 'error'],
  [2, 'invalid parameter'],
  [3, 'unimplemented feature'],
  [4, 'insufficient privileges'],
  [5, 'not installed'],
  [6, 'not configured'],
  [7, 'not running'],
  [8, 'promoted'],
  [9, 'promoted (failed)'],
  [190, 'OCF_DEGRADED'],
  [191, 'OCF_DEGRADED_PROMOTED'],
]);

/** Human name of an OCF exit code, as Pacemaker prints it ("not running", "promoted", ...). */
export function ocfRcName(rc: number): string {
  return rcNames.get(rc) ?? `unknown (${rc})`;
}

/** Name of the constant in OcfRc ("NOT_RUNNING"), or undefined for codes outside the API. */
export function ocfRcConstant(rc: number): OcfRcName | undefined {
  for (const [name, value] of Object.entries(OcfRc)) if (value === rc) return name as OcfRcName;
  return undefined;
}
