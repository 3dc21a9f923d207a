/**
 * Twisted's `twisted.protocols.basic.LineReceiver`: lines and raw data.
 * @module
 */
import type { IProducer } from "./protocol.js";
import { Protocol } from "./protocol.js";

function toBuffer(x: Uint8Array | string): Buffer {
  return typeof x === "string" ? Buffer.from(x) : Buffer.isBuffer(x) ? x : Buffer.from(x);
}

/**
 * A protocol that receives lines (`lineReceived`) or raw data
 * (`rawDataReceived`), switching with {@link setRawMode} /
 * {@link setLineMode} (Twisted's `LineReceiver`, same algorithm). A line
 * longer than `MAX_LENGTH` calls {@link lineLengthExceeded}, which drops the
 * connection by default.
 *
 * @example
 * ```ts
 * class Upper extends LineReceiver {
 *   override lineReceived(line: Buffer): void { this.sendLine(line.toString().toUpperCase()); }
 * }
 * const t = new StringTransport();
 * const p = new Upper();
 * p.makeConnection(t);
 * p.dataReceived(Buffer.from("hello\r\nwor"));
 * console.log(t.value().toString()); // "HELLO\r\n": "wor" waits for its line end
 * ```
 */
export class LineReceiver extends Protocol implements IProducer {
  /** The line delimiter (default `\r\n`). */
  delimiter: Buffer = Buffer.from("\r\n");
  /** The longest line accepted (default 16384). */
  MAX_LENGTH = 16384;
  /** 1 in line mode, 0 in raw mode. */
  line_mode = 1;
  /** True while paused (`pauseProducing`). */
  paused = false;
  /** @internal */ _buffer: Buffer = Buffer.alloc(0);
  /** @internal */ _busyReceiving = false;

  /** Empties the buffer and returns what it held. */
  clearLineBuffer(): Buffer {
    const b = this._buffer;
    this._buffer = Buffer.alloc(0);
    return b;
  }

  /** Splits the bytes into lines (or passes them raw) and delivers them. */
  override dataReceived(data: Uint8Array | string): unknown {
    const chunk = toBuffer(data);
    if (this._busyReceiving) {
      this._buffer = Buffer.concat([this._buffer, chunk]);
      return undefined;
    }
    try {
      this._busyReceiving = true;
      this._buffer = Buffer.concat([this._buffer, chunk]);
      while (this._buffer.length > 0 && !this.paused) {
        if (this.line_mode) {
          const i = this._buffer.indexOf(this.delimiter);
          if (i === -1) {
            if (this._buffer.length >= this.MAX_LENGTH + this.delimiter.length) {
              const line = this._buffer;
              this._buffer = Buffer.alloc(0);
              return this.lineLengthExceeded(line);
            }
            return undefined;
          }
          const line = this._buffer.subarray(0, i);
          this._buffer = this._buffer.subarray(i + this.delimiter.length);
          if (line.length > this.MAX_LENGTH) {
            const exceeded = Buffer.concat([line, this.delimiter, this._buffer]);
            this._buffer = Buffer.alloc(0);
            return this.lineLengthExceeded(exceeded);
          }
          const why = this.lineReceived(Buffer.from(line));
          if (why || this.transport?.disconnecting) return why;
        } else {
          const raw = this._buffer;
          this._buffer = Buffer.alloc(0);
          const why = this.rawDataReceived(raw);
          if (why) return why;
        }
      }
    } finally {
      this._busyReceiving = false;
    }
    return undefined;
  }

  /** Back to line mode; `extra` (unhandled raw bytes) is parsed for lines. */
  setLineMode(extra?: Uint8Array | string): unknown {
    this.line_mode = 1;
    if (extra !== undefined && extra.length > 0) return this.dataReceived(extra);
    return undefined;
  }

  /** Further bytes go to {@link rawDataReceived}. */
  setRawMode(): void {
    this.line_mode = 0;
  }

  /** Override: raw bytes in raw mode. */
  rawDataReceived(_data: Buffer): unknown {
    throw new Error("NotImplementedError: rawDataReceived");
  }

  /** Override: a line, without its delimiter. */
  lineReceived(_line: Buffer): unknown {
    throw new Error("NotImplementedError: lineReceived");
  }

  /** Sends `line` followed by the delimiter. */
  sendLine(line: Uint8Array | string): void {
    this.transport!.write(Buffer.concat([toBuffer(line), this.delimiter]));
  }

  /** A line was too long: drops the connection (override to do otherwise). */
  lineLengthExceeded(_line: Buffer): unknown {
    this.transport?.loseConnection();
    return undefined;
  }

  /** Pauses delivery (and the transport's reading). */
  pauseProducing(): void {
    this.paused = true;
    this.transport?.pauseProducing();
  }

  /** Resumes delivery, starting with what is buffered. */
  resumeProducing(): void {
    this.paused = false;
    this.transport?.resumeProducing();
    this.dataReceived(Buffer.alloc(0));
  }

  /** Stops delivery for good. */
  stopProducing(): void {
    this.paused = true;
    this.transport?.stopProducing();
  }
}
