import { useEffect, useState } from 'react';

/** The current time, re-rendering every `everyMs` while `active` (countdowns, "running for"). */
export function useNow(everyMs = 1000, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(t);
  }, [everyMs, active]);
  return now;
}
