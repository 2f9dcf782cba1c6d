// ISO 8601 date-times as the CIB writes them ("2019-09-23 12:00:00 -05:00", "2005-001",
// "2005-W23-3T12:00:00Z", "2020-01-01"), as seconds since the epoch. Without a zone, UTC.

export function parseIsoDateTime(text: string): number {
  const t = text.trim();
  const m = /^(\d{4})(?:-?(\d{2})-?(\d{2})|-?W(\d{2})-?(\d)|-?(\d{3}))?(?:[T ](\d{1,2})(?::?(\d{2})(?::?(\d{2})(?:\.\d+)?)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(t);
  if (!m) throw new Error(`not an ISO 8601 date: '${text}'`);
  const year = Number(m[1]);
  let dayMs: number;
  if (m[2] !== undefined) {
    dayMs = Date.UTC(year, Number(m[2]) - 1, Number(m[3]));
  } else if (m[4] !== undefined) {
    dayMs = isoWeekStartMs(year, Number(m[4])) + (Number(m[5]) - 1) * 86_400_000;
  } else if (m[6] !== undefined) {
    dayMs = Date.UTC(year, 0, 1) + (Number(m[6]) - 1) * 86_400_000;
  } else {
    dayMs = Date.UTC(year, 0, 1);
  }
  const secs = Number(m[7] ?? 0) * 3600 + Number(m[8] ?? 0) * 60 + Number(m[9] ?? 0);
  let offset = 0;
  const tz = m[10];
  if (tz && tz !== 'Z') {
    const tm = /^([+-])(\d{2}):?(\d{2})?$/.exec(tz)!;
    offset = (tm[1] === '-' ? -1 : 1) * (Number(tm[2]) * 3600 + Number(tm[3] ?? 0) * 60);
  }
  return Math.floor(dayMs / 1000) + secs - offset;
}

/** Monday of ISO week 1 of a year, in ms. */
function isoWeekStartMs(year: number, week: number): number {
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const dow = jan4.getUTCDay() || 7;
  return Date.UTC(year, 0, 4) - (dow - 1) * 86_400_000 + (week - 1) * 7 * 86_400_000;
}

/** Calendar fields of a moment (UTC), as date_spec compares them. */
export interface CalendarFields {
  years: number;
  months: number;
  monthdays: number;
  hours: number;
  minutes: number;
  seconds: number;
  yeardays: number;
  weekdays: number;
  weekyears: number;
  weeks: number;
}

export function calendarFields(epochSeconds: number): CalendarFields {
  const d = new Date(epochSeconds * 1000);
  const year = d.getUTCFullYear();
  const yearday = Math.floor((Date.UTC(year, d.getUTCMonth(), d.getUTCDate()) - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  const weekday = d.getUTCDay() || 7;
  // ISO week: the week with the year's first Thursday is week 1.
  const thursday = new Date(Date.UTC(year, d.getUTCMonth(), d.getUTCDate() + 4 - weekday));
  const weekyear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(weekyear, 0, 1)) / 86_400_000 / 7) + 1;
  return {
    years: year,
    months: d.getUTCMonth() + 1,
    monthdays: d.getUTCDate(),
    hours: d.getUTCHours(),
    minutes: d.getUTCMinutes(),
    seconds: d.getUTCSeconds(),
    yeardays: yearday,
    weekdays: weekday,
    weekyears: weekyear,
    weeks: week,
  };
}

/** Adds an ISO-like duration (years, months, weeks, days, hours, minutes, seconds) to a moment. */
export function addDuration(epochSeconds: number, duration: Record<string, string>): number {
  const d = new Date(epochSeconds * 1000);
  const n = (k: string) => Number(duration[k] ?? 0) || 0;
  d.setUTCFullYear(d.getUTCFullYear() + n('years'));
  d.setUTCMonth(d.getUTCMonth() + n('months'));
  d.setUTCDate(d.getUTCDate() + n('weeks') * 7 + n('days'));
  return Math.floor(d.getTime() / 1000) + n('hours') * 3600 + n('minutes') * 60 + n('seconds');
}
