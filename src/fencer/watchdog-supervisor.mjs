#!/usr/bin/env node
// The process-level watchdog's supervisor: a separate, tiny process, so that a stalled tandemd event
// loop (the case a watchdog exists for) cannot also stall the reset.
//
// Reads JSON lines on stdin:
//   {"op":"register","pid":123,"group":true}   a resource process (group: kill its process group)
//   {"op":"unregister","pid":123}
//   {"op":"arm","deadline":1700000000000}        epoch ms; reset when it passes without a new arm
//   {"op":"disarm"}
//   {"op":"expire","reason":"..."}               reset now
// A reset SIGKILLs every registered process (group), then the tandemd process named by argv[2]
// (unless argv[2] is 0), prints one JSON line {"event":"reset",...} on stdout and exits 0.
// When stdin closes (tandemd died) while armed, the reset happens at once: nobody is left to
// re-arm, and the resources must be gone before the lease runs out for the others.

const tandemdPid = Number(process.argv[2] ?? 0);
const registered = new Map(); // pid -> group?
let deadline = null;
let timer = null;

function kill(pid, group) {
  try {
    process.kill(group ? -pid : pid, 'SIGKILL');
    return true;
  } catch {
    if (group) {
      try {
        process.kill(pid, 'SIGKILL');
        return true;
      } catch {
        /* gone */
      }
    }
    return false;
  }
}

function reset(reason) {
  const killed = [];
  for (const [pid, group] of registered) if (kill(pid, group)) killed.push(pid);
  if (tandemdPid > 0) kill(tandemdPid, false);
  process.stdout.write(JSON.stringify({ event: 'reset', reason, killed, at: Date.now() }) + '\n', () => process.exit(0));
}

function schedule() {
  if (timer) clearTimeout(timer);
  timer = null;
  if (deadline === null) return;
  const wait = Math.max(0, deadline - Date.now());
  timer = setTimeout(() => reset(`self-fencing deadline ${new Date(deadline).toISOString()} passed without re-arm`), wait);
}

let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    if (!line.trim()) continue;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      process.stderr.write(`watchdog-supervisor: ignoring a line that is not JSON: ${line.slice(0, 200)}\n`);
      continue;
    }
    switch (msg.op) {
      case 'register':
        if (Number.isInteger(msg.pid) && msg.pid > 0) registered.set(msg.pid, !!msg.group);
        break;
      case 'unregister':
        registered.delete(msg.pid);
        break;
      case 'arm':
        deadline = Number(msg.deadline);
        schedule();
        break;
      case 'disarm':
        deadline = null;
        schedule();
        break;
      case 'expire':
        reset(String(msg.reason ?? 'expired'));
        break;
      default:
        process.stderr.write(`watchdog-supervisor: unknown op ${JSON.stringify(msg.op)}\n`);
    }
  }
});
process.stdin.on('end', () => {
  if (deadline !== null) reset('tandemd closed the supervisor channel while armed');
  else process.exit(0);
});
process.stdout.write(JSON.stringify({ event: 'ready', pid: process.pid }) + '\n');
