/** Durations the way an operator reads them: "850 ms", "12.3 s", "4 m 05 s", "2 h 03 m", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.floor(s)} s`;
  const total = Math.floor(s);
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${pad2(m)} m`;
  return `${m} m ${pad2(sec)} s`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration as an operator types it: "30s", "5m", "1.5h", "250ms", "2d" (a bare number is
 * milliseconds, which is what --delay took before it took units). Null when it is none of these.
 */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? 'ms').toLowerCase()];
  return Number.isFinite(ms) ? Math.round(ms) : null;
}
