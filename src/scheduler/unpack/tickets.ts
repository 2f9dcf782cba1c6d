// Tickets (geo-cluster grants) from the status section; a ticket never seen is not granted.
import { isTrue } from '../../cib/parse.ts';
import type { Ticket, WorkingSet } from '../types.ts';

export function unpackTickets(ws: WorkingSet): void {
  for (const t of ws.cib.status.tickets) {
    const ticket: Ticket = { id: t.id, granted: isTrue(t.attrs.granted), standby: isTrue(t.attrs.standby) };
    const lg = t.attrs['last-granted'];
    if (lg !== undefined) ticket.lastGranted = Number(lg);
    ws.tickets.set(t.id, ticket);
  }
}

export function ticketFor(ws: WorkingSet, id: string): Ticket {
  let t = ws.tickets.get(id);
  if (!t) {
    t = { id, granted: false, standby: false };
    ws.tickets.set(id, t);
  }
  return t;
}
