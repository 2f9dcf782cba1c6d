import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { startAgents } from '../support/cluster.ts';
import { AGENT_HELPERS_DIR } from '../../src/executor/index.ts';

test('crm_attribute and attrd_updater run by agents write transient and permanent attributes into the store', async () => {
  const c = await startAgents(['n1']);
  try {
    const agent = c.nodes[0]!.it;
    const env = { ...process.env, TANDEM_ATTRD_SOCKET: agent.executor.attrdSocketPath!, PATH: `${AGENT_HELPERS_DIR}:${process.env.PATH}` };
    // Async: the attribute server answering the helpers lives in this process.
    const run = (cmd: string, ...args: string[]) =>
      new Promise<{ status: number; stdout: string }>((res) =>
        execFile(`${AGENT_HELPERS_DIR}/${cmd}`, args, { env, encoding: 'utf8' }, (err, stdout) => res({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout })),
      );
    assert.equal((await run('crm_attribute', '-N', 'n1', '-n', 'master-db', '-l', 'reboot', '-v', '10')).status, 0);
    assert.equal(await agent.cib.getNodeAttribute('n1', 'master-db'), '10');
    assert.equal((await run('attrd_updater', '-n', 'pingd', '-U', '5')).status, 0);
    assert.equal(await agent.cib.getNodeAttribute('n1', 'pingd'), '5');
    assert.equal((await run('crm_attribute', '-N', 'n1', '-n', 'standby', '-l', 'forever', '-v', 'on')).status, 0);
    assert.equal(await agent.cib.getNodeAttribute('n1', 'standby', 'permanent'), 'on');
    const q = (await run('crm_attribute', '-N', 'n1', '-n', 'master-db', '-l', 'reboot', '-G', '-q'));
    assert.equal(q.stdout.trim(), '10');
    const missing = (await run('crm_attribute', '-N', 'nope', '-n', 'x', '-l', 'reboot', '-G'));
    assert.equal(missing.status, 105);
  } finally {
    await c.stop();
  }
});
