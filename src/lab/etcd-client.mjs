#!/usr/bin/env node
// Client-namespace etcd tool for the lab (plain JS: starts fast, runs under `ip netns exec`), over
// etcd's v3 JSON gateway. Every request has a short deadline; every loop is bounded in time.
//
//   etcd-client.mjs health --endpoints URL,... [--timeout-ms 20000]
//       waits until every member answers /health true; prints {"ok":true,"ms":N} (exit 1 on timeout)
//   etcd-client.mjs status --endpoints URL,...
//       prints [{"endpoint","memberId","leader","term"} | {"endpoint","error"}]
//   etcd-client.mjs writer --endpoints URL,... [--interval-ms 10] [--duration-ms 5000] [--deadline-ms 100]
//       puts a key every interval, rotating to the next member on a failure or deadline; prints
//       {"ready":true} after the first acknowledged write, and one JSON object
//       {"records":[[startMs,endMs,ok,endpointIndex],...]} at the end.
//       Stops early (and still prints) on SIGTERM or when stdin closes.

const [cmd, ...rest] = process.argv.slice(2);
const args = {};
for (let i = 0; i < rest.length; i += 2) args[rest[i].replace(/^--/, '')] = rest[i + 1];
const endpoints = (args.endpoints ?? '').split(',').filter(Boolean);
const now = () => performance.timeOrigin + performance.now();
const b64 = (s) => Buffer.from(s).toString('base64');

async function post(url, body, ms) {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(ms) });
  const json = await res.json();
  if (!res.ok) throw new Error(json.error ?? `HTTP ${res.status}`);
  return json;
}

async function health(ep, ms) {
  try {
    const res = await fetch(`${ep}/health`, { signal: AbortSignal.timeout(ms) });
    const j = await res.json();
    return j.health === 'true' || j.health === true;
  } catch {
    return false;
  }
}

if (cmd === 'health') {
  const t0 = now();
  const timeout = Number(args['timeout-ms'] ?? 20000);
  for (;;) {
    const all = await Promise.all(endpoints.map((e) => health(e, 500)));
    if (all.every(Boolean)) {
      console.log(JSON.stringify({ ok: true, ms: Math.round(now() - t0) }));
      process.exit(0);
    }
    if (now() - t0 > timeout) {
      console.log(JSON.stringify({ ok: false, ms: Math.round(now() - t0), health: all }));
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
} else if (cmd === 'status') {
  const out = await Promise.all(
    endpoints.map(async (endpoint) => {
      try {
        const j = await post(`${endpoint}/v3/maintenance/status`, {}, Number(args['deadline-ms'] ?? 300));
        return { endpoint, memberId: j.header.member_id, leader: j.leader, term: j.raftTerm ?? j.header.raft_term };
      } catch (e) {
        return { endpoint, error: String(e.message ?? e) };
      }
    }),
  );
  console.log(JSON.stringify(out));
} else if (cmd === 'writer') {
  const interval = Number(args['interval-ms'] ?? 10);
  const duration = Math.min(Number(args['duration-ms'] ?? 5000), 120_000);
  const deadline = Number(args['deadline-ms'] ?? 100);
  const records = [];
  let stop = false;
  process.on('SIGTERM', () => (stop = true));
  process.stdin.on('end', () => (stop = true));
  process.stdin.on('error', () => (stop = true));
  process.stdin.resume();
  const t0 = now();
  let cur = 0;
  let i = 0;
  let announced = false;
  while (!stop && now() - t0 < duration && records.length < 100_000) {
    const start = now();
    let ok = false;
    try {
      await post(`${endpoints[cur]}/v3/kv/put`, { key: b64('tandem-lab/writer'), value: b64(String(i++)) }, deadline);
      ok = true;
    } catch {
      ok = false;
    }
    const end = now();
    records.push([Math.round(start * 10) / 10, Math.round(end * 10) / 10, ok ? 1 : 0, cur]);
    if (ok && !announced) {
      announced = true;
      process.stdout.write(JSON.stringify({ ready: true }) + '\n');
    }
    if (!ok) cur = (cur + 1) % endpoints.length;
    const wait = interval - (now() - start);
    if (ok && wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  process.stdout.write(JSON.stringify({ records }) + '\n');
  process.exit(0);
} else {
  console.error('usage: etcd-client.mjs health|status|writer --endpoints URL,...');
  process.exit(2);
}
