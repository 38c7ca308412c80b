export interface LocalTime {
  date: string;
  /** 1 = Monday ... 7 = Sunday. */
  isoWeekday: number;
  hour: number;
  /** ISO week, e.g. "2026-W49": a digest is sent once per week. */
  week: string;
}

export function localTime(timezone: string, instant: Date): LocalTime {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    hourCycle: "h23",
  }).formatToParts(instant);
  const part = (type: string) => parts.find((candidate) => candidate.type === type)?.value ?? "";
  const date = `${part("year")}-${part("month")}-${part("day")}`;
  const day = new Date(`${date}T00:00:00Z`);
  const isoWeekday = day.getUTCDay() === 0 ? 7 : day.getUTCDay();
  // The ISO week's year is the year of its Thursday.
  const thursday = new Date(day.getTime() + (4 - isoWeekday) * 86_400_000);
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.floor((thursday.getTime() - yearStart) / 86_400_000 / 7) + 1;
  return { date, isoWeekday, hour: Number(part("hour")), week: `${thursday.getUTCFullYear()}-W${String(week).padStart(2, "0")}` };
}
