// A running API server over a fresh embedded store with a CibStore seeded from a small CIB.
import { CibStore } from '../../src/cib/cib-store.ts';
import { ApiClient } from '../../src/api/client.ts';
import { startApiServer, type ApiServer, type ApiServerDeps } from '../../src/api/server.ts';
import { openEmbeddedStore } from '../../src/store/embedded.ts';
import type { Store } from '../../src/store/types.ts';

export const SECRET = 'hunter2-Sup3rSecret';
export const CLUSTER = 'apitest';
export const ADMIN = { user: 'root', password: 'admin-password-1' };

/** Two nodes, a Dummy with a secret parameter marked by the operator, a stonith device with passwd. */
export function seedCib(extra = ''): string {
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="3" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="opts">
      <nvpair id="opt-stonith" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
    <resources>
      <primitive id="db" class="ocf" provider="heartbeat" type="Dummy">
        <instance_attributes id="db-ia">
          <nvpair id="db-state" name="state" value="/tmp/db.state"/>
          <nvpair id="db-conn" name="connstr" value="${SECRET}"/>
        </instance_attributes>
        <meta_attributes id="db-meta"><nvpair id="db-secret" name="secret-params" value="connstr"/></meta_attributes>
        <operations><op id="db-mon" name="monitor" interval="10s" timeout="20s"/></operations>
      </primitive>
      <primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>
    </resources>
    <constraints/>${extra}
  </configuration>
  <status/>
</cib>`;
}

export interface Harness {
  store: Store;
  cib: CibStore;
  server: ApiServer;
  admin: ApiClient;
  anon: ApiClient;
  /** A client with a fresh read-only user's token. */
  readOnly(): Promise<ApiClient>;
  close(): Promise<void>;
}

export async function startHarness(opts: Partial<ApiServerDeps> & { cibXml?: string } = {}): Promise<Harness> {
  const store = openEmbeddedStore();
  const cib = new CibStore(store, CLUSTER);
  await cib.importCib(opts.cibXml ?? seedCib(), { expectedRevision: 0, by: 'test seed' });
  const { cibXml: _x, ...deps } = opts;
  const server = await startApiServer({ store, cluster: CLUSTER, node: 'n1', cib, admin: ADMIN, alerts: false, ...deps });
  const base = { url: server.url, ...(deps.tls ? { ca: deps.tls.cert } : {}) };
  const admin = new ApiClient({ ...base, token: server.adminToken! });
  const anon = new ApiClient(base);
  let n = 0;
  return {
    store,
    cib,
    server,
    admin,
    anon,
    async readOnly() {
      const user = `viewer${++n}`;
      await admin.createUser({ user, password: 'viewer-password', role: 'read-only' });
      const t = await anon.createToken({ user, password: 'viewer-password' });
      return anon.withToken(t.token);
    },
    async close() {
      await server.close();
      await store.close();
    },
  };
}

/** Expect `p` to reject with an ApiError of `status`; returns it. */
export async function rejects(p: Promise<unknown>, status: number): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { status?: number; code: string; message: string };
    if (e.status !== status) throw new Error(`expected HTTP ${status}, got ${e.status}: ${e.message}`);
    return e as { status: number; code: string; message: string };
  }
  throw new Error(`expected HTTP ${status}, but the call succeeded`);
}
