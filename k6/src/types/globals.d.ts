// k6 provides `console` in every context; @types/k6 does not declare it (and lib "dom" would pull in far more).

declare const console: {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
};
