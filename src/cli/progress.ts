// Progress for long commands (import's transcode and upload): a bar redrawn in place on a terminal,
// plain periodic lines otherwise (logs, CI). Writes to stderr; results stay on stdout.

export interface ProgressSink {
  /** Whether stderr is a terminal (redraw in place). */
  isTTY: boolean;
  /** Raw text, no newline added. */
  write: (text: string) => void;
  now: () => number;
}

export interface Progress {
  /** `done` of `total` units (bytes or seconds); `extra` is shown after the numbers. */
  update(done: number, total: number, extra?: string): void;
  finish(summary: string): void;
}

const PLAIN_EVERY_MS = 5000;

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** A progress display for one phase (`label`: transcode, upload); `unit` formats the numbers. */
export function createProgress(sink: ProgressSink, label: string, unit: 'bytes' | 'seconds'): Progress {
  const start = sink.now();
  // The first plain line after PLAIN_EVERY_MS: a rate measured at the start says nothing.
  let lastPlain = start;
  const fmt = (n: number): string => (unit === 'bytes' ? formatBytes(n) : formatSeconds(n));
  const line = (done: number, total: number, extra: string | undefined): { text: string; pct: number } => {
    const elapsed = (sink.now() - start) / 1000;
    const pct = total > 0 ? Math.min(1, done / total) : 0;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? (total - done) / rate : NaN;
    const rateText = unit === 'bytes' ? `${formatBytes(rate)}/s` : `${rate.toFixed(1)}x`;
    return { text: `${label} ${(pct * 100).toFixed(0).padStart(3)}% ${fmt(done)}/${fmt(total)}${extra ? ` ${extra}` : ''} ${rateText} ETA ${formatSeconds(eta)}`, pct };
  };
  return {
    update(done, total, extra) {
      const { text, pct } = line(done, total, extra);
      if (sink.isTTY) {
        const width = 24;
        const filled = Math.round(pct * width);
        sink.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\x1b[K`);
        return;
      }
      const t = sink.now();
      if (t - lastPlain >= PLAIN_EVERY_MS) {
        lastPlain = t;
        sink.write(`${text}\n`);
      }
    },
    finish(summary) {
      sink.write(`${sink.isTTY ? '\r\x1b[K' : ''}${label}: ${summary} in ${formatSeconds((sink.now() - start) / 1000)}\n`);
    },
  };
}
