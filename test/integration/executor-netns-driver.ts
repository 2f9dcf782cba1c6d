// Runs inside a throwaway network namespace (started by executor-ipaddr2.test.ts through
// `ip netns exec`): executes IPaddr2 operations with the executor and prints, as one JSON line,
// each result with the addresses of the interface after it.

import { execFileSync } from 'node:child_process';
import { Executor, type OperationRequest } from '../../src/executor/index.ts';

const [paramsJson, nic, ...actions] = process.argv.slice(2);
const params = JSON.parse(paramsJson!) as Record<string, string>;
const executor = new Executor({});
await executor.start();
const steps = [];
for (const action of actions) {
  const res = await executor.execute({
    rsc: { id: 'vip', standard: 'ocf', provider: 'heartbeat', type: 'IPaddr2', params, meta: {} },
    action: action as OperationRequest['action'],
    intervalMs: action === 'monitor' ? 10_000 : 0,
    timeoutMs: 20_000,
  });
  const addrs = execFileSync('ip', ['-o', '-4', 'addr', 'show', 'dev', nic!], { encoding: 'utf8' });
  steps.push({ action, rc: res.rc, status: res.status, exitReason: res.exitReason, stderr: res.stderr, addrs });
}
await executor.shutdown();
process.stdout.write(JSON.stringify(steps) + '\n');
