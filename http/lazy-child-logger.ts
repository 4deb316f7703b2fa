// Fastify gives every request a child of the app's logger, bound to the request id. With pino
// that is about 1 µs of CPU per request (it serialises the bindings and re-binds the level
// methods), and a webhook request almost never logs: request logging is off (base-app.ts). So the
// child is made when the request first writes a line, with the same bindings and options.
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type Log = (...args: unknown[]) => void;

class LazyChildLogger {
  #logger: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  /** The real child, made on first use. */
  get logger(): FastifyBaseLogger {
    return (this.#logger ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.#logger?.level ?? this.options?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  fatal(...args: unknown[]): void {
    (this.logger.fatal as Log)(...args);
  }
  error(...args: unknown[]): void {
    (this.logger.error as Log)(...args);
  }
  warn(...args: unknown[]): void {
    (this.logger.warn as Log)(...args);
  }
  info(...args: unknown[]): void {
    (this.logger.info as Log)(...args);
  }
  debug(...args: unknown[]): void {
    (this.logger.debug as Log)(...args);
  }
  trace(...args: unknown[]): void {
    (this.logger.trace as Log)(...args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

export const lazyChildLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) => new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
