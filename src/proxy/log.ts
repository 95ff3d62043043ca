/** Where the proxy reports what happens to it. Never stdout (that is the JSON-RPC channel); never secrets. */
export type ProxyLog = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

export const silentLog: ProxyLog = () => {};

const ORDER = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** A log writing one line per event to a stream (stderr, a file), from `minLevel` up. */
export function streamLog(write: (line: string) => void, minLevel: keyof typeof ORDER = 'info'): ProxyLog {
  const min = ORDER[minLevel];
  return (level, message) => {
    if (ORDER[level] >= min) write(`intentguard proxy: ${level}: ${message}\n`);
  };
}
