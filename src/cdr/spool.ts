/**
 * The CDR spool: an append-only journal on disk of every CDR accepted and not yet committed, so
 * that neither a database outage nor a crash of Switchplane loses one. CDRs are appended, one
 * JSON line each, to the open segment file (`<dir>/cdr-<sequence>.jsonl`) the moment they are
 * accepted (a synchronous write: it is in the kernel's page cache before the event socket's read
 * loop goes on). `seal()` closes the open segment (flushed with fdatasync) and hands it to the
 * writer as one batch; the writer removes it once its rows are committed. Segments left on disk
 * by a previous run are found at `open()` and written first. A segment whose tail was cut off by
 * a crash loses nothing that had been written whole: a partial last line is skipped.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface SpoolSegment {
  path: string;
  /** Lines in the segment. */
  count: number;
}

const SEGMENT = /^cdr-(\d{12})\.jsonl$/;

export class CdrSpool {
  private fd: number | null = null;
  private openPath = '';
  private openCount = 0;
  private sequence = 0;

  constructor(readonly dir: string) {}

  /**
   * Creates the directory if needed and returns the segments a previous run left, oldest first.
   * @throws when the directory cannot be created or read (the caller must not run without a spool)
   */
  open(): SpoolSegment[] {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const found = fs.readdirSync(this.dir).filter((f) => SEGMENT.test(f)).sort();
    const last = found.at(-1);
    this.sequence = last ? Number(SEGMENT.exec(last)![1]) : 0;
    return found.map((f) => {
      const file = path.join(this.dir, f);
      return { path: file, count: CdrSpool.read<unknown>(file).length };
    });
  }

  /** Appends one entry to the open segment (opening a new one when none is). */
  append(entry: unknown): void {
    if (this.fd === null) {
      this.openPath = path.join(this.dir, `cdr-${String(++this.sequence).padStart(12, '0')}.jsonl`);
      this.fd = fs.openSync(this.openPath, 'a', 0o600);
      this.openCount = 0;
    }
    fs.writeSync(this.fd, JSON.stringify(entry) + '\n');
    this.openCount++;
  }

  /** Lines in the open segment. */
  get pending(): number {
    return this.fd === null ? 0 : this.openCount;
  }

  /** Closes the open segment (flushing it to the disk in the background); null when none is open. */
  seal(): SpoolSegment | null {
    if (this.fd === null) return null;
    const fd = this.fd;
    this.fd = null;
    fs.fdatasync(fd, () => fs.close(fd, () => undefined));
    return { path: this.openPath, count: this.openCount };
  }

  /** Removes a segment whose rows are committed. */
  remove(segment: SpoolSegment): void {
    fs.rmSync(segment.path, { force: true });
  }

  /**
   * Keeps an entry the database refused in every form in `<dir>/refused.jsonl` (not a segment:
   * never replayed), for an operator to look at.
   */
  refuse(entry: unknown): void {
    fs.appendFileSync(path.join(this.dir, 'refused.jsonl'), JSON.stringify(entry) + '\n', { mode: 0o600 });
  }

  /** The entries of a segment; a line cut short by a crash is skipped. */
  static read<T>(file: string): T[] {
    const out: T[] = [];
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        // the partial last line of a segment being written when the process died
      }
    }
    return out;
  }
}
