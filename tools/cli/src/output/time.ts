/** A short "how long ago" for tables: `42s`, `5m12s`, `3h04m`, `2d05h`; `-` for none. */
export function formatAge(since: Date | undefined, now: Date): string {
  if (!since) return '-';
  const seconds = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, '0')}h`;
}

/** A time as tables show it: ISO 8601 UTC to the second (`2026-11-30T20:01:02Z`), `-` for none. */
export function formatTime(time: Date | undefined): string {
  return time ? time.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}
