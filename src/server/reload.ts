import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { IntentguardError } from '../errors.js';

export interface ReloadResult {
  readonly ok: boolean;
  readonly error?: IntentguardError | undefined;
}

export interface PolicyWatcherOptions {
  /** Policy files and folders in force. */
  readonly paths: readonly string[];
  /** Reloads the policy set; must keep the last good set on failure (the runtime does). */
  readonly reload: () => Promise<ReloadResult>;
  /** Quiet period after the last file event before reloading: editors write files in several steps. */
  readonly debounceMs: number;
  readonly log: FastifyBaseLogger;
}

/**
 * Hot reload of the policy set on file change. Each policy file is watched
 * through its folder (editors replace files by renaming, which a watch on the
 * file itself would miss); each policy folder is watched recursively. Events
 * are debounced, and reloads never overlap: changes during a reload cause one
 * more reload after it.
 */
export class PolicyWatcher {
  readonly #options: PolicyWatcherOptions;
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #pending = false;
  #closed = false;

  constructor(options: PolicyWatcherOptions) {
    this.#options = options;
  }

  /** Starts watching. Paths that cannot be watched are logged and skipped; SIGHUP still reloads. */
  start(): void {
    void this.#watchAll();
  }

  async #watchAll(): Promise<void> {
    for (const p of this.#options.paths) {
      const abs = path.resolve(p);
      let isDir = false;
      try {
        isDir = (await stat(abs)).isDirectory();
      } catch {
        isDir = false;
      }
      if (this.#closed) return;
      const target = isDir ? abs : path.dirname(abs);
      const base = path.basename(abs);
      try {
        const w = watch(target, { recursive: isDir, persistent: false }, (_event, filename) => {
          if (!isDir && filename !== null && filename !== base) return;
          if (isDir && filename !== null && !/\.ya?ml$/i.test(filename)) return;
          this.trigger();
        });
        w.on('error', (e) => this.#options.log.warn({ path: target, error: e.message }, 'policy watch failed'));
        this.#watchers.push(w);
      } catch (e) {
        this.#options.log.warn({ path: target, error: (e as Error).message }, 'cannot watch policy path; reload with SIGHUP');
      }
    }
  }

  /** Schedules a reload after the debounce period (file events, SIGHUP). */
  trigger(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#run(), this.#options.debounceMs);
    this.#timer.unref();
  }

  /** Reloads now, or once more after the reload in progress. */
  async reloadNow(): Promise<void> {
    await this.#run();
  }

  async #run(): Promise<void> {
    if (this.#closed) return;
    if (this.#running) {
      this.#pending = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#pending = false;
          await this.#options.reload();
        } while (this.#pending && !this.#closed);
      } catch (e) {
        this.#options.log.error({ error: (e as Error).message }, 'policy reload raised');
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#watchers.splice(0)) w.close();
  }
}
