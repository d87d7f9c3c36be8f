// Time arguments of the CLI: epoch seconds, ISO-8601, or a duration from now (`+90s`, `+15m`, `+2h`, `+7d`).

const DURATION = /^(\d{1,9})([smhd]?)$/; // 1: amount, 2: unit (seconds when absent)
const UNIT_SECONDS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** A duration like `90`, `90s`, `15m`, `2h`, `7d` in seconds, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * (UNIT_SECONDS[m[2] ?? ''] ?? 1) : undefined;
}

/** Parses a CLI time into epoch seconds; `nowSeconds` anchors `+duration`. Throws with a clear message. */
export function parseTime(text: string, nowSeconds: number, flag: string): number {
  const t = text.trim();
  const duration = t.startsWith('+') ? parseDuration(t.slice(1)) : undefined;
  if (duration !== undefined) return nowSeconds + duration;
  if (/^\d{1,12}$/.test(t)) return Number(t);
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  throw new Error(`${flag}: "${text}" is not a time (use epoch seconds, ISO-8601 like 2026-12-31T23:59:59Z, or +30m / +2h / +7d)`);
}
